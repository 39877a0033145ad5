// The host side of the SDK bridge (docs/sdk-protocol.md): one Bridge per app iframe.
// Methods live in a registry so that features (login, pay, ads) add theirs without
// touching this file: registerMethod("pay", {states: [...], handler}).
// @ts-check

import { ApiError } from "./api.js";

const STATES = ["loading", "initialized", "ready", "closed"];
/** The states of an app that has called init: where most methods are allowed. @type {BridgeState[]} */
export const RUNNING = ["initialized", "ready"];
const RATE_PER_SECOND = 100;
const RATE_BURST = 200;

// The codes an app may branch on (minis-sdk.d.ts ErrorCode); anything else becomes INTERNAL.
const APP_ERROR_CODES = new Set([
  "NOT_INITIALIZED",
  "INVALID_ARGUMENT",
  "NOT_ALLOWED",
  "UNKNOWN_METHOD",
  "RATE_LIMITED",
  "TIMEOUT",
  "STORAGE_QUOTA_EXCEEDED",
  "NETWORK_ERROR",
  "USER_CANCELLED",
  "USER_DENIED",
  "INSUFFICIENT_FUNDS",
  "PRICE_CHANGED",
  "ALREADY_OWNED",
  "NOT_FOUND",
  "PAYMENT_DECLINED",
  "EPISODE_LOCKED",
  "AD_UNLOCK_LIMIT",
  "AD_UNLOCK_DISABLED",
  "NO_FILL",
  "FREQUENCY_CAPPED",
  "INTERVAL_NOT_ELAPSED",
  "NOT_READY",
  "CLIENT_SCORES_OFF",
  "TOURNAMENT_ENDED",
  "INTERNAL",
]);

/** @typedef {"loading" | "initialized" | "ready" | "closed"} BridgeState */

/**
 * A bridge method: the states it may be called in, its handler, and the state a success enters.
 * `params` is the request's object as the frame posted it: the handler checks every field.
 * `session` is launcher.js's AppSession (any here: bridge.js must not import the launcher).
 * @typedef {object} BridgeMethod
 * @property {readonly string[]} states
 * @property {(params: Record<string, any>, session: any) => unknown} handler
 * @property {BridgeState} [enters]
 */

/** @type {Map<string, BridgeMethod>} */
const methods = new Map(); // name -> {states, handler, enters}

/**
 * One message on a bridge, as an observer sees it: a request as the frame posted it, the answer
 * the host sent back (matched by `id`), or an event the host sent.
 * @typedef {{appId: string, kind: "request", id: number, method: string, params: Record<string, any>}
 *   | {appId: string, kind: "response", id: number, ok: boolean, result?: unknown, error?: {code: string, message: string}}
 *   | {appId: string, kind: "event", name: string, data: unknown}} BridgeTraffic
 */

/** @type {Set<(traffic: BridgeTraffic) => void>} */
const observers = new Set();

/** @param {BridgeTraffic} traffic */
function notifyObservers(traffic) {
  for (const observer of observers) {
    // An observer is a developer tool: its failure must never change what the app is answered.
    try {
      observer(traffic);
    } catch (error) {
      console.error("openminis: bridge observer failed", error);
    }
  }
}

/**
 * Adds a bridge method. `handler(params, session)` returns the result (or a promise of it)
 * or throws a BridgeError; `enters` is the state the app moves to once it succeeds.
 * @param {string} name
 * @param {BridgeMethod} method
 */
export function registerMethod(name, { states, handler, enters }) {
  if (methods.has(name)) throw new Error(`bridge method ${name} is already registered`);
  methods.set(name, { states, handler, enters });
}

/**
 * The registered methods by name (read-only views): for tests and the docs, not for dispatch.
 * @returns {Map<string, Readonly<BridgeMethod>>}
 */
export function registeredMethods() {
  return new Map([...methods].map(([name, method]) => [name, Object.freeze({ ...method })]));
}

export class BridgeError extends Error {
  /**
   * @param {string} code one of the codes an app may branch on (minis-sdk.d.ts ErrorCode)
   * @param {string} message
   */
  constructor(code, message) {
    super(message);
    this.code = code;
  }
}

// Shared by all bridges, read by tests and benchmarks through window.__minisHost.
export const bridgeCounters = { requests: 0, dropped: 0, rateLimited: 0 };

// Token buckets per app id, so that reopening an app does not refill its budget.
/** @type {Map<string, {tokens: number, at: number}>} */
const buckets = new Map();

/** @param {string} appId */
function takeToken(appId) {
  const now = performance.now();
  const bucket = buckets.get(appId) || { tokens: RATE_BURST, at: now };
  bucket.tokens = Math.min(RATE_BURST, bucket.tokens + ((now - bucket.at) / 1000) * RATE_PER_SECOND);
  bucket.at = now;
  buckets.set(appId, bucket);
  if (bucket.tokens < 1) return false;
  bucket.tokens -= 1;
  return true;
}

