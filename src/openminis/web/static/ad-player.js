// The host's ad player: a rewarded or interstitial ad, full screen above the app (and above the
// drama player), drawn by the host and never by the app (DESIGN.md), so an app can neither fake
// a view nor skip the person's choice to close.
//
// It tells the platform what happened (docs/ads.md): the impression when the ad starts (with the
// show token the platform issues once the creative is on screen: nothing else is billed), the
// completion once it was watched long enough, a click, or an early close. Only watched time
// counts: time while the page is hidden never does (the ad pauses), and a page hidden during the
// ad was not "on screen the whole time", so the completion says so and the platform grants no
// reward. One exception: the person's own tap on "Learn more" opens the advertiser in a new tab,
// which hides the page; the ad pauses and waits for them, and their reward stands.
//
// Whether a rewarded ad earned its reward is the platform's answer to the completion (it checks
// its own clock too), never this page's.
// @ts-check

import { ApiError } from "./api.js";
import { BridgeError } from "./bridge.js";
import { el } from "./dom.js";
import { icon } from "./icons.js";

// The codes an ad can end with, passed on to the app as they are (minis-sdk.d.ts).
const AD_CODES = new Set(["NO_FILL", "FREQUENCY_CAPPED", "INTERVAL_NOT_ELAPSED", "INVALID_ARGUMENT", "NETWORK_ERROR"]);
// A hide this soon after the person's tap on "Learn more" is the advertiser's page opening.
const CLICK_AWAY_MS = 1500;
// One animation frame never counts for more than this: a stalled tab must not jump the clock.
const TICK_CAP_MS = 250;
const RETRIES = 3;

