// The platform's HTTP API as the host page uses it: same origin, cookie auth,
// a CSRF token on every request that changes state.
// @ts-check

import { randomHex } from "./ids.js";

/**
 * What request() takes besides the method and path.
 * @typedef {{body?: unknown, signal?: AbortSignal, keepalive?: boolean}} RequestOptions
 */

export class ApiError extends Error {
  /**
   * @param {number} status the HTTP status, 0 when the server could not be reached
   * @param {string} code the error envelope's code
   * @param {string} [message]
   * @param {string} [field] the request field the error is about, if any
   */
  constructor(status, code, message, field) {
    super(message || code);
    this.name = "ApiError";
    this.status = status; // 0 when the server could not be reached
    this.code = code;
    this.field = field;
    /**
     * PRICE_CHANGED: the price now in effect.
     * @type {{amount: number, currency: string, coins?: number} | undefined}
     */
    this.price = undefined;
  }
}

/**
 * What to tell the person about a failed request, from the error envelope's message.
 * @param {any} error whatever was thrown
 * @returns {string}
 */
export function errorMessage(error) {
  if (error?.code === "NETWORK_ERROR") return "Couldn’t reach openminis. Check your connection and try again.";
  return error?.message || "Something went wrong. Try again.";
}

/**
 * POSTs a file as the raw body. XMLHttpRequest, not fetch: only it reports upload progress
 * (`onProgress(0..1)`). Answers the JSON body, or rejects with an ApiError (or an AbortError).
 * @param {string} path
 * @param {Blob} body
 * @param {string} contentType
 * @param {string} csrfToken
 * @param {{onProgress?: (fraction: number) => void, signal?: AbortSignal}} [options]
 * @returns {Promise<any>}
 */
export function uploadWithProgress(path, body, contentType, csrfToken, { onProgress = () => {}, signal } = {}) {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open("POST", path);
    xhr.setRequestHeader("Accept", "application/json");
    xhr.setRequestHeader("Content-Type", contentType);
    xhr.setRequestHeader("X-CSRF-Token", csrfToken);
    xhr.responseType = "json";
    xhr.upload.addEventListener("progress", (event) => {
      if (event.lengthComputable) onProgress(event.loaded / event.total);
    });
    xhr.addEventListener("load", () => {
      const payload = xhr.response;
      if (xhr.status >= 200 && xhr.status < 300) resolve(payload);
      else reject(new ApiError(xhr.status, payload?.code || "INTERNAL", payload?.message || `HTTP ${xhr.status}`, payload?.field));
    });
    xhr.addEventListener("error", () => reject(new ApiError(0, "NETWORK_ERROR", "the platform could not be reached")));
    xhr.addEventListener("abort", () => reject(new DOMException("upload aborted", "AbortError")));
    signal?.addEventListener("abort", () => xhr.abort(), { once: true });
    xhr.send(body);
  });
}

// A GET answered 503 or 429 with a short Retry-After (the server was busy for a moment: its
// database queue was full, say) is sent again after that wait, twice at most, so that a burst
// does not leave the hub or the feed empty. Only GETs, which change nothing: a request that
// changes something is the person's to send again (a purchase keeps its idempotency key).
const BUSY_RETRIES = 2;
const LONGEST_BUSY_WAIT_S = 5;

/**
 * How long to wait before sending a GET again, in ms, or null if it should not be sent again.
 * @param {Response} response
 * @returns {number | null}
 */
export function busyWait(response) {
  if (response.status !== 503 && response.status !== 429) return null;
  const header = response.headers.get("Retry-After")?.trim();
  // Seconds only: absent, empty or an HTTP date is not a short wait to honour.
  const seconds = header ? Number(header) : Number.NaN;
  if (!Number.isFinite(seconds) || seconds < 0 || seconds > LONGEST_BUSY_WAIT_S) return null;
  return seconds * 1000;
}

/**
 * Resolves after `ms`, or rejects with an AbortError when `signal` aborts first.
 * @param {number} ms
 * @param {AbortSignal} [signal]
 * @returns {Promise<void>}
 */
