// The Me screen: the person's profile (name, picture), their coins, their account (sign up,
// sign in, sign-in link, sign out), what else the host adds (the creator studio), their drama
// passes (each cancellable) and the apps they let in, each revocable.
// @ts-check

import { SIGNED_OUT } from "./account.js";
import { errorMessage } from "./api.js";
import { showError } from "./form-errors.js";
import { appIcon } from "./app-tile.js";
import { el, part } from "./dom.js";
import { formatDate } from "./format.js";
import { icon } from "./icons.js";
import { reasonLabel } from "./takedowns.js";
import { whileBusy } from "./sheets.js";
import { openTopUpSheet } from "./topup.js";
import { coinAmount, coinsLabel } from "./wallet.js";
import { WalletHistory } from "./wallet-history.js";

// Another tab or device may spend: while Me is on screen its balance and history are asked again
// this often, and at once when the page comes back into view. Faster while a top-up is settling.
const REFRESH_MS = 15_000;
const SETTLING_REFRESH_MS = 3_000;

const LOG_MAILBOX = " In development there is no mail server: it is printed in the server’s log.";
// What another page left for the account card to say once (sign-in-link.js: the coins a guest
// brought to the account it signed in to).
const ACCOUNT_NOTICE = "minis-account-notice";

/** The note another page left for Me, once: read and removed. */
/**
 * Whether this page was loaded by a sign-out (account.js) or an account's deletion (my-data.js),
 * once: "signed out", "deleted" or null; the mark goes as it is read.
 * @returns {string | null}
 */
function takeSignedOut() {
  try {
    const how = sessionStorage.getItem(SIGNED_OUT);
    sessionStorage.removeItem(SIGNED_OUT);
    return how === null ? null : how === "deleted" ? "deleted" : "signed out";
  } catch {
    return null;
  }
}

function takeNotice() {
  try {
    const notice = sessionStorage.getItem(ACCOUNT_NOTICE) ?? "";
    sessionStorage.removeItem(ACCOUNT_NOTICE);
    return notice;
  } catch {
    return "";
  }
}

/** What a sign-in says when the guest's coins went to the account (identity/api.py, guest_coins_added). */
function coinsAddedNotice(coins) {
  return `The ${coinsLabel(coins)} you had as a guest on this browser were added to your account.`;
}


/** What the account card shows depends on: redrawn only when this changes (see render). */
function accountKey(user) {
  return [user.id, user.kind, user.email, user.pending_email ?? "", user.kind === "full" ? user.email_verified : ""].join(":");
}

function formError(id) {
  return el("p", { className: "form-error", id, role: "alert" });
}

export class MeScreen {
  /**
   * @param {object} options
   * @param {HTMLElement} options.root
   * @param {import("./api.js").Api} options.api
   * @param {import("./account.js").Account} options.account
   * @param {import("./wallet.js").Wallet} options.wallet
   * @param {import("./sheets.js").Sheets} options.sheets
   * @param {string} options.market
   * @param {HTMLElement[]} [options.sections] more of the screen, after the account (creator-studio.js)
   * @param {() => void} [options.onShow] called each time the screen comes on screen
   */
  constructor({ root, api, account, wallet, sheets, market, sections = [], onShow = () => {} }) {
    this.root = root;
    this.api = api;
    this.account = account;
    this.wallet = wallet;
    this.sheets = sheets;
    this.market = market;
    this.onShow = onShow;
    this.content = part(root, "#me-content");
    this.editing = false;
    this.mode = "register"; // the guest's account form: "register" or "sign-in"
    this.notice = ""; // what the account card says after an action (a link was sent)
    this.signedInNotice = takeNotice(); // what it says once signed in (the guest's coins went to the account)
    this.signedOut = takeSignedOut(); // this page is a sign-out's reload: say so, and focus the account card
    /** @type {HTMLElement | null} */
    this.toFocus = null;
    /** @type {any} */
    this.apps = null; // app id -> card, for the names and icons of "Apps with access"
    /** @type {any} */
    this.grants = null;
    /** @type {any} */
    this.subscriptions = null; // the person's drama passes, once loaded
    /** @type {any[] | null} */
    this.myReports = null; // what they reported, with each report's outcome, once loaded

    this.profile = el("section", { className: "card profile", "aria-label": "Profile" });
    this.coins = el("section", { className: "card coins-card", "aria-labelledby": "coins-title" });
    this.accountCard = el("section", { className: "card", "aria-labelledby": "account-title" });
    this.passes = el("section", { className: "access", "aria-labelledby": "passes-title", hidden: true });
    this.access = el("section", { className: "access", "aria-labelledby": "access-title" });
    this.reports = el("section", { className: "access", "aria-labelledby": "reports-title", hidden: true });
    this.history = new WalletHistory(api);
    this.content.replaceChildren(this.profile, this.coins, this.history.root, this.accountCard, ...sections, this.passes, this.access, this.reports);
    /** @type {number | null} */
    this.refreshTimer = null;
    document.addEventListener("visibilitychange", () => this.onVisibility());
    window.addEventListener("focus", () => this.onVisibility());

    /** @type {string | null} */
    this.accountShown = null; // who the account card was drawn for
    account.watch((user, { switched } = {}) => {
      if (switched) [this.grants, this.subscriptions, this.myReports] = [null, null, null]; // the previous person's are not this one's
      this.render();
      if (switched) {
        this.history.reload();
        this.loadGrants();
        this.loadSubscriptions();
        this.loadReports();
      }
    });
    wallet.watch(() => {
      this.renderCoins();
      // The balance moved (here, in another tab, on another device): the history shows how.
      if (this.onScreen) this.history.reload();
    });
  }

