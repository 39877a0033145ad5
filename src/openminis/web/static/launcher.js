// Opens mini-programs: the full-screen app layer above the host, its loading view and close
// capsule, and the prewarm pool of hidden frames that makes a tap on a feed card instant.
//
// A closed app is minimised, not unloaded: it gets `hide`, its frame stays where it is, hidden and
// inert, for `config.keepMinimisedMs` (MINIS_KEEP_MINIMISED_SECONDS), and at most MAX_KEPT of them
// stay (the one closed longest ago goes first). Opening it again resumes it at once, with `show`,
// exactly as it was: the same document, the same launch. A resume is no new launch (nothing is
// recorded, no `click`, `launch` or `ready` event): the host sends a `resume` event instead.
//
// Every app frame lives in one container for its whole life, because moving an iframe in
// the DOM reloads it. A prewarmed frame is laid out at the open app's size but transparent,
// inert and below the host page (the app layer sits under the host until an app opens).
// Chromium keeps running requestAnimationFrame in such a frame; it stops it for frames that
// are off screen or clipped away, so a prewarmed app must stay geometrically on screen.
// @ts-check

import { Bridge, BridgeError, RUNNING } from "./bridge.js";
import "./bridge-methods.js";
import "./bridge-identity.js";
import "./bridge-payments.js";
import "./bridge-drama.js";
import "./bridge-ads.js";
import "./bridge-social.js";
import "./bridge-messages.js";
import { appIcon } from "./app-tile.js";
import { el, part } from "./dom.js";
import { randomHex } from "./ids.js";
import { AppMenu } from "./app-menu.js";
import { addToHomeScreen, linkManifest } from "./home-screen.js";
import { rememberForOffline } from "./offline.js";
import { closeOnSwipeDown } from "./navigation.js";

const MAX_PREWARMED = 2;
const MAX_KEPT = 3;
const DEFAULT_KEEP_MS = 5 * 60 * 1000;
// An app unloaded after `hide` keeps its frame until its SDK says its onHide callbacks have run
// (lifecycle.hidden: a save they sent reached the bridge before it), at most this long: a busy
// phone's renderer may take a while to get to them; an app without the SDK never says.
const HIDDEN_WAIT_MS = 3000;
const SANDBOX = "allow-scripts allow-same-origin allow-pointer-lock";
// How long an app opened by a tap waits for the platform to record the launch (which signs its
// initData) before it is answered or shown without it; the `launch` event brings it later.
const LAUNCH_WAIT_MS = 1000;
// An app tapped open that has not started by then (its SDK never said init, nor reported
// progress) did not load: the loading view says so and offers Try again, where it once said
// "Loading…" for good (a probe opened a game offline). Offline, or with the platform unreachable,
// it says so much sooner: a copy kept for offline (offline.js) starts in a moment, and nothing
// else will start at all.
const LOAD_WAIT_MS = 20_000;
const UNREACHABLE_WAIT_MS = 4000;

/** Waits for `promise` at most `ms`; never rejects. */
function settleWithin(promise, ms) {
  return Promise.race([promise.catch(() => {}), new Promise((resolve) => setTimeout(resolve, ms))]);
}

export function mintLaunchId() {
  return randomHex(16);
}

/**
 * What an event may say about a launch's source beyond its name: the creator's post and its
 * creator. A share code stays out of events (the platform keeps it with the launch).
 */
export function viaFields(via = {}) {
  const fields = {};
  if (via.post_id) fields.post_id = via.post_id;
  if (via.creator_id) fields.creator_id = via.creator_id;
  return fields;
}

// A card must point at its own app origin under the apps domain; anything else is not framed.
function isAppCard(card, appsHost) {
  try {
    const entry = new URL(card.entry_url);
    return entry.origin === card.origin && entry.hostname === `${card.app_id}.${appsHost}`;
  } catch {
    return false;
  }
}

