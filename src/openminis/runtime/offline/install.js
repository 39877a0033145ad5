// /minis-offline/install?version=V on an app's origin, framed hidden by the host (offline.js):
// registers the origin's worker (minis-sw.js, scope /v/), keeps the version's files in the cache
// "minis-v-{V}" from the server's list (/minis-offline/{V}.json), drops older versions' caches,
// and tells the host page whether it worked.
// @ts-check

(async () => {
  const version = new URLSearchParams(location.search).get("version") || "";
  const host = document.documentElement.dataset.host || "";
  let ok = false;
  try {
    if (!/^[A-Za-z0-9.+_-]{1,64}$/.test(version)) throw new Error("no version");
    await navigator.serviceWorker.register("/minis-sw.js", { scope: "/v/" });
    const answer = await fetch(`/minis-offline/${encodeURIComponent(version)}.json`);
    if (!answer.ok) throw new Error(`listing: ${answer.status}`);
    const listing = await answer.json();
    const name = `minis-v-${version}`;
    if (listing.keep) {
      const cache = await caches.open(name);
      /** @type {string[]} */
      const missing = [];
      for (const url of listing.files) if (!(await cache.match(url, { ignoreVary: true }))) missing.push(url);
      // A few at a time: a version may have hundreds of files.
      for (let at = 0; at < missing.length; at += 8) await cache.addAll(missing.slice(at, at + 8));
      const runtime = await caches.open("minis-runtime");
      await runtime.addAll(listing.extra);
    }
    for (const old of await caches.keys()) {
      if (old.startsWith("minis-v-") && old !== name) await caches.delete(old);
    }
    ok = Boolean(listing.keep);
  } catch (error) {
    console.warn("openminis: not kept for offline", error);
  }
  if (host) parent.postMessage({ minisOffline: version, ok }, host);
})();
