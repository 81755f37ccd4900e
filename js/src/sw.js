// The service worker of /inspect/offline: keeps the page and its files so the page opens in flight
// mode. Flask prepends `self.ECERT_OFFLINE = {version, page, shell}` (app/web/inspect.py), so a new
// build (new content hashes) is a new worker that caches the new files and drops the old ones.
// It caches nothing else: the JWKS and the status list are verified and stored by the page itself.
const { version, page, shell } = self.ECERT_OFFLINE;
const PREFIX = "ecert-offline-shell-";
const CACHE = PREFIX + version;
const NETWORK_TIMEOUT_MS = 4000; // a weak signal in a tunnel should not keep the inspector waiting

self.addEventListener("install", (event) => {
  event.waitUntil(caches.open(CACHE).then((cache) => cache.addAll([page, ...shell])).then(() => self.skipWaiting()));
});

self.addEventListener("activate", (event) => {
  event.waitUntil(caches.keys()
    .then((names) => Promise.all(names.filter((n) => n.startsWith(PREFIX) && n !== CACHE).map((n) => caches.delete(n))))
    .then(() => self.clients.claim()));
});

/** The page: fresh from the network when it answers in time, else the cached copy. */
async function networkFirst(request) {
  const cache = await caches.open(CACHE);
  try {
    const response = await Promise.race([
      fetch(request),
      new Promise((_, reject) => { setTimeout(() => reject(new Error("timeout")), NETWORK_TIMEOUT_MS); }),
    ]);
    if (!response.ok) throw new Error(`HTTP ${response.status}`); // an error page must not replace ours
    await cache.put(page, response.clone());
    return response;
  } catch (error) {
    const cached = await cache.match(page);
    if (cached) return cached;
    throw error;
  }
}

/** Versioned files: the cached copy, else the network. */
async function cacheFirst(request) {
  const cached = await caches.match(request, { cacheName: CACHE });
  return cached ?? fetch(request);
}

self.addEventListener("fetch", (event) => {
  const url = new URL(event.request.url);
  if (event.request.method !== "GET" || url.origin !== self.location.origin) return;
  if (url.pathname === page) event.respondWith(networkFirst(event.request));
  else if (shell.includes(url.pathname + url.search)) event.respondWith(cacheFirst(event.request));
});