function pause(ms, signal) {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(new DOMException("request aborted", "AbortError"));
    const aborted = () => {
      clearTimeout(timer);
      reject(new DOMException("request aborted", "AbortError"));
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener("abort", aborted);
      resolve();
    }, ms);
    signal?.addEventListener("abort", aborted, { once: true });
  });
}

export class Api {
  /** @param {string} csrfToken */
  constructor(csrfToken) {
    this.csrfToken = csrfToken;
    /**
     * Per app, the last storage write sent: the next write, and every read, go after it.
     * @type {Map<string, Promise<unknown>>}
     */
    this.storageWrites = new Map();
    /**
     * This page's watch-progress saves, numbered: sent in order, they may be answered out of order
     * on a busy server, and the server keeps the latest of one page's (drama/access.py).
     */
    this.progressPage = randomHex(12);
    this.progressSeq = 0;
  }

  /**
   * The JSON answer; throws ApiError for an error envelope or an unreachable server.
   * @param {string} method
   * @param {string} path
   * @param {RequestOptions} [options]
   * @returns {Promise<any>}
   */
  async request(method, path, { body, signal, keepalive = false } = {}) {
    /** @type {Record<string, string>} */
    const headers = { Accept: "application/json" };
    if (body !== undefined) headers["Content-Type"] = "application/json";
    if (method !== "GET") headers["X-CSRF-Token"] = this.csrfToken;
    let response;
    for (let attempt = 0; ; attempt += 1) {
      try {
        response = await fetch(path, {
          method,
          headers,
          body: body === undefined ? undefined : JSON.stringify(body),
          credentials: "same-origin",
          signal,
          keepalive,
        });
      } catch (error) {
        if (/** @type {Error} */ (error).name === "AbortError") throw error;
        throw new ApiError(0, "NETWORK_ERROR", "the platform could not be reached");
      }
      const wait = method === "GET" && attempt < BUSY_RETRIES ? busyWait(response) : null;
      if (wait === null) break;
      // Up to half as long again, at random: the pages one burst turned away do not all come
      // back at the same instant (the server says 1 s to every one of them).
      await pause(wait * (1 + Math.random() / 2), signal);
    }
    const payload = await response.json().catch(() => null);
    if (!response.ok) {
      const error = new ApiError(
        response.status,
        payload?.code || "INTERNAL",
        payload?.message || `HTTP ${response.status}`,
        payload?.field
      );
      // PRICE_CHANGED says the price now in effect ({amount, currency, coins?}), for a new confirmation.
      if (payload?.price) error.price = payload.price;
      throw error;
    }
    return payload;
  }

  feed(cursor, limit = 10) {
    const query = new URLSearchParams({ limit: String(limit) });
    if (cursor) query.set("cursor", cursor);
    return this.request("GET", `/api/feed?${query}`);
  }

  hub(kind) {
    return this.request("GET", `/api/hub?kind=${encodeURIComponent(kind)}`);
  }

  /** The hub's shelves in one call (feed/hub.py): `{sections: [{id, title, layout, cards, ranked, dramas}]}`. */
  hubSections() {
    return this.request("GET", "/api/hub/sections");
  }

  search(q, signal) {
    return this.request("GET", `/api/search?q=${encodeURIComponent(q)}`, { signal });
  }

  recents() {
    return this.request("GET", "/api/recents");
  }

  /**
   * `via` says more about the source: `{post_id}` for a creator's post (the platform finds the
   * creator from it), `{share}` for a share link's code (the platform reads the sharer, and a
   * shared post and its creator, from it). Other fields of `via` stay in the page.
   */
  recordLaunch(launchId, appId, source, via = {}) {
    const body = { launch_id: launchId, app_id: appId, source };
    if (source === "post" && via.post_id) body.post_id = via.post_id;
    if (source === "share" && via.share) body.share = via.share;
    return this.request("POST", "/api/launches", { body });
  }

  /** A link to an app, a series, an episode or a post: `{kind, app_id?, series_id?, episode?, post_id?}`; answers `{code, url}`. */
  share(target) {
    return this.request("POST", "/api/share", { body: target });
  }

  storagePath(appId, key) {
    return `/api/apps/${encodeURIComponent(appId)}/storage/${encodeURIComponent(key)}`;
  }