  get onScreen() {
    return !this.root.hidden && document.visibilityState === "visible";
  }

  onVisibility() {
    if (document.visibilityState === "visible") this.wallet.refresh().catch(() => {});
    if (this.onScreen) this.scheduleRefresh(0);
  }

  /** Asks for the balance and the history again in `delay` ms, and so on while Me is on screen. */
  scheduleRefresh(delay) {
    clearTimeout(this.refreshTimer ?? undefined);
    this.refreshTimer = setTimeout(async () => {
      this.refreshTimer = null;
      if (!this.onScreen) return; // off screen: show() and onVisibility() start it again
      const settled = await this.history.reload();
      // A top-up settled: its coins are in (or it failed); the balance says which.
      await this.wallet.refresh().catch((error) => console.error("openminis: balance not loaded", error));
      if (settled.length) this.history.reload();
      this.scheduleRefresh(this.history.waiting ? SETTLING_REFRESH_MS : REFRESH_MS);
    }, delay);
  }

  /** The screen came on screen: fetch what may have changed while it was away. */
  show() {
    this.account.load().catch((error) => console.error("openminis: profile not loaded", error));
    this.wallet.refresh().catch((error) => console.error("openminis: balance not loaded", error));
    this.scheduleRefresh(0);
    this.loadGrants();
    this.loadSubscriptions();
    this.loadReports();
    this.onShow();
    this.focusWhenShown();
  }

  render() {
    this.renderProfile();
    this.renderCoins();
    // The account card only when it would say something else: the profile refreshed by show()
    // must not wipe an email someone is typing into the guest's form.
    const { user } = this.account;
    if (accountKey(user) !== this.accountShown) this.renderAccount();
    this.renderAccess();
  }

