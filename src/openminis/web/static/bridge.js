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
// Reading a message is the browser deserialising what the frame posted, on this page's main
// thread, before any rate can be applied to it: an app posting 5 MB messages as fast as it could
// kept the host from acting on the person's tap on Close for over a minute (a probe). The reading
// of each app's costly messages (over CHEAP_MS each) gets READ_BUDGET_MS of the main thread in
// every second; past that, its messages are dropped unread until the next second. A real app's
// messages are a few hundred bytes and take microseconds to read: never charged, so a flood of
// small requests is still answered one by one (RATE_LIMITED past the rate), as
// docs/sdk-protocol.md says. (What a method does with a big value is its own to bound: see
// storage.set.)
const READ_BUDGET_MS = 100;
const READ_WINDOW_MS = 1000;
const CHEAP_MS = 2;

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
 * What a handler knows of a request besides its params.
 * @typedef {object} BridgeCall
 * @property {boolean | undefined} frameActivated the browser's word on whether the app's own frame
 *   had transient activation (a tap or key in it, in the last seconds) when it posted the request:
 *   the SDK posts with `includeUserActivation`, and the browser fills `event.userActivation`, which
 *   no script can forge; undefined where the browser does not say (see afterTapInApp).
 */

/**
 * A bridge method: the states it may be called in, its handler, and the state a success enters.
 * `params` is the request's object as the frame posted it: the handler checks every field.
 * `session` is launcher.js's AppSession (any here: bridge.js must not import the launcher).
 * @typedef {object} BridgeMethod
 * @property {readonly string[]} states
 * @property {(params: Record<string, any>, session: any, call: BridgeCall) => unknown} handler
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

/**
 * Whether a request came right after a tap or key in the app, for the methods that need one (the
 * clipboard, the home screen, message consent). The SDK's `activated` flag is the frame's word,
 * which a frame can forge; the host's own activation is no proof either, since a press on one of
 * the host's sheets ("Don't allow", "Done") activates the host page as a tap in the game does: a
 * probe's app, refused its profile, wrote the clipboard and opened the home-screen sheet on the
 * person's "Don't allow". So where the browser reports the frame's own activation (Chromium: a
 * press on the host never activates the app's frame), that decides; elsewhere, the host's.
 * And not while the app's last tap is spent on a sheet it opened (onePerTap).
 * @param {Record<string, any>} params
 * @param {BridgeCall} call
 * @param {object} session the app session (launcher.js)
 */
export function afterTapInApp(params, call, session) {
  if (params.activated !== true || !globalThis.navigator?.userActivation?.isActive) return false;
  if (performance.now() - (tapSheetClosedAt.get(session) ?? -Infinity) < ACTIVATION_MS) return false;
  return call.frameActivated !== false;
}

// The browser's transient activation lifespan (Chromium's): how long one tap lets a frame act.
export const ACTIVATION_MS = 5000;
/** @type {WeakMap<object, number>} when each app session's last sheet opened on a tap closed */
const tapSheetClosedAt = new WeakMap();

/**
 * Opens a sheet a tap in the app asked for (`open` resolves when it closes), and spends the tap on
 * it: the tap stays active in the app's frame for ACTIVATION_MS, and an app that asked again the
 * moment the person closed the sheet reopened it, over and over, on that one tap (a probe of the
 * home-screen sheet), or opened another method's sheet and then wrote the clipboard (the attack
 * on that fix). So for ACTIVATION_MS after such a sheet closes, no method that needs a tap is
 * allowed (afterTapInApp): a tap in the app after that is a new one. (On browsers that do not
 * report the frame's activation, the press that closed the sheet gave the host page one too.)
 * @template T
 * @param {object} session the app session (launcher.js)
 * @param {() => Promise<T>} open
 * @returns {Promise<T>}
 */
export async function onePerTap(session, open) {
  try {
    return await open();
  } finally {
    tapSheetClosedAt.set(session, performance.now());
  }
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
export const bridgeCounters = { requests: 0, dropped: 0, rateLimited: 0, unread: 0 };

// The main thread's time each app's messages took in the current window, by app id.
/** @type {Map<string, {spent: number, since: number}>} */
const reading = new Map();

/**
 * The app's reading budget for this window (a new window every READ_WINDOW_MS).
 * @param {string} appId
 */
function readingOf(appId) {
  const now = performance.now();
  let budget = reading.get(appId);
  if (!budget || now - budget.since >= READ_WINDOW_MS) {
    budget = { spent: 0, since: now };
    reading.set(appId, budget);
  }
  return budget;
}

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
    // Nothing before the app's init: its frame may not have reached the app's origin yet (Chromium
    // warned of a postMessage to the wrong origin at every launch), no SDK listens before it, and
    // the init answer says what an earlier event would have (`visible`; the audio state follows it).
    if (this.state === "loading") return;
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
    const budget = readingOf(this.session.appId);
    if (budget.spent >= READ_BUDGET_MS) {
      bridgeCounters.unread += 1; // event.data untouched: it is never deserialised
      return;
    }
    const started = performance.now();
    const message = event.data; // deserialised now, on first reading
    const cost = performance.now() - started;
    if (cost > CHEAP_MS) budget.spent += cost;
    // Chromium's report of the frame's own activation when it posted (null when the poster did not
    // ask for it, as the SDK does: a raw post claims nothing); absent from other browsers' events.
    /** @type {{userActivation?: {isActive: boolean} | null}} */
    const reported = /** @type {any} */ (event);
    const frameActivated = "userActivation" in event ? reported.userActivation?.isActive === true : undefined;
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
    this.dispatch(message.id, message.method, message.params || {}, { frameActivated });
  }

  /**
   * @param {number} id
   * @param {string} name
   * @param {Record<string, any>} params
   * @param {BridgeCall} call
   */
  async dispatch(id, name, params, call) {
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
      const result = await method.handler(params, this.session, call);
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