/** One app frame and its bridge, from creation (prewarmed or at the tap) to close. */
class AppSession {
  constructor(launcher, card, { prewarmed, source, via = {} }) {
    this.launcher = launcher;
    this.api = launcher.api;
    this.card = card;
    this.appId = card.app_id;
    this.launchId = mintLaunchId();
    this.prewarmed = prewarmed;
    this.source = source;
    /** @type {Record<string, any>} */
    this.via = via; // {post_id, creator_id} or {share}: more about the source
    this.visible = !prewarmed;
    this.sdkVersion = "";
    /** @type {any} */
    this.launchInfo = null; // answered to the first init, and to any later one
    /** @type {Promise<any> | null} */
    this.answeringInit = null;
    /** @type {string | null} */
    this.initData = null; // the platform's signed launch data, once the tap's launch is recorded
    this.progress = 0;
    /** @type {any} */
    this.tapAt = null;
    /** @type {number | null} */
    this.openedAt = null;
    /** @type {any} */
    this.recorded = null; // the POST /api/launches of the tap
    this.launchRecorded = false; // the platform has it: purchases may name it
    /** @type {number | null} */
    this.readyAt = null; // when the app called ready, in the background or not
    this.covered = false; // an ad plays above the app: it stays hidden until the ad closes
    // minis.getLaunchOptions(): the share's query and context, or the opening app (other_app).
    /** @type {Record<string, string>} */
    this.query = this.via.query ?? {};
    /** @type {string | null} */
    this.context = null;
    /** @type {string | null} */
    this.referrer = this.via.referrer ?? null;
    this.toldMuted = true; // what the app was last told (its SDK starts muted: framed, it starts hidden)
    this.muted = false; // the person muted the app (the launcher's toggle); hidden, it is muted too
    /** @type {Promise<void>} */
    this.saidHidden = Promise.resolve(); // settles when the app says its onHide ran after the last `hide`
    /** @type {() => void} */
    this.heardHidden = () => {};
    /** @type {number | null} */
    this.gameplayAt = null; // between minis.gameplayStart() and gameplayStop(): no interstitials
    /** @type {"ready" | "shown" | null} */
    this.awaiting = null; // "ready" or "shown": the message that ends the launch being timed
    this.failed = false; // the platform refused the launch: nothing to keep when it closes
    this.refused = false; // ... as gone (404): the loading view says so, and trying again cannot help
    this.unreachable = false; // the launch could not be recorded: the platform was not reached
    this.loadFailed = false; // the loading view says the app did not load (checkStarted)
    /** @type {ReturnType<typeof setTimeout>[]} */
    this.loadTimers = [];
    /** @type {number | null} */
    this.minimisedAt = null; // closed and kept alive, hidden, since then (performance.now())
    /** @type {ReturnType<typeof setTimeout> | undefined} */
    this.keepTimer = undefined;

    const hostOrigin = encodeURIComponent(launcher.config.hostOrigin);
    this.iframe = document.createElement("iframe");
    this.iframe.className = "app-frame";
    this.iframe.dataset.appId = this.appId;
    this.iframe.title = card.name;
    this.iframe.setAttribute("sandbox", SANDBOX);
    this.iframe.setAttribute("allow", "autoplay; fullscreen");
    this.iframe.classList.toggle("is-landscape", card.orientation === "landscape");
    if (prewarmed) this.conceal();
    this.bridge = new Bridge(this.iframe, card.origin, this);
    this.iframe.src = `${card.entry_url}#minis-host=${hostOrigin}&minis-launch=${this.launchId}`;
  }

  /**
   * The launch id a purchase or unlock names, so the platform credits the launch's source; none
   * while the platform has no record of it (the platform refuses a launch it does not know).
   */
  get recordedLaunchId() {
    return this.launchRecorded ? this.launchId : null;
  }

  get isActive() {
    return this.launcher.active === this;
  }

  /** Whether the person opened this app (a prewarmed frame is not open until the tap). */
  get opened() {
    return this.isActive && this.tapAt !== null;
  }

  /** Sheets (pay, consent) only for the app on screen, and one at a time. */
  checkMaySheet(method) {
    if (!this.opened || !this.visible || document.visibilityState !== "visible") {
      throw new BridgeError("NOT_ALLOWED", `${method}: only the app on screen may ask`);
    }
    if (this.launcher.sheets.isOpen) {
      throw new BridgeError("NOT_ALLOWED", `${method}: another host sheet is open`);
    }
  }

  /** Whether the person closed it and it is kept alive, hidden, for a resume. */
  get minimised() {
    return this.minimisedAt !== null;
  }

  conceal() {
    if (this.prewarmed) this.iframe.dataset.prewarmed = "";
    this.iframe.inert = true;
    this.iframe.tabIndex = -1;
    this.iframe.setAttribute("aria-hidden", "true");
  }

  reveal() {
    delete this.iframe.dataset.minimised;
    this.iframe.inert = false;
    this.iframe.removeAttribute("tabindex");
    this.iframe.removeAttribute("aria-hidden");
    this.iframe.classList.add("is-active");
  }

