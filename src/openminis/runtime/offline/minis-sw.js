// An app origin's offline worker (docs/home-screen.md), scope /v/: its released versions' files
// are immutable, so a kept copy (install.js fills the cache "minis-v-{version}") answers at once,
// with or without the network. The entry document still goes to the network first, so that a
// takedown or a newer release holds while online; offline it comes from the cache too. The SDK
// and a compat shim (outside /v/, fetched by the app's pages) are network first, kept as they pass.
// @ts-check

const appWorker = /** @type {any} */ (self);
const APP_RUNTIME = "minis-runtime";

appWorker.addEventListener("install", () => appWorker.skipWaiting());
appWorker.addEventListener("activate", (/** @type {any} */ event) => event.waitUntil(appWorker.clients.claim()));

appWorker.addEventListener("fetch", (/** @type {any} */ event) => {
  const request = /** @type {Request} */ (event.request);
  const url = new URL(request.url);
  if (request.method !== "GET" || url.origin !== appWorker.location.origin) return;
  if (request.mode === "navigate") event.respondWith(networkFirst(request, null));
  else if (url.pathname.startsWith("/v/")) event.respondWith(cacheFirst(request));
  else if (url.pathname === "/minis-sdk.js" || url.pathname.startsWith("/sdk/compat/")) event.respondWith(networkFirst(request, APP_RUNTIME));
});

/** @param {Request} request */
async function cacheFirst(request) {
  const copy = await caches.match(request, { ignoreVary: true, ignoreSearch: true });
  return copy || fetch(request);
}

/** @param {Request} request @param {string | null} keepIn */
async function networkFirst(request, keepIn) {
  try {
    const response = await fetch(request);
    if (keepIn && response.ok) {
      const copy = response.clone();
      caches.open(keepIn).then((cache) => cache.put(request, copy)).catch(() => {});
    }
    return response;
  } catch (error) {
    const copy = await caches.match(request, { ignoreVary: true, ignoreSearch: true });
    if (copy) return copy;
    throw error;
  }
}
