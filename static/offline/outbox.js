// The sealed records and the outbox. Every change made offline is appended here, encrypted, before the
// screen says it is saved; it leaves the outbox only when the server answered "applied" (or the worker
// discards it). Its id (crypto.randomUUID) is made once: sending it again never writes twice.
import { seal, unseal } from "./crypto.js";
import * as store from "./store.js";

let key = null;

export function setKey(value) { key = value; }
export function isOpen() { return key !== null; }

export async function read(id) {
  const record = await store.get(id);
  return record ? unseal(key, record) : null;
}

export async function write(id, value) {
  await store.put(await seal(key, id, value));
}

// The entries in the order they were made: [{id, change, state, summary, result?}].
export async function entries() {
  const records = await store.list("o:");
  return Promise.all(records.map(async (record) => ({ ...(await unseal(key, record)), id: record.id })));
}

export function newChange(kind, caseId, fields, baseVersions) {
  return {
    change_id: crypto.randomUUID(), kind, case: caseId, recorded_at: new Date().toISOString(),
    base_versions: baseVersions || {}, fields,
  };
}

// Appends a change (sealed and written before this resolves) and returns its entry.
export async function append(change, summary) {
  const meta = await store.updateMeta((m) => { m.next_seq = (m.next_seq || 1) + 1; });
  const id = "o:" + String(meta.next_seq - 1).padStart(10, "0");
  const entry = { change, state: "pending", summary };
  await write(id, entry);
  return { ...entry, id };
}

export async function save(entry) {
  const { id, ...value } = entry;
  await write(id, value);
}

export async function discard(...ids) {
  await store.remove(...ids);
}