  /** The tap: from here the launch is timed, to `ready` (cold) or to the first frame shown. */
  open(source, tapAt, via = {}) {
    this.source = source;
    this.via = via;
    if (via.query) this.query = via.query;
    if (via.referrer) this.referrer = via.referrer;
    this.tapAt = tapAt;
    this.openedAt = performance.now();
    // Settles either way; whoever lists recents after a close waits for it. A preview is no
    // launch: the platform records none, and its analytics hear nothing of it.
    const record = this.card.preview ? Promise.reject(new Error("a preview")) : this.api.recordLaunch(this.launchId, this.appId, source, via);
    const prewarmed = this.prewarmed;
    this.recorded = record.then(
      (answer) => {
        this.launchRecorded = true;
        // Once the platform has it: the server keeps a launch event only for a launch it recorded
        // (at the time it recorded it), and a batch sent before the record would have lost it.
        this.launcher.track(this.card, "launch", this.appId, { launch_id: this.launchId, source, prewarmed, ...viaFields(via) });
        this.initData = answer.init_data ?? null;
        if (answer.context) {
          this.query = answer.query ?? {};
          this.context = answer.context;
          this.referrer = answer.referrer ?? null;
        }
        this.deliverLaunch();
      },
      (error) => {
        if (this.card.preview) return;
        this.failed = true;
        this.unreachable = error.status === 0;
        console.error("openminis: launch not recorded", error);
        if (error.status === 404) {
          this.refused = true;
          this.launcher.showFailure(this, "This mini-program is no longer available.");
        }
      }
    );
    this.loadTimers = [setTimeout(() => this.checkStarted(false), UNREACHABLE_WAIT_MS), setTimeout(() => this.checkStarted(true), LOAD_WAIT_MS)];
    this.reveal();
    if (this.prewarmed) {
      this.awaiting = this.readyAt === null ? "ready" : "shown";
      // The frame is on screen at once; `show` waits (briefly) for the launch's initData, so
      // that the app's onShow callbacks find it in its LaunchInfo.
      settleWithin(this.recorded, LAUNCH_WAIT_MS).then(() => {
        if (!this.isActive) return;
        this.deliverLaunch();
        this.show();
      });
    } else {
      this.awaiting = "ready";
    }
  }

  /** Whether the app has shown a sign of life: its SDK's init, progress, or ready. */
  get started() {
    return this.readyAt !== null || this.progress > 0 || this.bridge.state !== "loading";
  }

  /**
   * The bounded wait for an app opened by a tap (LOAD_WAIT_MS, or UNREACHABLE_WAIT_MS when the
   * browser is offline or the platform could not be reached, `patient` false): one that has not
   * started by then did not load, and the loading view says so, with Try again.
   * @param {boolean} patient
   */
  checkStarted(patient) {
    if (!this.isActive || this.started || this.loadFailed || this.refused) return;
    const offline = navigator.onLine === false;
    if (!patient && !offline && !this.unreachable) return;
    this.loadFailed = true;
    // Only a slow start, as far as anyone knows, after the patient wait: it may still come (a late
    // ready dismisses the view as it would have), so the words do not say it failed.
    const message = offline
      ? "You’re offline. This mini-program opens once you’re back online."
      : this.unreachable
        ? "This mini-program didn’t load. Check your connection and try again."
        : "This is taking longer than usual. Check your connection, or try again.";
    this.launcher.showLoadFailure(this, message);
  }

  /**
   * The tap on a minimised app: it comes back at once, as it was, with `show`. Its launch goes on
   * (the same id, the same source in its LaunchInfo); the host records a resume, not a launch.
   */
  resume(source, tapAt) {
    clearTimeout(this.keepTimer);
    this.minimisedAt = null;
    this.tapAt = tapAt;
    this.openedAt = performance.now();
    this.awaiting = null;
    this.reveal();
    this.show();
    const shownAt = performance.now();
    this.launcher.launches.push({
      appId: this.appId,
      launchId: this.launchId,
      source,
      postId: this.via.post_id ?? null,
      share: this.via.share ?? null,
      prewarmed: this.prewarmed,
      resumed: true,
      tapAt,
      readyAt: shownAt,
      loadMs: shownAt - tapAt,
    });
    this.launcher.track(this.card, "resume", this.appId, { launch_id: this.launchId, source, ...viaFields(this.via) });
  }

