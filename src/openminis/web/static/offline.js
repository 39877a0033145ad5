// Offline relaunch (docs/home-screen.md): once an app is ready, the host keeps what a relaunch
// without the network needs. On the host origin: its /play/{app} page and the host's static files
// (the Cache API, read by sw.js, the worker of scope /play/). On the app's origin: its version's
// files, which a hidden frame of the app's origin (/minis-offline/install) keeps for that origin's
// own worker (minis-sw.js). Done once per app version and page; failures change nothing.
// @ts-check

const SHELL = "minis-host-shell"; // sw.js reads it; the names must agree
const INSTALL_TIMEOUT_MS = 30_000;
/** @type {Set<string>} "app@version" kept from this page already */
const kept = new Set();
let shellKept = false; // the host's static files are in the cache
/** @type {Map<string, "kept" | "failed">} how each keeping ended, by "app@version" (for the tests) */
export const offlineState = new Map();

// The host's static files are read from the page's resource timing: a feed's images must not
// push them out of its buffer (250 entries by default).
performance.setResourceTimingBufferSize?.(2000);

function supported() {
  return window.isSecureContext && "serviceWorker" in navigator && "caches" in window;
}

/**
 * Keeps the app (a released version, not a preview) for an offline relaunch.
 * @param {{app_id: string, version: string, origin: string, preview?: boolean}} card
 */
export async function rememberForOffline(card) {
  const key = `${card.app_id}@${card.version}`;
  if (card.preview || kept.has(key) || !supported()) return;
  kept.add(key);
  try {
    await keep(card);
    offlineState.set(key, "kept");
  } catch (error) {
    offlineState.set(key, "failed");
    throw error;
  }
}

/** @param {{app_id: string, version: string, origin: string}} card */
async function keep(card) {
  await navigator.serviceWorker.register("/sw.js", { scope: "/play/" });
  // The host's own files, once per page: they are the same whichever app opened.
  const statics = shellKept
    ? []
    : performance
        .getEntriesByType("resource")
        .map((entry) => new URL(entry.name))
        .filter((url) => url.origin === location.origin && url.pathname.startsWith("/static/"))
        .map((url) => url.pathname);
  const cache = await caches.open(SHELL);
  await cache.addAll([...new Set(["/offline", `/play/${encodeURIComponent(card.app_id)}`, ...statics])]);
  shellKept = true;
  if (!(await installOnAppOrigin(card))) throw new Error(`${card.origin} did not keep ${card.version}`);
}

/** A hidden frame of the app's origin keeps the version's files for that origin's worker. */
function installOnAppOrigin(card) {
  return new Promise((resolve) => {
    const frame = document.createElement("iframe");
    frame.hidden = true;
    frame.setAttribute("aria-hidden", "true");
    frame.tabIndex = -1;
    frame.setAttribute("sandbox", "allow-scripts allow-same-origin");
    frame.src = `${card.origin}/minis-offline/install?version=${encodeURIComponent(card.version)}`;
    const done = (/** @type {boolean} */ ok) => {
      removeEventListener("message", onMessage);
      clearTimeout(timer);
      frame.remove();
      resolve(ok);
    };
    const onMessage = (/** @type {MessageEvent} */ event) => {
      if (event.source !== frame.contentWindow || event.origin !== card.origin) return;
      if (event.data?.minisOffline === card.version) done(Boolean(event.data.ok));
    };
    const timer = setTimeout(() => done(false), INSTALL_TIMEOUT_MS);
    addEventListener("message", onMessage);
    document.body.append(frame);
  });
}

/** Another person now: the kept /play/ pages carry the one before's session, so they go. */
export async function forgetOffline() {
  kept.clear();
  offlineState.clear();
  shellKept = false;
  if (supported()) await caches.delete(SHELL);
}