  // An app's storage calls reach the platform in the order the app made them: requests in flight
  // at once are served in any order, so a read sent after a write (a restarted app reading what
  // its onHide saved, on a busy server) overtook it and found the value before; and of two writes
  // of one key the first could land last. Writes go one after another; a read waits for the
  // writes sent before it (not for other reads). A failed write fails only its own call.

  async storageGet(appId, key) {
    await this.storageWritesBefore(appId);
    const { value } = await this.request("GET", this.storagePath(appId, key));
    return value ?? null;
  }

  async storageSet(appId, key, value) {
    await this.storageWrite(appId, () => this.request("PUT", this.storagePath(appId, key), { body: { value } }));
  }

  async storageRemove(appId, key) {
    await this.storageWrite(appId, () => this.request("DELETE", this.storagePath(appId, key)));
  }

  /** @param {string} appId @param {() => Promise<unknown>} send */
  storageWrite(appId, send) {
    const sent = this.storageWritesBefore(appId).then(send);
    this.storageWrites.set(appId, sent);
    return sent;
  }

  /** Settles once the app's writes sent so far have been answered, failed ones too. */
  storageWritesBefore(appId) {
    return (this.storageWrites.get(appId) ?? Promise.resolve()).catch(() => {});
  }

  // The person: profile, account, and what apps they let in (identity/api.py).

  me() {
    return this.request("GET", "/api/me");
  }

  rename(displayName) {
    return this.request("PATCH", "/api/me", { body: { display_name: displayName } });
  }

  /** Asks for an account: answers `{email, delivery}`; the code mailed there finishes it (verifyEmail). */
  register(email, password) {
    return this.request("POST", "/api/account/register", { body: { email, password } });
  }

  verifyEmail(code) {
    return this.request("POST", "/api/account/verify", { body: { code } });
  }

  resendCode() {
    return this.request("POST", "/api/account/verification");
  }

  /** Signs this browser in to another account; the CSRF token changes with the session. */
  async signIn(email, password) {
    const answer = await this.request("POST", "/api/account/sign-in", { body: { email, password } });
    this.csrfToken = answer.csrf_token;
    return answer;
  }

  requestSignInLink(email) {
    return this.request("POST", "/api/account/link", { body: { email } });
  }

  signOut() {
    return this.request("POST", "/api/account/sign-out");
  }

  authorizations() {
    return this.request("GET", "/api/authorizations");
  }

  revokeAuthorization(appId) {
    return this.request("DELETE", `/api/authorizations/${encodeURIComponent(appId)}`);
  }

  loginCode(appId) {
    return this.request("POST", `${this.appPath(appId)}/login-code`);
  }

  profileConsent(appId) {
    return this.request("POST", `${this.appPath(appId)}/profile-consent`);
  }

  // Coins: the wallet, packs and top-ups (payments/api.py).

  wallet() {
    return this.request("GET", "/api/wallet");
  }

  /**
   * The person's coin movements, newest first; `cursor` continues where a page ended.
   * @param {string | null} [cursor]
   * @param {number} [limit]
   */
  walletHistory(cursor = null, limit = 20) {
    const query = new URLSearchParams({ limit: String(limit) });
    if (cursor) query.set("cursor", cursor);
    return this.request("GET", `/api/wallet/history?${query}`);
  }

  /** The person's top-ups still settling at the provider. */
  unsettledTopUps() {
    return this.request("GET", "/api/wallet/topups");
  }

  coinPacks(market) {
    return this.request("GET", `/api/wallet/packs?market=${encodeURIComponent(market)}`);
  }

  /** At the price and for the coins the person saw: `pack` as coinPacks() listed it. */
  startTopUp(pack, market) {
    const body = { pack_id: pack.id, market, amount: pack.amount, currency: pack.currency, coins: pack.coins + pack.bonus_coins };
    return this.request("POST", "/api/wallet/topups", { body });
  }

  /**
   * @param {string} topUpId
   * @param {{signal?: AbortSignal}} [options]
   */
  topUp(topUpId, { signal } = {}) {
    return this.request("GET", `/api/wallet/topups/${encodeURIComponent(topUpId)}`, { signal });
  }