  /** Closed: hidden and paused (`hide` was sent), kept in the page until `drop` or a resume. */
  minimise(keepMs, drop) {
    this.minimisedAt = performance.now();
    this.iframe.dataset.minimised = "";
    this.conceal();
    this.keepTimer = setTimeout(drop, keepMs);
  }

  // An app answered init without the tap's launch data (it was prewarmed, or the platform was
  // slow) gets it in a `launch` event; its SDK updates the LaunchInfo in place.
  deliverLaunch() {
    const info = this.launchInfo;
    if (!info) return;
    const now = { initData: this.initData, source: this.source, query: this.query, context: this.context, referrer: this.referrer };
    if (Object.keys(now).every((key) => info[key] === now[key])) return;
    Object.assign(info, now);
    this.bridge.emit("launch", now);
  }

  show() {
    if (this.visible) return;
    this.visible = true;
    this.bridge.emit("show");
    this.tellAudio();
  }

  hide() {
    if (!this.visible) return;
    this.visible = false;
    this.saidHidden = new Promise((resolve) => {
      this.heardHidden = resolve;
    });
    this.bridge.emit("hide");
    this.tellAudio();
  }

  /** The person's mute toggle (the launcher's menu calls it through Launcher.setMuted). */
  setMuted(muted) {
    this.muted = !!muted;
    this.tellAudio();
  }

  // The app hears `audio` {muted} on every change: muted while hidden or muted by the person.
  tellAudio() {
    const muted = this.muted || !this.visible;
    if (muted === this.toldMuted) return;
    this.toldMuted = muted;
    this.bridge.emit("audio", { muted });
  }

  /** An ad comes over the app: it pauses (`hide`) until the ad closes. */
  cover() {
    this.covered = true;
    this.hide();
  }

  uncover() {
    this.covered = false;
    if (this.isActive && document.visibilityState === "visible") this.show();
  }

  finishLaunch(endAt) {
    this.awaiting = null;
    // Played: kept for a relaunch without the network (offline.js), in the background.
    if (!this.card.preview) rememberForOffline(this.card).catch((error) => console.warn("openminis: not kept for offline", error));
    const loadMs = endAt - this.tapAt;
    this.launcher.launches.push({
      appId: this.appId,
      launchId: this.launchId,
      source: this.source,
      postId: this.via.post_id ?? null,
      share: this.via.share ?? null,
      prewarmed: this.prewarmed,
      tapAt: this.tapAt,
      resumed: false,
      readyAt: endAt,
      loadMs,
    });
    this.launcher.track(this.card, "ready", this.appId, {
      launch_id: this.launchId,
      source: this.source,
      load_ms: Math.round(loadMs),
      prewarmed: this.prewarmed,
    });
  }

  destroy() {
    clearTimeout(this.keepTimer);
    this.loadTimers.forEach(clearTimeout);
    this.bridge.close();
    this.iframe.remove();
  }

  // Bridge method handlers (bridge-methods.js).

  // A second init gets the same LaunchInfo (docs/sdk-protocol.md), not a fresh one.
  init(params) {
    this.answeringInit ??= this.answerInit(params);
    return this.answeringInit;
  }

  async answerInit(params) {
    if (typeof params.sdkVersion === "string") this.sdkVersion = params.sdkVersion.slice(0, 32);
    // Opened by a tap, the launch is being recorded right now: answer with its initData.
    if (this.recorded) await settleWithin(this.recorded, LAUNCH_WAIT_MS);
    this.launchInfo = {
      appId: this.appId,
      version: this.card.version,
      launchId: this.launchId,
      source: this.source,
      visible: this.visible,
      prewarmed: this.prewarmed,
      locale: navigator.language,
      query: this.query,
      initData: this.initData,
      context: this.context,
      referrer: this.referrer,
    };
    this.toldMuted = !this.visible; // the SDK starts muted exactly when hidden
    if (this.muted && this.visible) queueMicrotask(() => this.tellAudio());
    return this.launchInfo;
  }

  showProgress(percent) {
    this.progress = percent;
    if (this.isActive) this.launcher.loading.progress(percent);
  }

  markReady() {
    if (this.readyAt !== null) return; // ready is idempotent
    this.readyAt = performance.now();
    this.loadTimers.forEach(clearTimeout);
    this.loadFailed = false; // late, but here: the loading view goes as it would have
    this.iframe.dataset.ready = "";
    if (this.isActive) this.launcher.loading.dismiss();
    if (this.awaiting === "ready") this.finishLaunch(this.readyAt);
  }

