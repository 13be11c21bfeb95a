// The offline store (IndexedDB): "meta" holds the device's clear settings (device id, salt, wrapped data key,
// the non-extractable device key, sync dates, failed PINs: nothing about a person); "records" holds only
// {id, iv, ct} sealed by crypto.js, under opaque ids ("caseload", "rules", "journal", "o:<sequence>").
const NAME = "sentinelle-hors-ligne";
let opening = null;

function done(request) {
  return new Promise((resolve, reject) => {
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error);
  });
}

function open() {
  if (!opening) {
    const request = indexedDB.open(NAME, 1);
    request.onupgradeneeded = () => {
      request.result.createObjectStore("meta");
      request.result.createObjectStore("records", { keyPath: "id" });
    };
    opening = done(request).then((db) => {
      db.onversionchange = () => { db.close(); opening = null; };
      return db;
    });
  }
  return opening;
}

async function run(store, mode, work) {
  const db = await open();
  const transaction = db.transaction(store, mode);
  const result = work(transaction.objectStore(store));
  await new Promise((resolve, reject) => {
    transaction.oncomplete = resolve;
    transaction.onerror = transaction.onabort = () => reject(transaction.error);
  });
  return result instanceof IDBRequest ? result.result : result;
}

export const getMeta = () => run("meta", "readonly", (store) => store.get("device"));
export const putMeta = (meta) => run("meta", "readwrite", (store) => { store.put(meta, "device"); });
export const get = (id) => run("records", "readonly", (store) => store.get(id));
export const put = (...records) => run("records", "readwrite", (store) => { records.forEach((r) => store.put(r)); });
export const remove = (...ids) => run("records", "readwrite", (store) => { ids.forEach((id) => store.delete(id)); });
export const list = (prefix) => run("records", "readonly",
  (store) => store.getAll(IDBKeyRange.bound(prefix, prefix + "\uffff")));

// Changes the meta record in one transaction (the outbox's sequence, the failed PINs) and returns it.
export function updateMeta(change) {
  return run("meta", "readwrite", (store) => {
    const request = store.get("device");
    let meta;
    request.onsuccess = () => { meta = request.result; if (meta) { change(meta); store.put(meta, "device"); } };
    return { get result() { return meta; } };
  }).then((holder) => holder.result);
}

// Everything on the device goes: the stores are emptied first (a deletion can wait for another tab to close
// its connection), then the database itself is deleted.
export async function wipe() {
  try {
    const db = await open();
    const transaction = db.transaction(["meta", "records"], "readwrite");
    transaction.objectStore("meta").clear();
    transaction.objectStore("records").clear();
    await new Promise((resolve) => { transaction.oncomplete = transaction.onerror = transaction.onabort = resolve; });
    db.close();
  } catch (error) {
    // Nothing to empty: the deletion below is enough.
  }
  opening = null;
  await new Promise((resolve) => {
    const request = indexedDB.deleteDatabase(NAME);
    request.onsuccess = request.onerror = () => resolve();
    request.onblocked = () => setTimeout(resolve, 3000);  // another tab holds it open: deleted when it closes
  });
}
