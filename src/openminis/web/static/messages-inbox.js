// Me → Messages: the subscribe messages apps sent the person (newest first, unread marked), the
// badge on Me's tab, the switch that turns Web Push on in this browser, and what each app may
// send them, each revocable. A tap on a message marks it read and opens its app with scene
// subscribe_message and the message's query (docs/messages.md).
// @ts-check

import { errorMessage } from "./api.js";
import { appIcon } from "./app-tile.js";
import { el } from "./dom.js";
import { formatDateTime } from "./format.js";
import { whileBusy } from "./sheets.js";

const MESSAGE_ID = /^[0-9a-f]{32}$/;

/** Whether this browser can get pushes at all (a secure context with a service worker). */
function canPush() {
  return window.isSecureContext && "serviceWorker" in navigator && "PushManager" in window && "Notification" in window;
}

export class MessagesInbox {
  /**
   * @param {object} options
   * @param {import("./api.js").Api} options.api
   * @param {import("./account.js").Account} options.account
   * @param {(message: any) => void} options.onOpen opens the message's app (main.js: the launcher)
   */
  constructor({ api, account, onOpen }) {
    this.api = api;
    this.onOpen = onOpen;
    this.root = el("section", { className: "access messages", "aria-labelledby": "messages-title" });
    /** @type {HTMLElement[]} */
    this.badges = [];
    this.unread = 0;
    account.watch((user, { switched } = {}) => {
      if (switched) this.refresh();
    });
  }

  /** Me's tab (and any other link to Me) shows the unread count. */
  bindBadges(links) {
    for (const link of links) {
      const badge = el("span", { className: "nav-badge", "data-unread-badge": "", hidden: true });
      link.append(badge);
      this.badges.push(badge);
    }
  }

  showUnread(count) {
    this.unread = count;
    for (const badge of this.badges) {
      badge.hidden = count === 0;
      badge.textContent = count > 99 ? "99+" : String(count);
      badge.setAttribute("aria-label", `${count} unread ${count === 1 ? "message" : "messages"}`);
    }
  }

  /** The badge again (after an app closed, when the page comes back into view). */
  async refresh() {
    const { unread } = await this.api.request("GET", "/api/messages/unread");
    this.showUnread(unread);
  }

  async show() {
    const [inbox, grants] = await Promise.all([this.api.request("GET", "/api/messages"), this.api.request("GET", "/api/messages/grants")]);
    this.showUnread(inbox.unread);
    this.render(inbox.items, grants.items);
  }

  /**
   * Opens a message: read on the platform, then its app with its query.
   * @param {{id: string}} message
   * @param {string | null} appId only a message of this app (else the platform answers 404)
   */
  async open(message, appId = null) {
    const only = appId ? `?app_id=${encodeURIComponent(appId)}` : "";
    const read = await this.api.request("POST", `/api/messages/${message.id}/read${only}`);
    this.refresh().catch(() => {});
    if (read.card) this.onOpen(read);
  }

  /**
   * A pushed notification's link (/play/{app}?message={id}) names the message to open, and its
   * app: a link that names one app and another app's message opens neither message nor other app.
   * @param {string} messageId
   * @param {string} appId
   */
  async openLinked(messageId, appId) {
    if (!MESSAGE_ID.test(messageId)) return false;
    await this.open({ id: messageId }, appId);
    return true;
  }