  markHidden() {
    this.heardHidden();
  }

  markShown() {
    if (this.awaiting === "shown") this.finishLaunch(performance.now());
  }

  systemInfo() {
    // The frame's layout box, not getBoundingClientRect(), which the opening animation scales.
    const frame = { width: this.iframe.offsetWidth, height: this.iframe.offsetHeight };
    return {
      platform: "openminis",
      sdkVersion: this.sdkVersion,
      hostVersion: this.launcher.config.sdkVersion,
      screenWidth: screen.width,
      screenHeight: screen.height,
      windowWidth: Math.round(frame.width),
      windowHeight: Math.round(frame.height),
      pixelRatio: devicePixelRatio || 1,
      orientation: frame.width > frame.height ? "landscape" : "portrait",
      safeArea: this.launcher.safeArea(this.iframe),
      language: navigator.language,
      theme: "dark",
      environment: "host",
    };
  }

  // The app quits: nothing to resume, so it is unloaded rather than kept.
  exit() {
    this.launcher.close(this, { keep: false });
  }

  startGameplay() {
    this.gameplayAt ??= performance.now();
  }

  /** The end of a stretch of gameplay: its play time is an analytics event. */
  stopGameplay() {
    if (this.gameplayAt === null) return;
    const durationMs = Math.round(performance.now() - this.gameplayAt);
    this.gameplayAt = null;
    this.launcher.track(this.card, "gameplay", this.appId, { launch_id: this.launchId, source: this.source, duration_ms: durationMs });
  }

  /**
   * Escape pressed in the app's frame (key events there never reach the host; its SDK tells).
   * Only the app the person opened closes, and not while a host sheet or an ad is over it.
   */
  escape() {
    if (!this.opened || this.covered || this.launcher.sheets.isOpen) {
      throw new BridgeError("NOT_ALLOWED", "keys.escape: only the open app, with nothing over it");
    }
    this.launcher.close(this);
  }
}

/** The host-drawn loading view: icon, name and the progress the app reports. */
class LoadingView {
  constructor(root) {
    this.root = root;
    this.icon = part(root, ".app-loading-icon");
    this.name = part(root, ".app-loading-name");
    this.status = part(root, ".app-loading-status");
    this.bar = part(root, "[role=progressbar]");
    this.fill = part(root, ".progress-fill");
    // Made here rather than in the page's markup: the simulator's page (minis dev) has this view too.
    this.retry = el("button", { type: "button", className: "button-secondary app-loading-retry", hidden: true }, "Try again");
    /** @type {(() => void) | null} */
    this.onRetry = null;
    this.retry.addEventListener("click", () => this.onRetry?.());
    root.append(this.retry);
  }

  present(card, percent) {
    this.icon.replaceChildren(appIcon(card, "large"));
    this.name.textContent = card.name;
    this.status.textContent = "Loading…";
    this.bar.hidden = false;
    this.retry.hidden = true;
    this.onRetry = null;
    this.progress(percent);
    this.root.classList.remove("is-dismissed");
    this.root.hidden = false;
  }

  // Until the app reports any progress the bar is indeterminate: a sweep, no value.
  progress(percent) {
    const value = Math.round(percent);
    const waiting = value === 0;
    this.bar.classList.toggle("is-waiting", waiting);
    if (waiting) this.bar.removeAttribute("aria-valuenow");
    else this.bar.setAttribute("aria-valuenow", String(value));
    this.fill.style.transform = waiting ? "" : `scaleX(${value / 100})`;
  }

  /**
   * @param {string} message
   * @param {(() => void) | null} [retry] what Try again does; none when trying again cannot help
   */
  fail(message, retry = null) {
    this.status.textContent = message;
    this.bar.hidden = true;
    this.onRetry = retry;
    this.retry.hidden = !retry;
  }

  // Fades out; `hidden` comes after the fade so the app's first frame shows through it.
  dismiss() {
    if (this.root.hidden) return;
    this.root.classList.add("is-dismissed");
    setTimeout(() => {
      if (this.root.classList.contains("is-dismissed")) this.root.hidden = true;
    }, 250);
  }

  clear() {
    this.root.hidden = true;
  }
}