  renderProfile() {
    const { user } = this.account;
    const avatar = el("img", { className: "avatar avatar-large", src: user.avatar_url, alt: "" });
    const kind = this.account.isGuest ? "Guest · playing on this browser only" : user.email;
    if (!this.editing) {
      const edit = el("button", { type: "button", className: "icon-button", "aria-label": "Edit display name" }, icon("edit"));
      edit.addEventListener("click", () => {
        this.editing = true;
        this.renderProfile();
        /** @type {HTMLInputElement} */ (part(this.profile, "input")).select();
      });
      this.profile.replaceChildren(
        avatar,
        el("div", { className: "profile-text" }, el("h2", { className: "profile-name" }, user.display_name), el("p", { className: "profile-kind" }, kind)),
        edit
      );
      return;
    }
    const input = el("input", {
      id: "display-name",
      name: "display_name",
      className: "text-field",
      maxlength: "40",
      autocomplete: "nickname",
      "aria-describedby": "display-name-error",
    });
    input.value = user.display_name;
    const message = formError("display-name-error");
    const save = el("button", { type: "submit", className: "button-primary button-small" }, "Save");
    const cancel = el("button", { type: "button", className: "button-secondary button-small" }, "Cancel");
    const form = el(
      "form",
      { className: "profile-form" },
      el("label", { for: "display-name" }, "Display name"),
      input,
      message,
      el("div", { className: "form-actions" }, cancel, save)
    );
    const stopEditing = () => {
      this.editing = false;
      this.renderProfile();
      part(this.profile, ".icon-button").focus();
    };
    cancel.addEventListener("click", stopEditing);
    form.addEventListener("keydown", (event) => {
      if (event.key === "Escape") stopEditing();
    });
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      whileBusy(save, async () => {
        try {
          this.editing = false; // the account's change renders the name back in place
          await this.account.rename(input.value);
          /** @type {HTMLElement | null} */ (this.profile.querySelector(".icon-button"))?.focus();
        } catch (error) {
          this.editing = true;
          showError(form, message, error);
        }
      });
    });
    this.profile.replaceChildren(avatar, form);
  }

  renderCoins() {
    const topUp = el("button", { type: "button", className: "button-primary button-small" }, "Top up");
    topUp.addEventListener("click", () =>
      openTopUpSheet({ sheets: this.sheets, api: this.api, wallet: this.wallet, market: this.market, onClosed: () => this.scheduleRefresh(0) })
    );
    const balance = this.wallet.balance;
    this.coins.replaceChildren(
      el(
        "div",
        {},
        el("h2", { className: "card-title", id: "coins-title" }, "Coins"),
        el("p", { className: "coins-balance", dataset: { meBalance: "" } }, balance === null ? "…" : coinAmount(balance))
      ),
      topUp
    );
  }

  /**
   * The account card, drawn anew: where its heading held the keyboard (or was about to, once Me
   * shows), the new heading takes it. Drawn again before Me showed, the card's heading that a
   * sign-out's reload was to focus had left the page, and the keyboard fell to its body (a CI run).
   */
  renderAccount() {
    const before = this.accountCard.querySelector("#account-title");
    const focused = before !== null && (document.activeElement === before || this.toFocus === before);
    this.drawAccount();
    const title = /** @type {HTMLElement | null} */ (this.accountCard.querySelector("#account-title"));
    if (!focused || title === null || title === before) return;
    title.tabIndex = -1;
    if (this.toFocus === before) this.toFocus = title;
    else title.focus({ preventScroll: true });
  }

  drawAccount() {
    const { user } = this.account;
    this.accountShown = accountKey(user);
    const title = el("h2", { className: "card-title", id: "account-title" }, "Account");
    if (this.account.isGuest && user.pending_email) {
      this.accountCard.replaceChildren(title, ...this.codeForm(user.pending_email));
      return;
    }
    if (!this.account.isGuest) {
      const signOut = el("button", { type: "button", className: "button-secondary" }, "Sign out");
      const message = formError("sign-out-error");
      signOut.addEventListener("click", () =>
        whileBusy(signOut, () =>
          this.account.signOut().catch((error) => {
            message.textContent = errorMessage(error);
          })
        )
      );
      // Accounts made before emails were verified prove theirs, or its owner may claim it.
      const unverified = user.email_verified === false;
      const verify = unverified ? el("button", { type: "button", className: "button-secondary" }, "Verify my email") : null;
      verify?.addEventListener("click", () =>
        whileBusy(verify, async () => {
          try {
            const { delivery } = await this.account.resendCode();
            this.notice = `We sent a code to ${user.email}.` + (delivery === "log" ? LOG_MAILBOX : "");
            this.accountCard.replaceChildren(title, ...this.codeForm(user.email));
          } catch (error) {
            message.textContent = errorMessage(error);
          }
        })
      );
      const parts = [
        title,
        el("p", { className: "account-email" }, "Signed in as ", el("strong", {}, this.account.user.email)),
        this.signedInNotice ? el("p", { className: "card-note", role: "status", dataset: { accountNotice: "" } }, this.signedInNotice) : null,
        unverified ? el("p", { className: "card-note" }, "Your email isn’t verified yet: until it is, its owner can claim it.") : null,
        verify,
        // Developers publish from here too: the console opens on this same account.
        el("p", { className: "card-note" }, "Make mini-programs? ", el("a", { href: "/console", target: "_blank" }, "Open the developer console")),
        message,
        signOut,
      ];
      this.accountCard.replaceChildren(.../** @type {HTMLElement[]} */ (parts.filter(Boolean)));
      return;
    }
    if (!this.signedOut) {
      this.accountCard.replaceChildren(title, ...this.guestForms());
      return;
    }
    // A sign-out reloaded the page: the keyboard goes to this card, where the person was, not to
    // the page's body (a probe: a screen reader's user lost their place).
    // A deletion says it was done: the page came back as a guest with no word of it (player52).
    const deleted = this.signedOut === "deleted";
    this.signedOut = null;
    const said = el(
      "p",
      { className: "card-note", role: "status" },
      deleted ? "Your account was deleted. This browser is a guest again." : "You signed out. This browser is a guest again."
    );
    this.accountCard.replaceChildren(title, said, ...this.guestForms());
    title.tabIndex = -1;
    this.toFocus = title;
    this.focusWhenShown();
  }

  /** Focuses what waits for it (toFocus) once Me is on screen: the first render may come before. */
  focusWhenShown() {
    if (!this.toFocus || this.root.hidden) return;
    this.toFocus.focus({ preventScroll: true });
    this.toFocus = null;
  }

  guestForms() {
    const registering = this.mode === "register";
    const tab = (mode, label) =>
      el(
        "button",
        {
          type: "button",
          className: "segment",
          "aria-pressed": String(this.mode === mode),
          onclick: () => {
            if (this.mode === mode) return;
            this.mode = mode;
            this.notice = "";
            this.renderAccount();
            part(this.accountCard, `.segment[aria-pressed="true"]`).focus();
          },
        },
        label
      );
    const email = el("input", {
      id: "account-email",
      name: "email",
      type: "email",
      className: "text-field",
      autocomplete: "email",
      required: true,
      "aria-describedby": "account-error",
    });
    const password = el("input", {
      id: "account-password",
      name: "password",
      type: "password",
      className: "text-field",
      autocomplete: registering ? "new-password" : "current-password",
      minlength: "8",
      required: true,
      "aria-describedby": "account-error",
    });
    const message = formError("account-error");
    const submit = el("button", { type: "submit", className: "button-primary" }, registering ? "Create account" : "Sign in");
    const form = el(
      "form",
      { className: "account-form", novalidate: true, "aria-label": registering ? "Create account" : "Sign in" },
      el("div", { className: "field" }, el("label", { for: "account-email" }, "Email"), email),
      el(
        "div",
        { className: "field" },
        el("label", { for: "account-password" }, "Password"),
        password,
        registering ? el("p", { className: "field-hint" }, "At least 8 characters.") : null
      ),
      registering ? null : el("p", { className: "card-note" }, "The coins you have on this browser are added to the account you sign in to."),
      message,
      submit
    );
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      whileBusy(submit, async () => {
        try {
          if (registering) {
            const { email: sentTo, delivery } = await this.account.register(email.value, password.value);
            this.notice = `We sent a 6-digit code to ${sentTo}. It works for 15 minutes.` + (delivery === "log" ? LOG_MAILBOX : "");
            this.renderAccount();
            /** @type {HTMLElement | null} */ (this.accountCard.querySelector("#account-code"))?.focus();
          } else {
            // As account.signIn does, with the answer's word on the guest's coins, which went to the account.
            const { user, guest_coins_added: added } = await this.api.signIn(email.value, password.value);
            this.signedInNotice = added > 0 ? coinsAddedNotice(added) : "";
            this.account.set(user);
          }
        } catch (error) {
          showError(form, message, error);
        }
      });
    });

    const link = el("button", { type: "button", className: "button-secondary" }, "Email me a sign-in link");
    const linkNote = el("p", { className: "card-note", role: "status" }, this.notice);
    link.addEventListener("click", () => {
      if (!email.value.trim()) {
        showError(form, message, { message: "Enter your email first.", field: "email" });
        return;
      }
      whileBusy(link, async () => {
        try {
          const { delivery } = await this.account.requestSignInLink(email.value);
          showError(form, message, null);
          this.notice = `We sent a sign-in link to ${email.value.trim()}. It works once, for 15 minutes, and asks before it signs you in.`;
          if (delivery === "log") this.notice += " In development there is no mail server: the link is printed in the server’s log.";
          linkNote.textContent = this.notice;
        } catch (error) {
          showError(form, message, error);
        }
      });
    });

    return [
      el("p", { className: "card-note" }, "You’re playing as a guest. Create an account and your coins, saves and purchases follow you to any device; sign in to one you have and your coins are added to it."),
      el("div", { className: "segmented", role: "group", "aria-label": "Account form" }, tab("register", "Create account"), tab("sign-in", "Sign in")),
      form,
      el("div", { className: "divider" }, el("span", {}, "or")),
      link,
      linkNote,
    ];
  }

  /** The code mailed to `email`: the last step of creating an account (or of proving an older one's email). */
  codeForm(email) {
    const code = el("input", {
      id: "account-code",
      name: "code",
      className: "text-field",
      inputmode: "numeric",
      autocomplete: "one-time-code",
      maxlength: "6",
      required: true,
      "aria-describedby": "code-error",
    });
    const message = formError("code-error");
    const submit = el("button", { type: "submit", className: "button-primary" }, "Verify");
    const form = el(
      "form",
      { className: "account-form", novalidate: true, "aria-label": "Verify email" },
      el("p", { className: "card-note" }, "Enter the code we emailed to ", el("strong", {}, email), ". The account is yours once the code comes back."),
      el("div", { className: "field" }, el("label", { for: "account-code" }, "Verification code"), code),
      message,
      submit
    );
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      whileBusy(submit, async () => {
        try {
          this.notice = "";
          await this.account.verifyEmail(code.value);
        } catch (error) {
          showError(form, message, error);
        }
      });
    });
    const note = el("p", { className: "card-note", role: "status" }, this.notice);
    const resend = el("button", { type: "button", className: "button-secondary" }, "Send a new code");
    resend.addEventListener("click", () =>
      whileBusy(resend, async () => {
        try {
          const { delivery } = await this.account.resendCode();
          showError(form, message, null);
          this.notice = `We sent a new code to ${email}.` + (delivery === "log" ? LOG_MAILBOX : "");
          note.textContent = this.notice;
        } catch (error) {
          showError(form, message, error);
        }
      })
    );
    const children = [form, resend, note];
    if (this.account.isGuest) {
      const other = el("button", { type: "button", className: "button-secondary" }, "Use another email");
      other.addEventListener("click", () => {
        this.notice = "";
        this.mode = "register";
        this.account.set({ ...this.account.user, pending_email: null });
      });
      children.push(other);
    }
    return children;
  }

  async loadGrants() {
    try {
      const [{ items }] = await Promise.all([this.api.authorizations(), this.loadApps()]);
      this.grants = items;
    } catch (error) {
      console.error("openminis: apps with access not loaded", error);
      this.grants = this.grants ?? [];
    }
    this.renderAccess();
  }

  async loadSubscriptions() {
    try {
      this.subscriptions = (await this.api.subscriptions()).items;
    } catch (error) {
      console.error("openminis: subscriptions not loaded", error);
      this.subscriptions = this.subscriptions ?? [];
    }
    this.renderPasses();
  }

  // Shown only to people who ever subscribed: most never do, and an empty section is noise.
  renderPasses() {
    const items = this.subscriptions || [];
    this.passes.hidden = items.length === 0;
    const title = el("h2", { className: "section-title", id: "passes-title", tabindex: "-1" }, "Drama passes");
    this.passes.replaceChildren(title, el("ul", { className: "access-list" }, items.map((item) => this.passItem(item))));
  }

  passItem(item) {
    const ends = formatDate(item.current_period_end);
    // An active pass whose every series the person now owns ends instead of renewing (nothing left to sell them).
    const active = item.renews === false ? `Ends on ${ends}: you own what it covers` : `Renews on ${ends}`;
    const state = { active, cancelled: `Cancelled · watch until ${ends}`, lapsed: `Ended on ${ends}` }[item.status] || item.status;
    const detail = `${coinsLabel(item.price)} every ${item.period_days} days · ${state}`;
    const message = el("p", { className: "form-error", role: "alert" });
    /** @type {HTMLElement[]} */
    const children = [
      el("div", { className: "access-text" }, el("p", { className: "access-name" }, item.title), el("p", { className: "access-detail" }, detail), message),
    ];
    if (item.status === "active") {
      const cancel = el("button", { type: "button", className: "button-secondary button-small", "aria-label": `Cancel ${item.title}` }, "Cancel");
      cancel.addEventListener("click", () =>
        whileBusy(cancel, async () => {
          try {
            const cancelled = await this.api.cancelSubscription(item.id);
            this.subscriptions = this.subscriptions.map((each) => (each === item ? { ...item, ...cancelled } : each));
            this.renderPasses();
            part(this.passes, ".section-title").focus(); // the button is gone: keep focus nearby
          } catch (error) {
            message.textContent = errorMessage(error);
          }
        })
      );
      children.push(cancel);
    }
    return el("li", { className: "access-item", dataset: { subscriptionId: item.id } }, ...children);
  }

  async loadReports() {
    try {
      this.myReports = (await this.api.myReports()).items;
    } catch (error) {
      console.error("openminis: reports not loaded", error);
      this.myReports = this.myReports ?? [];
    }
    this.renderReports();
  }

  // Shown only to people who ever reported something: what became of each report, in words.
  renderReports() {
    const items = this.myReports || [];
    this.reports.hidden = items.length === 0;
    const title = el("h2", { className: "section-title", id: "reports-title", tabindex: "-1" }, "Your reports");
    this.reports.replaceChildren(title, el("ul", { className: "access-list" }, items.map((item) => reportItem(item))));
  }

  // Grants name only app ids; the hub's lists give their names and icons.
  async loadApps() {
    if (this.apps) return;
    const lists = await Promise.all(["game", "drama"].map((kind) => this.api.hub(kind).catch(() => ({ items: [] }))));
    this.apps = new Map(lists.flatMap(({ items }) => items.map((card) => [card.app_id, card])));
  }

  renderAccess() {
    const title = el("h2", { className: "section-title", id: "access-title", tabindex: "-1" }, "Apps with access");
    if (this.grants === null) {
      this.access.replaceChildren(title, el("p", { className: "card-note" }, "Loading…"));
      return;
    }
    if (this.grants.length === 0) {
      this.access.replaceChildren(title, el("p", { className: "card-note" }, "No app has signed you in yet."));
      return;
    }
    const items = this.grants.map((grant) => this.grantItem(grant));
    this.access.replaceChildren(title, el("ul", { className: "access-list" }, items));
  }

  grantItem(grant) {
    const card = this.apps?.get(grant.app_id) || { app_id: grant.app_id, name: grant.app_id, icon_url: null };
    const detail = `${grant.profile ? "Name and profile picture" : "Sign-in only"} · since ${formatDate(grant.granted_at)}`;
    const revoke = el("button", { type: "button", className: "button-secondary button-small", "aria-label": `Revoke ${card.name}’s access` }, "Revoke");
    const message = el("p", { className: "form-error", role: "alert" });
    revoke.addEventListener("click", () =>
      whileBusy(revoke, async () => {
        try {
          await this.api.revokeAuthorization(grant.app_id);
          this.grants = this.grants.filter((item) => item !== grant);
          this.renderAccess();
          part(this.access, ".section-title").focus(); // the button is gone: keep focus nearby
        } catch (error) {
          message.textContent = errorMessage(error);
        }
      })
    );
    return el(
      "li",
      { className: "access-item", dataset: { appId: grant.app_id } },
      appIcon(card, "small"),
      el("div", { className: "access-text" }, el("p", { className: "access-name" }, card.name), el("p", { className: "access-detail" }, detail), message),
      revoke
    );
  }
}

const REPORTED = { post: "Post", creator: "Creator", app: "App", series: "Series", episode: "Episode" };
const OUTCOMES = {
  open: "Under review",
  taken_down: "Removed after review. Thank you for reporting it.",
  restored: "Removed after review, then put back after a further review.",
  dismissed: "Reviewed: it breaks no rule, so it stays.",
};

/** One of the person's reports: what, why, when, and what a moderator made of it. */
function reportItem(item) {
  const what = item.title ?? "No longer on openminis";
  const detail = `${REPORTED[item.kind] ?? item.kind} · ${reasonLabel(item.reason)} · reported ${formatDate(item.created_at)}`;
  return el(
    "li",
    { className: "access-item", dataset: { reportOutcome: item.outcome } },
    el(
      "div",
      { className: "access-text" },
      el("p", { className: "access-name" }, what),
      el("p", { className: "access-detail" }, detail),
      el("p", { className: "access-detail report-outcome" }, OUTCOMES[item.outcome] ?? item.outcome)
    )
  );
}
