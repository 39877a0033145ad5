// The launcher's "..." menu, beside its close button: share the open app, keep it in favourites,
// add it to the home screen, mute it, report it, read its About, or restart it. A menu button (aria-haspopup="menu") opening a menu
// of menuitems: the arrow keys, Home and End move between them, Escape closes the menu (and only
// the menu: the app stays open), and so does focus leaving it. Whatever an item opens is a host
// sheet (sheets.js), above the app.
// @ts-check

import { errorMessage } from "./api.js";
import { el } from "./dom.js";
import { ReportSheet } from "./report-sheet.js";
import { ShareSheet } from "./share-sheet.js";
import { whileBusy } from "./sheets.js";

/** @typedef {"share" | "favourite" | "home" | "mute" | "report" | "about" | "restart"} MenuAction */

/** What a preview (a version not released to people) may do: nothing that names it to others. */
const PREVIEW_ACTIONS = new Set(["mute", "about", "restart"]);

export class AppMenu {
  /**
   * @param {object} options
   * @param {HTMLButtonElement} options.button the capsule's "..." button
   * @param {import("./launcher.js").Launcher} options.launcher
   */
  constructor({ button, launcher }) {
    this.button = button;
    this.launcher = launcher;
    this.api = launcher.api;
    this.sheets = launcher.sheets;
    /** @type {Map<string, boolean>} app id -> in the person's favourites, as last heard */
    this.favourites = new Map();
    /** @type {Record<MenuAction, HTMLButtonElement>} */
    this.items = {
      share: this.item("share", "Share"),
      favourite: this.item("favourite", "Add to favourites"),
      home: this.item("home", "Add to home screen"),
      mute: this.item("mute", "Mute"),
      report: this.item("report", "Report"),
      about: this.item("about", "About"),
      restart: this.item("restart", "Restart"),
    };
    this.root = el("div", { className: "app-menu", id: "app-menu", role: "menu", "aria-label": "App options", hidden: true }, Object.values(this.items));
    button.after(this.root);
    button.setAttribute("aria-haspopup", "menu");
    button.setAttribute("aria-controls", "app-menu");
    button.setAttribute("aria-expanded", "false");
    button.addEventListener("click", () => (this.isOpen ? this.close() : this.open()));
    button.addEventListener("keydown", (event) => {
      if (event.key === "ArrowDown" || event.key === "ArrowUp") {
        event.preventDefault();
        this.open(event.key === "ArrowUp" ? -1 : 0);
      }
    });
    this.root.addEventListener("keydown", (event) => this.onKey(event));
    // Focus leaving the menu (a tap into the app, Tab) closes it; a tap on the button toggles it.
    this.root.addEventListener("focusout", (event) => {
      const to = /** @type {Node | null} */ (event.relatedTarget);
      if (to !== button && !this.root.contains(to)) this.close({ refocus: false });
    });
  }

  get isOpen() {
    return !this.root.hidden;
  }

  /** @param {MenuAction} action @param {string} label */
  item(action, label) {
    const item = el("button", { type: "button", className: "app-menu-item", role: "menuitem", tabIndex: -1, dataset: { action } }, label);
    item.addEventListener("click", () => this.choose(action));
    return item;
  }

  get visibleItems() {
    return Object.values(this.items).filter((item) => !item.hidden);
  }

  /** Opens the menu with focus on its first item (or, `-1`, its last). */
  open(index = 0) {
    const card = this.launcher.active?.card;
    if (!card) return;
    for (const [action, item] of Object.entries(this.items)) item.hidden = Boolean(card.preview) && !PREVIEW_ACTIONS.has(action);
    this.showFavourite(card.app_id);
    this.showMuted();
    this.root.hidden = false;
    this.button.setAttribute("aria-expanded", "true");
    this.visibleItems.at(index)?.focus();
    if (!card.preview && !this.favourites.has(card.app_id)) {
      this.api.request("GET", `/api/me/favourites/${encodeURIComponent(card.app_id)}`).then(
        (answer) => {
          // A toggle answered meanwhile is newer than this read: it stands.
          if (this.favourites.has(card.app_id)) return;
          this.favourites.set(card.app_id, answer.favourite);
          this.showFavourite(card.app_id);
        },
        () => {}
      );
    }
  }

  /** Closes the menu; focus goes back to its button unless it went somewhere of its own. */
  close({ refocus = true } = {}) {
    if (!this.isOpen) return false;
    const hadFocus = this.root.contains(document.activeElement);
    this.root.hidden = true;
    this.button.setAttribute("aria-expanded", "false");
    if (refocus && hadFocus) this.button.focus();
    return true;
  }

  showFavourite(appId) {
    this.items.favourite.textContent = this.favourites.get(appId) ? "Remove from favourites" : "Add to favourites";
  }