export class Launcher {
  /**
   * @param {object} options
   * @param {import("./api.js").Api} options.api
   * @param {import("./events.js").EventQueue} options.events
   * @param {Record<string, any>} options.config the page's minis-config
   * @param {HTMLElement} options.layer the app layer (#app-layer) from index.html
   * @param {HTMLElement} options.shell the host page under it, made inert while an app is open
   * @param {boolean} options.prewarm
   * @param {(session: AppSession) => void} [options.onOpen] after the person opened an app
   * @param {(session: AppSession) => void} [options.onClose] after an app closed
   * @param {import("./sheets.js").Sheets} options.sheets
   * @param {import("./wallet.js").Wallet} options.wallet
   * @param {import("./account.js").Account} options.account
   * @param {import("./ad-player.js").AdPlayer} options.ads
   */
  constructor({ api, events, config, layer, shell, prewarm, onOpen, onClose, sheets, wallet, account, ads }) {
    this.api = api;
    this.sheets = sheets; // the host's pay and consent sheets, above the app
    this.ads = ads; // the host's ad player (ad-player.js), above the app too
    this.wallet = wallet;
    this.account = account;
    this.events = events;
    this.config = config;
    this.layer = layer;
    this.shell = shell;
    this.prewarmEnabled = prewarm;
    this.onOpen = onOpen;
    this.onClose = onClose;
    this.frames = part(layer, ".app-frames");
    this.safeAreaProbe = part(layer, ".safe-area-probe");
    this.loading = new LoadingView(part(layer, ".app-loading"));
    this.closeButton = part(layer, ".capsule-close");
    this.sessions = new Map(); // app id -> AppSession: the open one, prewarmed ones (LRU order, oldest first) and minimised ones
    // How long a closed app is kept alive; `?keep=SECONDS` in the page's URL may only shorten it.
    const asked = Number.parseFloat(new URLSearchParams(location.search).get("keep") ?? "");
    const configured = config.keepMinimisedMs ?? DEFAULT_KEEP_MS;
    this.keepMs = Number.isFinite(asked) && asked >= 0 ? Math.min(configured, asked * 1000) : configured;
    /** @type {any} */
    this.active = null;
    /** @type {any} */
    this.returnFocus = null; // the control that opened the app gets focus back on close
    this.launches = [];
    this.muted = false; // the person muted apps (setMuted): every app opened is told

    this.closeButton.addEventListener("click", () => this.close());
    // The capsule's "..." menu: share, favourites, report, About, restart (app-menu.js).
    // (Optional: the simulator's page of `minis dev` has none.)
    const more = layer.querySelector(".capsule-more");
    this.menu = more instanceof HTMLButtonElement ? new AppMenu({ button: more, launcher: this }) : null;
    layer.addEventListener("keydown", (event) => {
      if (event.key === "Escape" && !this.menu?.close()) this.close();
    });
    // A swipe down from the top edge closes, as on a phone's sheets. (Optional, as the flag is.)
    const edge = layer.querySelector(".edge-swipe");
    if (edge instanceof HTMLElement) closeOnSwipeDown(edge, () => this.close());
    // Back online, an app that did not load for want of the network tries again by itself: one
    // already told so, and one whose launch could not be recorded and that has not started, whose
    // frame holds the browser's offline page (the connection back before the wait ended).
    addEventListener("online", () => {
      const active = this.active;
      if (active && (active.loadFailed || (active.unreachable && !active.started))) this.restart();
    });
    document.addEventListener("visibilitychange", () => {
      if (!this.active) return;
      if (document.visibilityState === "hidden") this.active.hide();
      else if (!this.active.covered) this.active.show();
    });
  }

  /**
   * Loads an app hidden, ahead of a likely tap. At most MAX_PREWARMED stay alive. `via` is what
   * the app is told of its source until the tap says otherwise (a post's chip: `{post_id}`).
   */
  prewarm(card, source, via = {}) {
    if (!this.prewarmEnabled || this.active || !isAppCard(card, this.config.appsHost)) return;
    const existing = this.sessions.get(card.app_id);
    if (existing?.minimised) return; // already alive, and a tap resumes it
    this.sessions.delete(card.app_id);
    this.sessions.set(card.app_id, existing || this.createSession(card, { prewarmed: true, source, via }));
    const pooled = this.prewarmedSessions();
    while (pooled.length > MAX_PREWARMED) this.discard(pooled.shift());
  }