  sandboxPay(topUpId, cardNumber) {
    return this.request("POST", `/api/wallet/topups/${encodeURIComponent(topUpId)}/sandbox/pay`, {
      body: { card_number: cardNumber },
    });
  }

  sandboxChallenge(topUpId, approve) {
    return this.request("POST", `/api/wallet/topups/${encodeURIComponent(topUpId)}/sandbox/challenge`, {
      body: { approve },
    });
  }

  // What apps sell, and what the person bought (payments/api.py).

  products(appId) {
    return this.request("GET", `${this.appPath(appId)}/products`);
  }

  // `launchId`: the launch the person is buying in, so the platform credits where they came from.
  // `amount`: the coins the person confirmed; at any other price the platform answers 409
  // PRICE_CHANGED (error.price is the price now) and charges nothing.

  // `couponId`: a coupon the person holds and chose; `amount` is then the price less its discount.
  purchase(appId, { productId, quantity, payload, idempotencyKey, launchId, amount, couponId }) {
    return this.request("POST", `${this.appPath(appId)}/purchases`, {
      body: {
        product_id: productId,
        quantity,
        payload,
        idempotency_key: idempotencyKey,
        amount,
        currency: "COIN",
        launch_id: launchId || undefined,
        coupon_id: couponId || undefined,
      },
    });
  }

  // The person's coupons usable in the app now; with a product, each with what it takes off
  // `quantity` of it (payments/api.py).
  /** @param {string} appId @param {{productId?: string, quantity?: number}} [options] */
  coupons(appId, { productId, quantity } = {}) {
    const query = new URLSearchParams();
    if (productId) query.set("product_id", productId);
    if (quantity) query.set("quantity", String(quantity));
    const tail = query.toString() ? `?${query}` : "";
    return this.request("GET", `${this.appPath(appId)}/coupons${tail}`);
  }

  claimCoupon(code) {
    return this.request("POST", "/api/coupons/claim", { body: { code } });
  }

  order(appId, orderId) {
    return this.request("GET", `${this.appPath(appId)}/orders/${encodeURIComponent(orderId)}`);
  }

  payOrder(appId, orderId, { launchId, amount }) {
    return this.request("POST", `${this.appPath(appId)}/orders/${encodeURIComponent(orderId)}/pay`, {
      body: { amount, currency: "COIN", launch_id: launchId || undefined },
    });
  }

  purchases(appId) {
    return this.request("GET", `${this.appPath(appId)}/purchases`);
  }

  // Short dramas: series, what the person may watch, unlocks and playback (drama/api.py).

  dramas() {
    return this.request("GET", "/api/dramas");
  }

  drama(seriesId) {
    return this.request("GET", this.dramaPath(seriesId));
  }

  /** Signed, expiring media URLs of an episode; 402 EPISODE_LOCKED when the person may not watch it. */
  /** `bound: "person"` for a drama app's own player (its origin never gets the host's session cookie). */
  /**
   * @param {string} seriesId
   * @param {number} number
   * @param {{signal?: AbortSignal, bound?: "session" | "person"}} [options]
   */
  playback(seriesId, number, { signal, bound = "session" } = {}) {
    const query = bound === "session" ? "" : `?bound=${bound}`;
    return this.request("POST", `${this.dramaPath(seriesId)}/episodes/${number}/playback${query}`, { signal });
  }

  /** `{method: "coins", amount}` (the price confirmed) or `{method: "ad", adId}`, and the launch it happens in; answers `{number, access}`. */
  /**
   * @param {string} seriesId
   * @param {number} number
   * @param {{method: string, adId?: string, launchId?: string | null, amount?: number}} unlock
   */
  unlockEpisode(seriesId, number, { method, adId, launchId, amount }) {
    /** @type {Record<string, unknown>} */
    const body = method === "ad" ? { method, ad_id: adId } : { method, amount, currency: "COIN" };
    if (launchId) body.launch_id = launchId;
    return this.request("POST", `${this.dramaPath(seriesId)}/episodes/${number}/unlock`, { body });
  }

