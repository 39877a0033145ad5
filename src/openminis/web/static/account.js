// The person using the host: a guest (made on their first visit) or a full account. Everything
// that changes who they are goes through here, so the header, the Me screen and the sheets all
// show the same name.

// @ts-check

/**
 * Called with the platform's UserOut; `switched` when it is another person than before.
 * @typedef {(user: Record<string, any>, change?: {switched?: boolean}) => void} UserListener
 */

/** Set by a sign-out for the page its reload brings (me.js reads it once). */
export const SIGNED_OUT = "minis-signed-out";

export class Account {
  /**
   * @param {import("./api.js").Api} api
   * @param {Record<string, any>} user the server-rendered `config.user`, until /api/me answers
   */
  constructor(api, user) {
    this.api = api;
    /** @type {Record<string, any>} the platform's UserOut */
    this.user = { email: null, avatar_url: `/api/avatars/${user.id}.svg`, ...user };
    /** @type {Set<UserListener>} */
    this.listeners = new Set();
  }

  get isGuest() {
    return this.user.kind !== "full";
  }

  /**
   * `callback(user)` now and whenever the person or their profile changes.
   * @param {UserListener} callback
   */
  watch(callback) {
    this.listeners.add(callback);
    callback(this.user);
    return () => this.listeners.delete(callback);
  }

  set(user) {
    if (JSON.stringify(user) === JSON.stringify(this.user)) return; // a refresh that changed nothing
    const switched = user.id !== this.user.id;
    this.user = user;
    for (const callback of this.listeners) callback(user, { switched });
  }

  async load() {
    const { user } = await this.api.me();
    this.set(user);
  }

  async rename(displayName) {
    this.set(await this.api.rename(displayName));
  }

  /** Asks for an account: a code goes to the email, and the person stays a guest until it comes back. */
  async register(email, password) {
    const sent = await this.api.register(email, password);
    this.set({ ...this.user, pending_email: sent.email });
    return sent;
  }

  /** The code from the email: the guest becomes a full account; everything they had (coins, saves, purchases) stays. */
  async verifyEmail(code) {
    this.set(await this.api.verifyEmail(code));
  }

  /** Another code to the email waiting for one (or to an older account's unproved email). */
  async resendCode() {
    const sent = await this.api.resendCode();
    if (this.isGuest) this.set({ ...this.user, pending_email: sent.email });
    return sent;
  }

  /** Switches this browser to the account: a new session, so a new CSRF token (api.js keeps it). */
  async signIn(email, password) {
    const { user } = await this.api.signIn(email, password);
    this.set(user);
  }

  requestSignInLink(email) {
    return this.api.requestSignInLink(email);
  }

  /** Ends the session; the reload makes this browser a fresh guest, with nothing of the account left in memory. */
  async signOut() {
    await this.api.signOut();
    // The reloaded Me page says so and puts the keyboard back on its account card (me.js).
    try {
      sessionStorage.setItem(SIGNED_OUT, "1");
    } catch {
      // storage refused (a private window's quota): the page reloads all the same
    }
    location.reload();
  }
}