  /** Drops prewarmed apps whose cards are no longer near the one in view. */
  keepPrewarmed(appIds) {
    for (const session of this.prewarmedSessions()) {
      if (!appIds.has(session.appId)) this.discard(session);
    }
  }

  /** Unloads every app but the open one, minimised ones too (another person signed in). */
  forget() {
    for (const session of [...this.sessions.values()]) {
      if (!session.isActive) this.discard(session);
    }
  }

  /** @returns {AppSession[]} */
  prewarmedSessions() {
    return [...this.sessions.values()].filter((session) => !session.isActive && !session.minimised);
  }

  prewarmedAppIds() {
    return this.prewarmedSessions().map((s) => s.appId);
  }

  /** The apps kept alive after a close, the one closed longest ago first. */
  minimisedAppIds() {
    return [...this.sessions.values()]
      .filter((session) => session.minimised)
      .sort((a, b) => a.minimisedAt - b.minimisedAt)
      .map((session) => session.appId);
  }

  /**
   * The tap. `tapAt` is the click event's timeStamp, on the performance.now() clock. `via`:
   * `{post_id, creator_id}` for a creator post's chip, `{share}` for a share link.
   */
  launch(card, source, tapAt, via = {}) {
    if (this.active || !isAppCard(card, this.config.appsHost)) return;
    let kept = this.sessions.get(card.app_id);
    // A minimised app of another version (released meanwhile, or a preview) is no resume; nor is
    // a message's tap, a launch of its own: the app reads its scene and the message's query.
    const anew = source === "subscribe_message" || kept?.card.entry_url !== card.entry_url || Boolean(card.preview) !== Boolean(kept?.card.preview);
    if (kept?.minimised && anew) {
      this.discard(kept);
      kept = undefined;
    }
    const resuming = Boolean(kept?.minimised);
    // A resume's tap is no click towards a launch: the funnel counts clicks that lead to launches.
    if (!resuming) this.track(card, "click", card.app_id, { source, ...viaFields(via) });
    const session = kept || this.createSession(card, { prewarmed: false, source, via });
    this.active = session;
    this.returnFocus = document.activeElement;
    this.shell.inert = true;
    this.layer.classList.add("is-open");
    if (card.preview) this.layer.dataset.preview = `Preview · ${card.version}`;
    else delete this.layer.dataset.preview;
    this.layer.setAttribute("aria-label", card.preview ? `${card.name}, preview of ${card.version}` : card.name);
    this.closeButton.setAttribute("aria-label", `Close ${card.name}`);
    this.layer.removeAttribute("aria-hidden");
    if (session.readyAt === null) this.loading.present(card, session.progress);
    else this.loading.clear();
    session.setMuted(this.muted);
    // The app's own manifest, so that the browser can offer to install it (home-screen.js).
    linkManifest(card.preview ? null : card.app_id);
    if (resuming) session.resume(source, tapAt);
    else session.open(source, tapAt, via);
    session.iframe.focus();
    this.onOpen?.(session);
  }

  /** Mutes (or unmutes) apps' audio, the open one's and those opened next: the person's choice. */
  setMuted(muted) {
    this.muted = !!muted;
    this.active?.setMuted(this.muted);
  }

  /**
   * The menu's "Add to home screen" (and the app's minis.addToHomeScreen(), bridge-methods.js):
   * the browser's install prompt, or the host's guide. Never for a preview.
   * @returns {Promise<{added: boolean, guided?: boolean}>}
   */
  addToHomeScreen(session = this.active, { owner = null } = {}) {
    if (!session || session.card.preview) return Promise.resolve({ added: false });
    return addToHomeScreen(this.sheets, session.card, { owner });
  }

  /** The hook for a mute button (the launcher's menu): each click toggles, `aria-pressed` shows it. */
  bindMuteButton(button) {
    button.setAttribute("aria-pressed", String(this.muted));
    button.addEventListener("click", () => {
      this.setMuted(!this.muted);
      button.setAttribute("aria-pressed", String(this.muted));
    });
  }

