// WebCrypto for the offline store. The data key (AES-GCM 256) encrypts every record; it is kept wrapped
// (AES-KW) under a key made from the PIN (PBKDF2-SHA-256, 600,000 iterations, 16-byte salt) mixed by
// HMAC-SHA-256 with the device key, a non-extractable key imported from the secret the server gave at
// enrolment. The PIN alone does not open a copied store, and no script can read the device key back.
const encoder = new TextEncoder();
const decoder = new TextDecoder();
export const ITERATIONS = 600000;

export function randomBytes(length) {
  return crypto.getRandomValues(new Uint8Array(length));
}

function fromBase64(text) {
  return Uint8Array.from(atob(text), (char) => char.charCodeAt(0));
}

export function importDeviceKey(secret) {
  return crypto.subtle.importKey("raw", fromBase64(secret), { name: "HMAC", hash: "SHA-256" }, false, ["sign"]);
}

async function wrappingKey(pin, salt, iterations, deviceKey) {
  const base = await crypto.subtle.importKey("raw", encoder.encode(pin), "PBKDF2", false, ["deriveBits"]);
  const bits = await crypto.subtle.deriveBits({ name: "PBKDF2", hash: "SHA-256", salt, iterations }, base, 256);
  const mixed = await crypto.subtle.sign("HMAC", deviceKey, bits);
  return crypto.subtle.importKey("raw", mixed, "AES-KW", false, ["wrapKey", "unwrapKey"]);
}

function unwrap(wrapped, kek) {
  return crypto.subtle.unwrapKey("raw", wrapped, kek, "AES-KW", { name: "AES-GCM" }, false, ["encrypt", "decrypt"]);
}

// A new random data key wrapped under the PIN: {salt, iterations, wrapped} to store, key to use.
export async function newDataKey(pin, deviceKey) {
  const salt = randomBytes(16);
  const fresh = await crypto.subtle.generateKey({ name: "AES-GCM", length: 256 }, true, ["encrypt", "decrypt"]);
  const kek = await wrappingKey(pin, salt, ITERATIONS, deviceKey);
  const wrapped = await crypto.subtle.wrapKey("raw", fresh, kek, "AES-KW");
  return { salt, iterations: ITERATIONS, wrapped, key: await unwrap(wrapped, kek) };
}

// The data key for a PIN; rejects on a wrong PIN (AES-KW's integrity check fails).
export async function openDataKey(pin, meta, deviceKey) {
  return unwrap(meta.wrapped, await wrappingKey(pin, meta.salt, meta.iterations, deviceKey));
}

// A record as stored: {id, iv, ct}; the id is bound to the ciphertext (a record cannot be moved to another id).
export async function seal(key, id, value) {
  const iv = randomBytes(12);
  const plain = encoder.encode(JSON.stringify(value));
  const ct = await crypto.subtle.encrypt({ name: "AES-GCM", iv, additionalData: encoder.encode(id) }, key, plain);
  return { id, iv, ct };
}

export async function unseal(key, record) {
  const plain = await crypto.subtle.decrypt({ name: "AES-GCM", iv: record.iv, additionalData: encoder.encode(record.id) },
    key, record.ct);
  return JSON.parse(decoder.decode(plain));
}
