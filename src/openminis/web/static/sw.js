// The host's offline worker (docs/home-screen.md), scope /play/ only: push-sw.js keeps "/".
// A /play/{app} page is fetched from the network while there is one; offline, the copy the host
// page kept when the app last became ready (offline.js) opens instead, with the host's static
// files, and the app's own origin serves the app from its worker's cache (minis-sw.js). A /play/
// page never kept here gets the /offline page, which says so and links back.
// @ts-check

const shellWorker = /** @type {any} */ (self);
const SHELL = "minis-host-shell"; // offline.js fills it; the names must agree

shellWorker.addEventListener("install", (/** @type {any} */ event) => {
  event.waitUntil(
    caches
      .open(SHELL)
      .then((cache) => cache.add("/offline"))
      .then(() => shellWorker.skipWaiting())
  );
});

shellWorker.addEventListener("activate", (/** @type {any} */ event) => {
  event.waitUntil(shellWorker.clients.claim());
});

shellWorker.addEventListener("fetch", (/** @type {any} */ event) => {
  const request = /** @type {Request} */ (event.request);
  const url = new URL(request.url);
  if (request.method !== "GET" || url.origin !== shellWorker.location.origin) return;
  if (request.mode === "navigate" && url.pathname.startsWith("/play/")) {
    event.respondWith(page(request, url));
  } else if (url.pathname.startsWith("/static/")) {
    // Network first: a new host version's files win; the kept copy is for when there is no network,
    // refreshed by each fetch (a file the page loaded late, after offline.js read its list, too).
    event.respondWith(
      fetch(request).then(
        (response) => {
          if (response.ok) {
            const copy = response.clone();
            event.waitUntil(caches.open(SHELL).then((cache) => cache.put(url.pathname, copy)));
          }
          return response;
        },
        () => kept(request)
      )
    );
  }
});

/** @param {Request} request @param {URL} url */
async function page(request, url) {
  try {
    return await fetch(request);
  } catch (error) {
    // The kept page is the app's /play/{app} without a query: a home screen's ?scene= opens it too.
    const cache = await caches.open(SHELL);
    const copy = (await cache.match(url.origin + url.pathname)) || (await cache.match("/offline"));
    if (copy) return copy;
    throw error;
  }
}

/** @param {Request} request */
async function kept(request) {
  const copy = await caches.match(request, { ignoreVary: true });
  return copy || Response.error();
}
