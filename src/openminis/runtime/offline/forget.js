// /minis-offline/forget on an app's origin: drops every kept version and the origin's offline
// worker (the host frames it when a person's data should go, docs/home-screen.md).
// @ts-check

(async () => {
  const host = document.documentElement.dataset.host || "";
  let ok = false;
  try {
    for (const name of await caches.keys()) if (name.startsWith("minis-")) await caches.delete(name);
    const registration = await navigator.serviceWorker.getRegistration("/v/");
    if (registration) await registration.unregister();
    ok = true;
  } catch (error) {
    console.warn("openminis: offline copy not forgotten", error);
  }
  if (host) parent.postMessage({ minisOffline: "forget", ok }, host);
})();