  buySeries(seriesId, { launchId, amount }) {
    return this.request("POST", `${this.dramaPath(seriesId)}/purchase`, {
      body: { amount, currency: "COIN", launch_id: launchId || undefined },
    });
  }

  /** `keepalive` lets the last save of a closing page still reach the platform. */
  /**
   * @param {string} seriesId
   * @param {number} number
   * @param {number} positionMs
   * @param {{keepalive?: boolean}} [options]
   */
  saveProgress(seriesId, number, positionMs, { keepalive = false } = {}) {
    return this.request("PUT", `${this.dramaPath(seriesId)}/progress`, {
      body: { episode_number: number, position_ms: Math.max(0, Math.round(positionMs)), page: this.progressPage, seq: ++this.progressSeq },
      keepalive,
    });
  }

  // The developer console ------------------------------------------------------------------

  developerApps() {
    return this.request("GET", "/api/developer/apps");
  }

  becomeDeveloper(name) {
    return this.request("POST", "/api/developer", { body: { name } });
  }

  /** Daily active, new and returning people and cohort retention of one of the developer's apps. */
  /**
   * @param {string} appId
   * @param {{from?: string, to?: string}} [range] days, YYYY-MM-DD
   */
  appActivity(appId, { from, to } = {}) {
    const query = new URLSearchParams(/** @type {string[][]} */ (Object.entries({ from, to }).filter(([, value]) => value)));
    return this.request("GET", `/api/developer/apps/${encodeURIComponent(appId)}/reports/activity?${query}`);
  }

  /** Exposure -> click -> launch -> ready -> paid or rewarded, by source, app or creator. */
  /**
   * @param {string} appId
   * @param {{by?: string, from?: string, to?: string}} [options]
   */
  appFunnel(appId, { by = "source", from, to } = {}) {
    const query = new URLSearchParams(/** @type {string[][]} */ (Object.entries({ by, from, to }).filter(([, value]) => value)));
    return this.request("GET", `/api/developer/apps/${encodeURIComponent(appId)}/reports/funnel?${query}`);
  }

  /** The person's reports, newest first, with what a moderator made of each. */
  myReports() {
    return this.request("GET", "/api/reports");
  }

  /** The person's drama passes, newest first, with what each is for. */
  subscriptions() {
    return this.request("GET", "/api/subscriptions");
  }

  /** Stops renewal; the paid period runs to its end. */
  cancelSubscription(subscriptionId) {
    return this.request("POST", `/api/subscriptions/${encodeURIComponent(subscriptionId)}/cancel`);
  }

  subscribe(passId, { launchId, amount }) {
    return this.request("POST", `/api/passes/${encodeURIComponent(passId)}/subscribe`, {
      body: { amount, currency: "COIN", launch_id: launchId || undefined },
    });
  }

  dramaPath(seriesId) {
    return `/api/dramas/${encodeURIComponent(seriesId)}`;
  }

  // Ads: the host asks for an ad on an app's behalf and reports how it was watched (docs/ads.md).

  /** An auction for one of the app's units; 404 NO_FILL, 409 FREQUENCY_CAPPED or INTERVAL_NOT_ELAPSED. */
  /** @param {{appId: string, unitId: string, launchId?: string | null, market?: string}} request */
  requestAd({ appId, unitId, launchId, market }) {
    return this.request("POST", "/api/ads/requests", {
      body: { app_id: appId, unit_id: unitId, launch_id: launchId || undefined, market: market || undefined },
    });
  }

  /** The creative is on screen: the signed show token that lets its impression be billed (once). */
  adShown(adId) {
    return this.request("POST", `${this.adPath(adId)}/shown`);
  }

  adImpression(adId, showToken) {
    return this.request("POST", `${this.adPath(adId)}/impression`, { body: { show_token: showToken } });
  }

  adComplete(adId, watchedMs, visible) {
    return this.request("POST", `${this.adPath(adId)}/complete`, { body: { watched_ms: Math.round(watchedMs), visible } });
  }

  adClick(adId) {
    return this.request("POST", `${this.adPath(adId)}/click`);
  }

  adClose(adId, watchedMs) {
    return this.request("POST", `${this.adPath(adId)}/close`, { body: { watched_ms: Math.round(watchedMs) } });
  }

