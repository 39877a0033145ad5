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

export class Api {
  constructor(csrfToken) {
    this.csrfToken = csrfToken;
  }

  async request(method, path, { body, signal } = {}) {
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