  /**
   * Closes the open app (the capsule, Escape, back, a swipe: kept for a resume; the app's exit,
   * `keep: false`: unloaded), or drops a prewarmed or minimised one.
   */
  close(session = this.active, { keep = true } = {}) {
    if (!session) return;
    if (!session.isActive) {
      this.discard(session);
      return;
    }
    this.menu?.close({ refocus: false });
    this.leave(session);
    // Only an app that got as far as ready is kept: one closed while loading starts afresh.
    if (keep && this.keepMs > 0 && session.readyAt !== null && !session.card.preview && !session.failed) {
      session.minimise(this.keepMs, () => this.discard(session));
      const kept = this.minimisedAppIds();
      while (kept.length > MAX_KEPT) this.discard(this.sessions.get(kept.shift()));
    } else {
      this.unload(session);
    }
    this.loading.clear();
    linkManifest(null);
    this.layer.classList.remove("is-open");
    this.layer.setAttribute("aria-hidden", "true");
    this.shell.inert = false;
    this.returnFocus?.focus({ preventScroll: true });
    this.onClose?.(session);
  }

  /** The open app stops being the open one: it is told (`hide`), and its time on screen is counted. */
  leave(session) {
    this.sheets.dismissOwnedBy(session); // its pay or consent sheet answers USER_CANCELLED
    session.stopGameplay();
    this.active = null;
    session.hide();
    this.track(session.card, "session_end", session.appId, {
      launch_id: session.launchId,
      source: session.source,
      duration_ms: Math.round(performance.now() - session.openedAt),
    });
    session.iframe.classList.remove("is-active");
  }

  // After `hide` the frame lives until the app says its onHide ran, so that a save there gets
  // through; an app that has not started (no SDK to say it) has nothing to save.
  unload(session) {
    this.sessions.delete(session.appId);
    if (RUNNING.includes(session.bridge.state)) settleWithin(session.saidHidden, HIDDEN_WAIT_MS).then(() => session.destroy());
    else session.destroy();
  }

  /**
   * The menu's Restart: the open app is unloaded (`hide` first, its state lost) and launched anew
   * in a fresh frame, as a new launch from the same source, in the same history entry.
   */
  restart() {
    const old = this.active;
    if (!old) return;
    this.leave(old);
    this.unload(old);
    const session = this.createSession(old.card, { prewarmed: false, source: old.source, via: old.via });
    this.active = session;
    this.loading.present(old.card, 0);
    session.open(old.source, performance.now(), old.via);
    session.iframe.focus();
  }

  /** An analytics event of an app's launch; a preview's go nowhere (it is not traffic). */
  track(card, name, appId, fields) {
    if (!card.preview) this.events.track(name, appId, fields);
  }

  showFailure(session, message) {
    if (!session.isActive) return;
    this.loading.fail(message);
    this.keyboardToFailure(session, this.closeButton);
  }

  /** The open app did not load (AppSession.checkStarted): Try again launches it anew. */
  showLoadFailure(session, message) {
    if (!session.isActive) return;
    this.loading.fail(message, () => this.restart());
    this.keyboardToFailure(session, this.loading.retry);
  }

  /**
   * The keyboard leaves a frame that failed for what the failure offers: the frame holds the
   * browser's error page, where Escape never reaches the host (a probe, player52: a game opened
   * offline could not be closed from the keyboard).
   * @param {AppSession} session
   * @param {HTMLElement} control
   */
  keyboardToFailure(session, control) {
    if (document.activeElement === session.iframe) control.focus({ preventScroll: true });
  }

  createSession(card, options) {
    const session = new AppSession(this, card, options);
    this.sessions.set(card.app_id, session);
    this.frames.append(session.iframe);
    return session;
  }

  discard(session) {
    if (this.sessions.get(session.appId) === session) this.sessions.delete(session.appId);
    session.destroy();
  }

  /**
   * The insets an app should keep clear, from each edge of its frame: the device's (notch, home
   * bar) and, at the top, the host's close capsule. index.html's probe element computes them in
   * CSS from the app layer's edges (the screen's); a frame that does not reach an edge (the phone
   * column on a landscape phone, a 16:9 stage) keeps clear only of what overlaps it. The frame's
   * layout box (offset*, relative to the layer) is measured: its opening animation scales it.
   * @param {HTMLIFrameElement} frame the app's frame, a child of the app layer
   */
  safeArea(frame) {
    const style = getComputedStyle(this.safeAreaProbe);
    const clear = (side, gap) => Math.max(0, Math.round((parseFloat(style[`padding${side}`]) || 0) - gap));
    return {
      top: clear("Top", frame.offsetTop),
      right: clear("Right", this.layer.clientWidth - frame.offsetLeft - frame.offsetWidth),
      bottom: clear("Bottom", this.layer.clientHeight - frame.offsetTop - frame.offsetHeight),
      left: clear("Left", frame.offsetLeft),
    };
  }
}