/** A platform refusal as the code the app sees. */
export function adError(error) {
  if (error instanceof BridgeError) return error;
  if (error instanceof ApiError && AD_CODES.has(error.code)) return new BridgeError(error.code, error.message);
  console.error("openminis: ad failed", error);
  return new BridgeError("INTERNAL", "the ad could not be shown");
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** Calls `request` again after a network error (the platform answers retries the same). */
async function withRetries(request) {
  for (let attempt = 1; ; attempt += 1) {
    try {
      return await request();
    } catch (error) {
      if (error?.code !== "NETWORK_ERROR" || attempt >= RETRIES) throw error;
      await sleep(500 * attempt);
    }
  }
}

function seconds(ms) {
  return Math.max(1, Math.ceil(ms / 1000));
}

export class AdPlayer {
  /**
   * @param {object} options
   * @param {HTMLElement} options.root the ad layer (#ad-layer) from index.html
   * @param {import("./api.js").Api} options.api
   * @param {HTMLElement[]} options.inertRoots everything the ad covers, made inert while it plays
   */
  constructor({ root, api, inertRoots }) {
    this.root = root;
    this.api = api;
    this.inertRoots = inertRoots;
    /** @type {AdShowing | null} */
    this.showing = null;
  }

  get isPlaying() {
    return this.showing !== null;
  }

  /**
   * Asks the platform for an ad of the unit (the auction) and starts loading its creative, so
   * show() starts at once. Resolves with the decision; rejects with a BridgeError (NO_FILL...).
   */
  /**
   * @param {{appId: string, unitId: string, launchId?: string | null, format?: string | null}} request
   * @returns {Promise<any>} the decision
   */
  async load({ appId, unitId, launchId = null, format = null }) {
    let decision;
    try {
      decision = await this.api.requestAd({ appId, unitId, launchId });
    } catch (error) {
      throw adError(error);
    }
    if (format && decision.format !== format) {
      throw new BridgeError("INVALID_ARGUMENT", `unit ${unitId} is an ${decision.format} unit, not ${format}`);
    }
    decision.media = this.prepareMedia(decision.creative);
    return decision;
  }

  prepareMedia(creative) {
    if (creative.kind === "video") {
      const video = el("video", { className: "ad-media-element", playsInline: true, preload: "auto", disableRemotePlayback: true });
      video.src = creative.url;
      return video;
    }
    const image = el("img", { className: "ad-media-element", alt: "", decoding: "async" });
    image.src = creative.url;
    return image;
  }

  /** Plays a loaded ad. Resolves `{rewarded, transactionId, reason}`; rejects NO_FILL etc. */
  play(decision) {
    if (this.showing) return Promise.reject(new BridgeError("NOT_ALLOWED", "another ad is playing"));
    this.showing = new AdShowing(this, decision);
    return this.showing.run().finally(() => {
      this.showing = null;
    });
  }
}

/** One ad on screen, from its first frame to its close. */
class AdShowing {
  /** @type {HTMLElement} */
  status;
  /** @type {HTMLElement} */
  announcer;
  /** @type {HTMLButtonElement} */
  closeButton;
  /** @type {HTMLButtonElement | null} */
  soundButton;
  /** @type {HTMLElement} */
  fill;
  /** @type {Array<[HTMLElement, boolean]>} */
  covered;
  /** @type {() => void} */
  onVisibility;
  /** @type {(event: KeyboardEvent) => void} */
  onKey;
  /** @type {number} */
  frame;
  /** @type {(outcome: {rewarded: boolean, transactionId: string | null, reason: string | null}) => void} set by run() */
  resolve;
  /** @type {(error: Error) => void} set by run() */
  reject;
  /** @type {string | undefined} the signed show token, once the platform gave it */
  showToken;

  /**
   * @param {AdPlayer} player
   * @param {any} decision the platform's ad decision (POST /api/ads/requests), with its loaded media
   */
  constructor(player, decision) {
    /** @type {HTMLElement | null} */
    this.returnFocus = null;
    this.player = player;
    this.api = player.api;
    this.root = player.root;
    this.decision = decision;
    this.creative = decision.creative;
    this.rewarded = decision.format === "rewarded";
    this.media = decision.media;
    this.isVideo = this.creative.kind === "video";
    this.watchedMs = 0;
    /** @type {any} */
    this.lastTick = null;
    this.lastMediaTime = 0;
    this.started = false; // the impression was reported
    this.onScreen = true; // false once the page was hidden without the person's click
    this.clickedAt = -Infinity;
    /** @type {any} */
    this.completion = null; // the platform's answer to complete, once asked
    /** @type {Promise<any> | null} */
    this.completing = null;
    this.closeReady = this.rewarded; // a rewarded ad may be closed any time (without the reward)
    this.ended = false;
    this.finished = false;
  }

  run() {
    return new Promise((resolve, reject) => {
      this.resolve = resolve;
      this.reject = reject;
      this.open();
      this.start();
    });
  }

  // The layer -----------------------------------------------------------------------------------

  open() {
    const { creative } = this;
    this.status = el("span", { className: "ad-status" });
    this.announcer = el("span", { className: "visually-hidden", role: "status" });
    this.closeButton = el("button", { type: "button", className: "ad-close", "aria-label": "Close ad" }, icon("close"));
    this.closeButton.addEventListener("click", () => this.close());
    this.soundButton = this.isVideo ? el("button", { type: "button", className: "ad-sound" }) : null;
    this.soundButton?.addEventListener("click", () => this.setMuted(!this.media.muted));
    const learnMore = el("button", { type: "button", className: "button-primary ad-cta" }, "Learn more");
    learnMore.addEventListener("click", () => this.click());
    this.fill = el("div", { className: "ad-progress-fill" });

    this.root.replaceChildren(
      el(
        "div",
        { className: "ad-stage" },
        el("div", { className: "ad-media" }, this.media),
        el(
          "div",
          { className: "ad-top" },
          el("span", { className: "ad-badge", id: "ad-label" }, "Ad"),
          this.status,
          this.soundButton,
          this.closeButton
        ),
        el(
          "div",
          { className: "ad-bottom" },
          el("div", { className: "ad-text" }, el("p", { className: "ad-title" }, creative.title), el("p", { className: "ad-advertiser" }, creative.advertiser)),
          learnMore
        ),
        el("div", { className: "ad-progress", "aria-hidden": "true" }, this.fill),
        this.announcer
      )
    );
    this.root.setAttribute("aria-label", `Ad: ${creative.title}, from ${creative.advertiser}`);
    this.covered = this.player.inertRoots.map((root) => [root, root.inert]);
    for (const root of this.player.inertRoots) root.inert = true;
    this.returnFocus = /** @type {HTMLElement | null} */ (document.activeElement);
    this.root.hidden = false;
    this.renderSound();
    this.renderStatus();
    this.root.focus({ preventScroll: true });

    this.onVisibility = () => this.visibilityChanged();
    this.onKey = (event) => {
      if (event.key === "Escape") {
        event.preventDefault();
        event.stopPropagation();
        if (this.closeReady) this.close();
      }
    };
    document.addEventListener("visibilitychange", this.onVisibility);
    document.addEventListener("keydown", this.onKey, true);
  }

  teardown() {
    document.removeEventListener("visibilitychange", this.onVisibility);
    document.removeEventListener("keydown", this.onKey, true);
    cancelAnimationFrame(this.frame);
    if (this.isVideo) {
      this.media.pause();
      this.media.removeAttribute("src");
      this.media.load();
    }
    this.root.hidden = true;
    this.root.replaceChildren();
    for (const [root, wasInert] of this.covered) root.inert = wasInert;
    if (this.returnFocus?.isConnected) this.returnFocus.focus({ preventScroll: true });
  }

  renderSound() {
    if (!this.soundButton) return;
    const muted = this.media.muted;
    this.soundButton.setAttribute("aria-label", muted ? "Turn ad sound on" : "Mute ad");
    this.soundButton.setAttribute("aria-pressed", String(muted));
    this.soundButton.replaceChildren(icon(muted ? "muted" : "sound"));
  }

  setMuted(muted) {
    this.media.muted = muted;
    this.renderSound();
  }

  /** "Reward in 12 s", "Reward earned", "You can close in 3 s"... */
  renderStatus() {
    const left = this.decision.min_watch_ms - this.watchedMs;
    let text;
    if (this.rewarded) {
      if (this.completion) text = this.completion.rewarded ? "Reward earned" : "No reward";
      else if (!this.onScreen) text = "No reward: the ad left the screen";
      else if (left > 0) text = `Reward in ${seconds(left)} s`;
      else text = "Checking your reward…";
    } else {
      text = left > 0 ? `You can close in ${seconds(left)} s` : "";
    }
    if (this.status.textContent !== text) this.status.textContent = text;
    this.closeButton.hidden = !this.closeReady;
    const total = this.isVideo && this.media.duration > 0 ? this.media.duration * 1000 : this.creative.duration_ms;
    this.fill.style.transform = `scaleX(${Math.min(1, this.watchedMs / total)})`;
  }

  announce(message) {
    this.announcer.textContent = message;
  }

  // Playing -------------------------------------------------------------------------------------

  start() {
    if (this.isVideo) {
      this.media.addEventListener("playing", () => this.began(), { once: true });
      this.media.addEventListener("ended", () => this.reachedEnd());
      this.media.addEventListener("error", () => this.fail(new BridgeError("NO_FILL", "the ad's video could not be played")));
      this.playMedia();
    } else {
      const shown = this.media.complete ? Promise.resolve() : this.media.decode();
      shown.then(
        () => this.began(),
        () => this.fail(new BridgeError("NO_FILL", "the ad's image could not be shown"))
      );
    }
  }

  playMedia() {
    if (!this.isVideo || this.ended || document.visibilityState !== "visible") return;
    this.media.play().catch((error) => {
      if (error.name !== "NotAllowedError") return;
      // Sound needs a gesture the browser counts: play muted, and offer the sound.
      this.setMuted(true);
      this.media.play().catch(() => {});
    });
  }

  /**
   * The first frame is on screen: the platform's show token for it, then the impression with
   * that token (it bills the advertiser, once; without a token nothing is billed).
   */
  async began() {
    if (this.finished) return;
    this.lastTick = performance.now();
    this.frame = requestAnimationFrame((now) => this.tick(now));
    try {
      this.showToken ??= (await withRetries(() => this.api.adShown(this.decision.ad_id))).show_token;
      await withRetries(() => this.api.adImpression(this.decision.ad_id, this.showToken));
      this.started = true;
      if (this.ended) this.complete(); // a very short creative ended while the impression was on its way
    } catch (error) {
      // The budget ran out since the auction, or the decision is too old: the ad cannot run.
      this.fail(adError(error));
    }
  }

  /** Counts watched time, frame by frame, only while the ad plays on a visible page. */
  tick(now) {
    if (this.finished) return;
    const elapsed = Math.min(TICK_CAP_MS, now - this.lastTick);
    this.lastTick = now;
    if (document.visibilityState === "visible") {
      if (this.isVideo) {
        // The video's own clock: it stands still while the video stalls or is paused.
        const mediaTime = this.media.currentTime;
        const advanced = (mediaTime - this.lastMediaTime) * 1000;
        if (advanced > 0 && advanced <= TICK_CAP_MS * 2) this.watchedMs += advanced;
        this.lastMediaTime = mediaTime;
      } else if (!this.ended) {
        this.watchedMs += elapsed;
      }
    }
    this.progress();
    this.frame = requestAnimationFrame((next) => this.tick(next));
  }

  progress() {
    const reachedMin = this.watchedMs >= this.decision.min_watch_ms;
    if (reachedMin && !this.closeReady) {
      this.closeReady = true;
      this.announce("You can close the ad now");
      if (document.activeElement === this.root) this.closeButton.focus({ preventScroll: true });
    }
    if (this.rewarded && reachedMin && this.started) this.complete();
    if (!this.isVideo && this.watchedMs >= this.creative.duration_ms) this.reachedEnd();
    this.renderStatus();
  }

  reachedEnd() {
    if (this.ended) return;
    this.ended = true;
    // Played to its last frame: the whole creative was watched, whatever the frame clock lost.
    const whole = this.isVideo && this.media.duration > 0 ? this.media.duration * 1000 : this.creative.duration_ms;
    this.watchedMs = Math.max(this.watchedMs, whole);
    this.closeReady = true;
    if (this.started) this.complete();
    this.renderStatus();
    this.closeButton.focus({ preventScroll: true });
  }

  /** Tells the platform the ad was watched; a rewarded ad learns whether it earned its reward. */
  complete() {
    this.completing ??= withRetries(() => this.api.adComplete(this.decision.ad_id, this.watchedMs, this.onScreen)).then(
      (answer) => {
        this.completion = answer;
        if (this.rewarded) this.announce(answer.rewarded ? "Reward earned. You can close the ad." : "No reward for this ad.");
        this.renderStatus();
        return answer;
      },
      (error) => {
        console.warn("openminis: ad completion not reported", error);
        this.completion = { rewarded: false, transaction_id: null, reason: "not_reported" };
        this.renderStatus();
        return this.completion;
      }
    );
    return this.completing;
  }

  visibilityChanged() {
    if (document.visibilityState === "hidden") {
      if (this.isVideo) this.media.pause();
      const clickedAway = performance.now() - this.clickedAt < CLICK_AWAY_MS;
      if (!clickedAway && !this.completion && !this.completing) {
        this.onScreen = false;
        this.renderStatus();
      }
    } else {
      this.lastTick = performance.now();
      if (this.isVideo) this.lastMediaTime = this.media.currentTime;
      this.playMedia();
    }
  }

  click() {
    this.clickedAt = performance.now();
    // Opened in the tap itself (a window opened after an await would be blocked as a pop-up); the
    // platform counts the click meanwhile.
    window.open(this.creative.click_url, "_blank", "noopener");
    this.api.adClick(this.decision.ad_id).catch((error) => console.warn("openminis: ad click not counted", error));
  }

  // Ending --------------------------------------------------------------------------------------

  /** The close button (or Escape): with the platform's answer if the ad completed, else no reward. */
  async close() {
    if (this.finished || !this.closeReady) return;
    let answer;
    if (this.completing) {
      answer = await this.completing;
    } else if (!this.rewarded && this.ended) {
      answer = await this.complete();
    } else {
      if (this.started) {
        this.api.adClose(this.decision.ad_id, this.watchedMs).catch((error) => console.warn("openminis: ad close not reported", error));
      }
      answer = { rewarded: false, transaction_id: null, reason: "closed" };
    }
    this.finish();
    this.resolve({ rewarded: Boolean(answer.rewarded), transactionId: answer.transaction_id ?? null, reason: answer.reason ?? null });
  }

  fail(error) {
    if (this.finished) return;
    this.finish();
    this.reject(error);
  }

  finish() {
    this.finished = true;
    this.teardown();
  }
}
