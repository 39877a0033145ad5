// The platform's HTTP API as the host page uses it: same origin, cookie auth,
// a CSRF token on every request that changes state.

export class ApiError extends Error {
  constructor(status, code, message, field) {
    super(message || code);
    this.name = "ApiError";
    this.status = status; // 0 when the server could not be reached
    this.code = code;
    this.field = field;
  }
}

/** What to tell the person about a failed request, from the error envelope's message. */
export function errorMessage(error) {
  if (error?.code === "NETWORK_ERROR") return "Couldn’t reach openminis. Check your connection and try again.";
  return error?.message || "Something went wrong. Try again.";
}

export class Api {
  constructor(csrfToken) {
    this.csrfToken = csrfToken;
  }

  async request(method, path, { body, signal, keepalive = false } = {}) {
    const headers = { Accept: "application/json" };
    if (body !== undefined) headers["Content-Type"] = "application/json";
    if (method !== "GET") headers["X-CSRF-Token"] = this.csrfToken;
    let response;
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
      if (error.name === "AbortError") throw error;
      throw new ApiError(0, "NETWORK_ERROR", "the platform could not be reached");
    }
    const payload = await response.json().catch(() => null);
    if (!response.ok) {
      throw new ApiError(
        response.status,
        payload?.code || "INTERNAL",
        payload?.message || `HTTP ${response.status}`,
        payload?.field
      );
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

  search(q, signal) {
    return this.request("GET", `/api/search?q=${encodeURIComponent(q)}`, { signal });
  }

  recents() {
    return this.request("GET", "/api/recents");
  }

  recordLaunch(launchId, appId, source) {
    return this.request("POST", "/api/launches", {
      body: { launch_id: launchId, app_id: appId, source },
    });
  }

  storagePath(appId, key) {
    return `/api/apps/${encodeURIComponent(appId)}/storage/${encodeURIComponent(key)}`;
  }

  async storageGet(appId, key) {
    const { value } = await this.request("GET", this.storagePath(appId, key));
    return value ?? null;
  }

  async storageSet(appId, key, value) {
    await this.request("PUT", this.storagePath(appId, key), { body: { value } });
  }

  async storageRemove(appId, key) {
    await this.request("DELETE", this.storagePath(appId, key));
  }

  // The person: profile, account, and what apps they let in (identity/api.py).

  me() {
    return this.request("GET", "/api/me");
  }

  rename(displayName) {
    return this.request("PATCH", "/api/me", { body: { display_name: displayName } });
  }

  register(email, password) {
    return this.request("POST", "/api/account/register", { body: { email, password } });
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

  coinPacks(market) {
    return this.request("GET", `/api/wallet/packs?market=${encodeURIComponent(market)}`);
  }

  startTopUp(packId, market) {
    return this.request("POST", "/api/wallet/topups", { body: { pack_id: packId, market } });
  }

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

  purchase(appId, { productId, quantity, payload, idempotencyKey }) {
    return this.request("POST", `${this.appPath(appId)}/purchases`, {
      body: { product_id: productId, quantity, payload, idempotency_key: idempotencyKey },
    });
  }

  order(appId, orderId) {
    return this.request("GET", `${this.appPath(appId)}/orders/${encodeURIComponent(orderId)}`);
  }

  payOrder(appId, orderId) {
    return this.request("POST", `${this.appPath(appId)}/orders/${encodeURIComponent(orderId)}/pay`);
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
  playback(seriesId, number, { signal } = {}) {
    return this.request("POST", `${this.dramaPath(seriesId)}/episodes/${number}/playback`, { signal });
  }

  /** `{method: "coins"}` or `{method: "ad", adId}`; answers `{number, access}`. */
  unlockEpisode(seriesId, number, { method, adId }) {
    const body = method === "ad" ? { method, ad_id: adId } : { method };
    return this.request("POST", `${this.dramaPath(seriesId)}/episodes/${number}/unlock`, { body });
  }

  buySeries(seriesId) {
    return this.request("POST", `${this.dramaPath(seriesId)}/purchase`);
  }

  /** `keepalive` lets the last save of a closing page still reach the platform. */
  saveProgress(seriesId, number, positionMs, { keepalive = false } = {}) {
    return this.request("PUT", `${this.dramaPath(seriesId)}/progress`, {
      body: { episode_number: number, position_ms: Math.max(0, Math.round(positionMs)) },
      keepalive,
    });
  }

  subscribe(passId) {
    return this.request("POST", `/api/passes/${encodeURIComponent(passId)}/subscribe`);
  }

  dramaPath(seriesId) {
    return `/api/dramas/${encodeURIComponent(seriesId)}`;
  }

  // Ads: the host asks for an ad on an app's behalf and reports how it was watched (docs/ads.md).

  /** An auction for one of the app's units; 404 NO_FILL, 409 FREQUENCY_CAPPED or INTERVAL_NOT_ELAPSED. */
  requestAd({ appId, unitId, launchId, market }) {
    return this.request("POST", "/api/ads/requests", {
      body: { app_id: appId, unit_id: unitId, launch_id: launchId || undefined, market: market || undefined },
    });
  }

  adImpression(adId) {
    return this.request("POST", `${this.adPath(adId)}/impression`);
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

  // Events need no CSRF token, so the same body also goes out through sendBeacon on pagehide.
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
