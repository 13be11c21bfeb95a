// The offline app's service worker, served at /hors-ligne/sw.js with the scope /hors-ligne/. It keeps the
// app shell and its static files so the app opens without a connection; it never keeps the API's answers
// or the rules (the cases live encrypted in IndexedDB, never in Cache Storage).
const CACHE = "sentinelle-offline-v1";
const SHELL = new URL(self.registration.scope).pathname;
const STATIC = new URL(self.location.href).searchParams.get("static") || "/static/";
const NEVER = [SHELL + "api/", SHELL + "regles.json", SHELL + "sw.js"];

// Same-origin static files only (a list from the page or from the shell's data-precache attribute).
async function precache(urls) {
  const cache = await caches.open(CACHE);
  await Promise.all(urls.map(async (url) => {
    const target = new URL(url, self.location.origin);
    const kept = target.pathname.startsWith(STATIC) || target.pathname === SHELL + "manifest.webmanifest";
    if (target.origin !== self.location.origin || !kept) { return; }
    try {
      const response = await fetch(target, { credentials: "same-origin" });
      if (response.ok) { await cache.put(target, response); }
    } catch (error) {
      // Offline while installing: the file is cached the next time the page loads it.
    }
  }));
}

// The shell page, kept when it is the real page (not a sign-in redirect or an error), and the files it names.
async function keepShell(response) {
  if (!response.ok || response.redirected || response.type !== "basic") { return; }
  const cache = await caches.open(CACHE);
  await cache.put(SHELL, response.clone());
  const found = (await response.text()).match(/data-precache="([^"]*)"/);
  if (found) { await precache(found[1].split(/\s+/).filter(Boolean)); }
}

self.addEventListener("install", (event) => {
  event.waitUntil(fetch(SHELL, { credentials: "same-origin" }).then(keepShell).catch(() => {})
    .then(() => self.skipWaiting()));
});

self.addEventListener("activate", (event) => {
  event.waitUntil(caches.keys()
    .then((names) => Promise.all(names.filter((name) => name.startsWith("sentinelle-offline-") && name !== CACHE)
      .map((name) => caches.delete(name))))
    .then(() => self.clients.claim()));
});

self.addEventListener("message", (event) => {
  if (event.data && Array.isArray(event.data.precache)) { event.waitUntil(precache(event.data.precache)); }
});

// Network first for the shell (the newest app when online), the cached shell without a connection or when
// the session has expired (the app says to sign in before syncing).
async function shell(request) {
  const cache = await caches.open(CACHE);
  try {
    const response = await fetch(request);
    if (response.ok && response.type === "basic" && !response.redirected) {
      await cache.put(SHELL, response.clone());
      return response;
    }
    return (await cache.match(SHELL, { ignoreVary: true })) || response;
  } catch (error) {
    return (await cache.match(SHELL, { ignoreVary: true })) || Response.error();
  }
}

// Static files: from the cache at once, refreshed from the network behind.
async function staticFile(event) {
  const cache = await caches.open(CACHE);
  const cached = await cache.match(event.request, { ignoreVary: true });
  const network = fetch(event.request).then((response) => {
    if (response.ok) { cache.put(event.request, response.clone()); }
    return response;
  });
  if (cached) {
    event.waitUntil(network.catch(() => {}));
    return cached;
  }
  return network;
}

self.addEventListener("fetch", (event) => {
  const url = new URL(event.request.url);
  if (event.request.method !== "GET" || url.origin !== self.location.origin) { return; }
  if (NEVER.some((prefix) => url.pathname.startsWith(prefix))) { return; }
  if (event.request.mode === "navigate" && url.pathname === SHELL) { event.respondWith(shell(event.request)); }
  else if (url.pathname.startsWith(STATIC) || url.pathname === SHELL + "manifest.webmanifest") {
    event.respondWith(staticFile(event));
  }
});
