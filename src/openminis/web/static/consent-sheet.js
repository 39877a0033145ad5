// The consent sheet: what minis.getUserProfile() shows. The person sees which app asks, and the
// exact name and picture it would get. Allow records the grant on the platform (so the app's
// backend may read the profile too); once allowed, later calls are answered without asking
// again, until the person revokes the app in Me.
// @ts-check

import { errorMessage } from "./api.js";
import { appIcon } from "./app-tile.js";
import { BridgeError } from "./bridge.js";
import { el } from "./dom.js";
import { armLater, whileBusy } from "./sheets.js";

function profileOut(consent) {
  // The app lives on another origin: a host-relative path would point into the app's own site.
  return { displayName: consent.display_name, avatarUrl: new URL(consent.avatar_url, location.origin).href };
}

export class ConsentSheet {
  /** @type {any} */
  sheet;
  /** @type {(profile: {displayName: string, avatarUrl: string}) => void} set by run() */
  resolve;
  /** @type {(error: Error) => void} set by run() */
  reject;

  /** @param {any} session the app asking (launcher.js AppSession) */
  constructor(session) {
    this.session = session;
    this.api = session.api;
    this.sheets = session.launcher.sheets;
    this.account = session.launcher.account;
  }

  run() {
    return new Promise((resolve, reject) => {
      this.resolve = resolve;
      this.reject = reject;
      this.sheet = this.sheets.claim({
        owner: this.session,
        onDismiss: () => reject(new BridgeError("USER_CANCELLED", "the person closed the consent sheet")),
      });
      if (!this.sheet) {
        reject(new BridgeError("NOT_ALLOWED", "another host sheet is open"));
        return;
      }
      this.start().catch((error) => {
        this.sheet.close();
        reject(error instanceof BridgeError ? error : new BridgeError(error?.code === "NETWORK_ERROR" ? "NETWORK_ERROR" : "INTERNAL", error?.message));
      });
    });
  }

  async start() {
    const { items } = await this.api.authorizations();
    if (items.some((grant) => grant.app_id === this.session.appId && grant.profile)) {
      // Allowed before and not revoked: the sheet never shows.
      await this.allow();
      return;
    }
    this.show();
  }

  async allow() {
    const consent = await this.api.profileConsent(this.session.appId);
    this.sheet.close();
    this.resolve(profileOut(consent));
  }

  show() {
    const { card } = this.session;
    const user = this.account.user;
    const error = el("p", { className: "form-error", role: "alert" });
    const deny = el("button", { type: "button", className: "button-secondary" }, "Don’t allow");
    const allow = armLater(el("button", { type: "button", className: "button-primary" }, "Allow"));
    deny.addEventListener("click", () => {
      this.sheet.close();
      this.reject(new BridgeError("USER_DENIED", "the person did not allow access to their profile"));
    });
    allow.addEventListener("click", () =>
      whileBusy(allow, () =>
        this.allow().catch((failure) => {
          error.textContent = errorMessage(failure);
        })
      )
    );
    const avatar = el("img", { className: "avatar avatar-medium", src: user.avatar_url, alt: "" });
    const body = el(
      "div",
      { className: "sheet-stack consent" },
      el("div", { className: "consent-apps" }, appIcon(card, "medium")),
      el("p", { className: "consent-question", id: "consent-question" }, `${card.name} would like your name and profile picture`),
      el(
        "div",
        { className: "consent-profile" },
        avatar,
        el("div", {}, el("p", { className: "consent-name" }, user.display_name), el("p", { className: "sheet-note" }, "Your openminis profile"))
      ),
      el("p", { className: "sheet-note" }, `${card.name} gets only these two. You can take them back any time in Me → Apps with access.`),
      error,
      el("div", { className: "sheet-actions" }, deny, allow)
    );
    this.sheet.show({ title: "Share your profile?", body });
  }
}