  adPath(adId) {
    return `/api/ads/${encodeURIComponent(adId)}`;
  }

  appPath(appId) {
    return `/api/apps/${encodeURIComponent(appId)}`;
  }

  // Creators: their profile, their posts and what the posts earned (creators/api.py).

  /** The signed-in person's creator profile; 404 NOT_FOUND when they are not a creator. */
  creator() {
    return this.request("GET", "/api/creator");
  }

  /** The signed-in person's creator profile, or null when they are not a creator (no failed request). */
  async myCreator() {
    const { creator } = await this.request("GET", "/api/me/creator");
    return creator;
  }

  becomeCreator({ handle, displayName, bio }) {
    return this.request("POST", "/api/creator", { body: { handle, display_name: displayName, bio } });
  }

  creatorPosts() {
    return this.request("GET", "/api/creator/posts");
  }

  deletePost(postId) {
    return this.request("DELETE", `/api/creator/posts/${encodeURIComponent(postId)}`);
  }

  earnings(cursor) {
    return this.request("GET", `/api/creator/earnings${cursor ? `?cursor=${encodeURIComponent(cursor)}` : ""}`);
  }

  /** A published post (PostOut), as the feed shows it: what a share link to a post opens. */
  post(postId) {
    return this.request("GET", `/api/posts/${encodeURIComponent(postId)}`);
  }

  /** Like (or unlike) a post: `{post_id, liked, likes}`. A guest gets 403 SIGN_IN_REQUIRED. */
  likePost(postId, liked) {
    return this.request(liked ? "PUT" : "DELETE", `/api/posts/${encodeURIComponent(postId)}/like`);
  }

  /** Follow (or unfollow) a creator by handle or id: `{creator, following, followers}`. */
  followCreator(handle, following) {
    return this.request(following ? "PUT" : "DELETE", `/api/creators/${encodeURIComponent(handle)}/follow`);
  }

  /** A creator's public page: `{creator, followers, following, posts, apps}`. */
  creatorProfile(handle) {
    return this.request("GET", `/api/creators/${encodeURIComponent(handle)}`);
  }

  /** The Following tab: posts of the creators the person follows, newest first. */
  following(cursor, limit = 10) {
    const query = new URLSearchParams({ limit: String(limit) });
    if (cursor) query.set("cursor", cursor);
    return this.request("GET", `/api/following?${query}`);
  }

  /**
   * Uploads a post's video as the raw request body, its caption and anchor in the query.
   * XMLHttpRequest, not fetch: only it reports upload progress (`onProgress(0..1)`).
   * `anchor`: null, or `{kind, app_id, series_id?, episode?}`.
   */
  /**
   * @param {File} file
   * @param {{caption: string, anchor: {kind: string, app_id: string, series_id?: string, episode?: number} | null}} post
   * @param {{onProgress?: (fraction: number) => void, signal?: AbortSignal}} [options]
   * @returns {Promise<any>}
   */
  uploadPost(file, { caption, anchor }, { onProgress = () => {}, signal } = {}) {
    const query = new URLSearchParams({ caption });
    if (anchor) {
      query.set("anchor_kind", anchor.kind);
      query.set("anchor_app_id", anchor.app_id);
      if (anchor.series_id) query.set("anchor_series_id", anchor.series_id);
      if (anchor.episode) query.set("anchor_episode", String(anchor.episode));
    }
    return uploadWithProgress(`/api/creator/posts?${query}`, file, file.type || "video/mp4", this.csrfToken, {
      onProgress,
      signal,
    });
  }

  // Events need no CSRF token, so the same body also goes out through sendBeacon on pagehide.
  /**
   * @param {object[]} events
   * @param {{beacon?: boolean}} [options]
   * @returns {Promise<void>}
   */
  sendEvents(events, { beacon = false } = {}) {
    const body = JSON.stringify({ events });
    if (beacon && navigator.sendBeacon) {
      navigator.sendBeacon("/api/events", new Blob([body], { type: "application/json" }));
      return Promise.resolve();
    }
    return fetch("/api/events", {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body,
      credentials: "same-origin",
      keepalive: true,
    }).then(() => undefined);
  }
}