/**
 * @param {any} message whatever the frame posted
 * @returns {boolean}
 */
function isRequest(message) {
  return (
    message !== null &&
    typeof message === "object" &&
    message.__minis === 1 &&
    message.type === "request" &&
    Number.isSafeInteger(message.id) &&
    message.id > 0 &&
    typeof message.method === "string" &&
    (message.params === undefined ||
      (message.params !== null && typeof message.params === "object" && !Array.isArray(message.params)))
  );
}

/**
 * @param {unknown} error
 * @returns {{code: string, message: string}}
 */
function toAppError(error) {
  if (error instanceof BridgeError || error instanceof ApiError) {
    if (APP_ERROR_CODES.has(error.code)) return { code: error.code, message: error.message };
  }
  console.error("openminis: bridge method failed", error);
  return { code: "INTERNAL", message: "the host could not complete the request" };
}

export class Bridge {
  /**
   * Sees every bridge's traffic, for the developer simulator's call log (`minis dev`); the host
   * page itself never observes. Returns the function that stops it.
   * @param {(traffic: BridgeTraffic) => void} observer
   * @returns {() => void}
   */
  static observe(observer) {
    observers.add(observer);
    return () => observers.delete(observer);
  }

  /**
   * @param {HTMLIFrameElement} iframe the app's frame; only its window is answered
   * @param {string} appOrigin the exact origin the app is served from
   * @param {any} session what method handlers act on (see launcher.js AppSession)
   */
  constructor(iframe, appOrigin, session) {
    this.iframe = iframe;
    this.appOrigin = appOrigin;
    this.session = session;
    /** @type {BridgeState} */
    this.state = "loading";
    this.onMessage = this.onMessage.bind(this);
    addEventListener("message", this.onMessage);
  }

  close() {
    this.state = "closed";
    removeEventListener("message", this.onMessage);
  }

  /**
   * @param {string} name
   * @param {unknown} [data]
   */
  emit(name, data = {}) {
    if (this.state !== "closed" && observers.size) notifyObservers({ appId: this.session.appId, kind: "event", name, data });
    this.post({ __minis: 1, type: "event", name, data });
  }

  /** @param {object} message */
  post(message) {
    if (this.state === "closed") return;
    // The exact origin, never "*": if the frame navigated elsewhere, the browser drops it.
    this.iframe.contentWindow?.postMessage(message, this.appOrigin);
  }

  /** @param {MessageEvent} event */
  onMessage(event) {
    // Messages for other frames' bridges (or from anyone else) are not ours to count.
    if (event.source !== this.iframe.contentWindow || event.origin !== this.appOrigin) return;
    const message = event.data;
    if (!isRequest(message)) {
      bridgeCounters.dropped += 1;
      return;
    }
    bridgeCounters.requests += 1;
    if (observers.size) {
      const { id, method, params = {} } = message;
      notifyObservers({ appId: this.session.appId, kind: "request", id, method, params });
    }
    if (!takeToken(this.session.appId)) {
      bridgeCounters.rateLimited += 1;
      this.answer(message.id, { error: { code: "RATE_LIMITED", message: "too many bridge calls; back off" } });
      return;
    }
    this.dispatch(message.id, message.method, message.params || {});
  }

  /**
   * @param {number} id
   * @param {string} name
   * @param {Record<string, any>} params
   */
  async dispatch(id, name, params) {
    const method = methods.get(name);
    if (!method) {
      this.answer(id, { error: { code: "UNKNOWN_METHOD", message: `unknown method ${name}` } });
      return;
    }
    if (!method.states.includes(this.state)) {
      const code = this.state === "loading" ? "NOT_INITIALIZED" : "NOT_ALLOWED";
      this.answer(id, { error: { code, message: `${name} is not allowed while the app is ${this.state}` } });
      return;
    }
    try {
      const result = await method.handler(params, this.session);
      if (method.enters) this.advance(method.enters);
      this.answer(id, { result: result === undefined ? null : result });
    } catch (error) {
      this.answer(id, { error: toAppError(error) });
    }
  }

  // States only move forward: a second init must not take a ready app back to initialized.
  /** @param {BridgeState} state */
  advance(state) {
    if (STATES.indexOf(state) > STATES.indexOf(this.state)) this.state = state;
  }

  /**
   * @param {number} id
   * @param {{result?: unknown, error?: {code: string, message: string}}} answer
   */
  answer(id, { result, error }) {
    if (this.state !== "closed" && observers.size) {
      const appId = this.session.appId;
      notifyObservers(error ? { appId, kind: "response", id, ok: false, error } : { appId, kind: "response", id, ok: true, result });
    }
    this.post(
      error
        ? { __minis: 1, type: "response", id, ok: false, error }
        : { __minis: 1, type: "response", id, ok: true, result }
    );
  }
}