  render(items, grants) {
    const title = el("h2", { className: "section-title", id: "messages-title", tabindex: "-1" }, "Messages");
    const list = items.length
      ? el(
          "ul",
          { className: "message-list" },
          items.map((message) => {
            const fields = Object.values(message.fields).filter(Boolean).join(" · ");
            const button = el(
              "button",
              { type: "button", className: message.read ? "message-item" : "message-item is-unread", disabled: !message.card },
              message.card ? appIcon(message.card, "small") : null,
              el(
                "span",
                { className: "message-text" },
                el("span", { className: "message-title" }, message.card ? `${message.card.name}: ${message.title}` : message.title),
                fields ? el("span", { className: "message-fields" }, fields) : null,
                el("span", { className: "sheet-note" }, formatDateTime(message.sent_at))
              )
            );
            button.addEventListener("click", () => whileBusy(button, () => this.open(message).catch((error) => console.error("openminis: message not opened", error))));
            return el("li", {}, button);
          })
        )
      : el("p", { className: "sheet-note" }, "No messages. Games you allow to write to you appear here.");
    const allowed = grants.length
      ? el(
          "ul",
          { className: "access-list" },
          grants.map((grant) => {
            const revoke = el("button", { type: "button", className: "button-secondary" }, "Turn off");
            revoke.addEventListener("click", () =>
              whileBusy(revoke, async () => {
                await this.api.request("DELETE", `/api/apps/${encodeURIComponent(grant.app_id)}/message-grants/${encodeURIComponent(grant.template_id)}`);
                await this.show();
              })
            );
            const note = grant.long_term ? "Until you turn it off" : `${grant.one_time} left`;
            return el("li", { className: "access-item" }, el("span", {}, el("span", { className: "message-title" }, `${grant.app_id}: ${grant.title}`), el("span", { className: "sheet-note" }, ` · ${note}`)), revoke);
          })
        )
      : null;
    const parts = [title, this.pushControl(), list];
    if (allowed) parts.push(el("h3", { className: "section-subtitle" }, "Apps that may write to you"), allowed);
    this.root.replaceChildren(...parts);
  }

  pushControl() {
    const status = el("p", { className: "sheet-note", role: "status" });
    if (!canPush()) {
      status.textContent = "This browser cannot show notifications from openminis; messages wait here.";
      return status;
    }
    const toggle = el("button", { type: "button", className: "button-secondary", "data-push-toggle": "" }, "Turn on notifications");
    const draw = (on) => {
      toggle.textContent = on ? "Turn off notifications" : "Turn on notifications";
      toggle.dataset.on = on ? "true" : "false";
    };
    this.pushSubscription()
      .then((found) => draw(Boolean(found)))
      .catch(() => draw(false));
    toggle.addEventListener("click", () =>
      whileBusy(toggle, async () => {
        try {
          const on = toggle.dataset.on === "true" ? await this.pushOff() : await this.pushOn();
          draw(on);
          status.textContent = on ? "Notifications are on in this browser." : "Notifications are off in this browser.";
        } catch (error) {
          status.textContent = errorMessage(error);
        }
      })
    );
    return el("div", { className: "push-control" }, toggle, status);
  }

  async pushSubscription() {
    const registration = await navigator.serviceWorker.getRegistration("/");
    return registration ? registration.pushManager.getSubscription() : null;
  }

  /** Asks the browser's permission, subscribes with the platform's VAPID key, tells the platform. */
  async pushOn() {
    if ((await Notification.requestPermission()) !== "granted") {
      throw new Error("Notifications are blocked for this site in the browser's settings.");
    }
    const registration = await navigator.serviceWorker.register("/push-sw.js", { scope: "/" });
    await navigator.serviceWorker.ready;
    const { public_key: key } = await this.api.request("GET", "/api/push/key");
    const raw = Uint8Array.from(atob(key.replace(/-/g, "+").replace(/_/g, "/")), (c) => c.charCodeAt(0));
    const subscription = await registration.pushManager.subscribe({ userVisibleOnly: true, applicationServerKey: raw });
    await this.api.request("PUT", "/api/push/subscription", { body: subscription.toJSON() });
    return true;
  }

  async pushOff() {
    const subscription = await this.pushSubscription();
    if (subscription) {
      await this.api.request("DELETE", "/api/push/subscription", { body: { endpoint: subscription.endpoint } });
      await subscription.unsubscribe();
    }
    return false;
  }
}
