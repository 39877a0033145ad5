// The host's service worker for Web Push (docs/messages.md): shows a pushed subscribe message as
// a notification (text only: the title and body are the developer's words) and, on a tap, opens
// the host at the message's link, which opens its app with scene subscribe_message.
// Served at /push-sw.js so that its scope is the whole host.
// @ts-check

const worker = /** @type {any} */ (self);

worker.addEventListener("push", (/** @type {any} */ event) => {
  let shown = {};
  try {
    shown = event.data ? event.data.json() : {};
  } catch {
    shown = {};
  }
  const title = typeof shown.title === "string" && shown.title ? shown.title : "openminis";
  const options = {
    body: typeof shown.body === "string" ? shown.body : "",
    tag: typeof shown.tag === "string" ? shown.tag : undefined,
    data: { url: typeof shown.url === "string" ? shown.url : "/#/me" },
  };
  event.waitUntil(worker.registration.showNotification(title, options));
});

worker.addEventListener("notificationclick", (/** @type {any} */ event) => {
  event.notification.close();
  const url = new URL(event.notification.data?.url ?? "/", worker.location.origin);
  if (url.origin !== worker.location.origin) return; // only ever the host's own pages
  event.waitUntil(worker.clients.openWindow(url.href));
});