  // The person's mute holds for every app (Launcher.setMuted); the item says what a tap does.
  showMuted() {
    const muted = this.launcher.muted;
    this.items.mute.textContent = muted ? "Unmute" : "Mute";
  }

  /** @param {KeyboardEvent} event */
  onKey(event) {
    const items = this.visibleItems;
    const at = items.indexOf(/** @type {HTMLButtonElement} */ (document.activeElement));
    const moves = { ArrowDown: at + 1, ArrowUp: at - 1, Home: 0, End: items.length - 1 };
    if (event.key in moves) {
      event.preventDefault();
      const next = /** @type {Record<string, number>} */ (moves)[event.key];
      items[(next + items.length) % items.length]?.focus();
    } else if (event.key === "Escape") {
      // The menu's Escape: the launcher's own (close the app) must not hear it.
      event.preventDefault();
      event.stopPropagation();
      this.close();
    } else if (event.key === "Tab") {
      this.close({ refocus: false });
    }
  }

  /** @param {MenuAction} action */
  choose(action) {
    const session = this.launcher.active;
    this.close();
    if (!session) return;
    const card = session.card;
    if (action === "restart") this.launcher.restart();
    else if (action === "share") new ShareSheet({ sheets: this.sheets, api: this.api, target: { kind: "app", app_id: card.app_id }, title: card.name }).open();
    else if (action === "report") new ReportSheet({ sheets: this.sheets, api: this.api, target: { kind: "app", id: card.app_id }, title: card.name }).open();
    else if (action === "about") this.about(card);
    else if (action === "favourite") this.toggleFavourite(card);
    else if (action === "home") this.launcher.addToHomeScreen(session).catch((error) => this.sheets.notify(errorMessage(error)));
    else if (action === "mute") {
      this.launcher.setMuted(!this.launcher.muted);
      this.showMuted();
      this.sheets.notify(this.launcher.muted ? `${card.name} is muted` : `${card.name} is unmuted`);
    }
  }

  async toggleFavourite(card) {
    const adding = !this.favourites.get(card.app_id);
    try {
      const answer = await this.api.request(adding ? "PUT" : "DELETE", `/api/me/favourites/${encodeURIComponent(card.app_id)}`);
      this.favourites.set(card.app_id, answer.favourite);
      this.showFavourite(card.app_id);
      this.sheets.notify(answer.favourite ? `${card.name} added to favourites` : `${card.name} removed from favourites`);
    } catch (error) {
      this.sheets.notify(errorMessage(error));
    }
  }

  async about(card) {
    const sheet = this.sheets.claim();
    if (!sheet) return;
    const title = `About ${card.name}`;
    sheet.show({ title, body: el("p", { className: "sheet-note", role: "status" }, "Loading…") });
    /** @type {any} */
    let about = null;
    if (!card.preview) about = await this.api.request("GET", `/api/apps/${encodeURIComponent(card.app_id)}/about`).catch(() => null);
    const policy = about?.privacy_policy_url
      ? el("a", { href: about.privacy_policy_url, target: "_blank", rel: "noopener noreferrer" }, "Privacy policy")
      : el("span", {}, "None given");
    const row = (term, value) => [el("dt", {}, term), el("dd", {}, value)];
    // The messages this person allowed the app to send (docs/messages.md), each to turn off here
    // as in Me → Messages.
    const grants = card.preview ? null : await this.api.request("GET", `/api/apps/${encodeURIComponent(card.app_id)}/message-grants`).catch(() => null);
    const messages = grants?.items.length
      ? el(
          "ul",
          { className: "access-list app-messages", "aria-label": "Messages you allowed" },
          grants.items.map((grant) => {
            const off = el("button", { type: "button", className: "button-secondary" }, "Turn off");
            const item = el("li", { className: "access-item" }, el("span", {}, grant.title), off);
            off.addEventListener("click", () =>
              whileBusy(off, async () => {
                await this.api.request("DELETE", `/api/apps/${encodeURIComponent(card.app_id)}/message-grants/${encodeURIComponent(grant.template_id)}`);
                item.remove();
              }).catch((error) => this.sheets.notify(errorMessage(error)))
            );
            return item;
          })
        )
      : null;
    sheet.show({
      title,
      body: el(
        "div",
        { className: "sheet-stack app-about" },
        card.description ? el("p", { className: "sheet-note" }, card.description) : null,
        el(
          "dl",
          { className: "app-about-facts" },
          row("Developer", about?.developer || "Unknown"),
          // The version running now: a kept app may be older than the one just released.
          row("Version", card.version),
          row("Privacy", policy)
        ),
        messages ? el("h3", { className: "section-subtitle" }, "Messages you allowed") : null,
        messages
      ),
    });
  }
}
