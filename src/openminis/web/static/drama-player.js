// The host's drama player: a series' episodes full screen and vertical, one after another, so a
// producer ships a series with no code of their own.
//
// Each episode is a slide with its own <video>. Only three slides exist at a time: the episode on
// screen and its neighbours. Once the current episode shows its first frame, the next one is
// loaded ahead: its signed URLs are asked for and its <video preload="auto"> starts buffering the
// MP4 (faststart: the index is at the front), so a swipe, or the end of an episode, plays the
// next from memory. A locked episode gets no media at all (the platform refuses its URLs): its
// slide shows the poster and a lock, and the paywall opens above it. A paid episode's URLs work
// only with this browser's session cookie and for minutes: they are asked again near their expiry,
// and when a fetch mid-episode fails on an expired one (onMediaError).
//
// Where the person is in the series is saved on the platform: on every new episode, every few
// seconds while playing, on pause and when the player or the page goes away. Reopening the series
// resumes there.
//
// Opening a series is a launch of the series' app, recorded with where it was opened from (the
// hub, a creator's post, a share link): unlocks in the player carry that launch, so the platform
// credits its source. Each episode started and each one watched to its end is an analytics event
// (episode_play, episode_complete; once each per opening), for the producer's drop-off curve.
// @ts-check

import { errorMessage } from "./api.js";
import { el, part } from "./dom.js";
import { DramaControls } from "./drama-controls.js";
import { EpisodeSheet } from "./episode-sheet.js";
import { episodeCount, formatTime } from "./format.js";
import { icon } from "./icons.js";
import { mintLaunchId, viaFields } from "./launcher.js";
import { closeOnSwipeDown } from "./navigation.js";
import { PaywallSheet, episodeLabel } from "./paywall-sheet.js";
import { ReportSheet } from "./report-sheet.js";
import { coinsLabel } from "./wallet.js";

const SAVE_EVERY_MS = 5000;
const SWIPE_DISTANCE = 0.18; // of the player's height: a drag past it moves to the next episode
const SWIPE_SPEED = 0.45; // px per ms: a quick flick moves on even when it is short
const TAP_SLOP_PX = 8;
const WHEEL_STEP = 40; // px of wheel travel that makes one swipe
const WHEEL_QUIET_MS = 220; // a wheel gesture (a trackpad's inertia included) ends after this lull
const URL_MARGIN_MS = 2 * 60 * 1000; // signed URLs are asked again this long before they expire
const SEEK_STEP_S = 5;
const RESUME_TAIL_MS = 1500; // a saved position this close to the end starts the episode over
const H264 = 'video/mp4; codecs="avc1.640028, mp4a.40.2"';
// How long the paywall waits for the platform to record the opening, so its unlock can name it;
// past that it opens anyway, and the unlock is credited to no source.
const LAUNCH_WAIT_MS = 1000;

/**
 * Which of the signed URLs to play. MP4, so the next episode can be buffered ahead: 720p on a
 * desktop or a fast connection, 480p otherwise (and always when the person asks to save data).
 * HLS only where the browser cannot play the MP4 but plays HLS natively.
 */
export function pickSource(urls) {
  const probe = document.createElement("video");
  if (!probe.canPlayType(H264) && probe.canPlayType("application/vnd.apple.mpegurl")) return urls.hls;
  // The Network Information API: Chromium only, and not in TypeScript's DOM typings.
  const connection = /** @type {any} */ (navigator).connection;
  if (connection?.saveData) return urls.mp4_480;
  const desktop = matchMedia("(pointer: fine) and (hover: hover)").matches;
  const fast = connection
    ? connection.effectiveType === "4g" && !(connection.downlink > 0 && connection.downlink < 5)
    : false;
  return desktop || fast ? urls.mp4_720 : urls.mp4_480;
}

/** One episode's slide: its poster, its video (once it may be watched), its lock or its error. */
class EpisodeSlide {
  constructor(player, episode) {
    this.player = player;
    this.episode = episode;
    this.number = episode.number;
    /** @type {any} */
    this.urls = null;
    /** @type {any} the playback answer: its URLs, subtitles and preview sprite */
    this.answer = null;
    this.expiresAt = 0;
    this.issuedAt = 0;
    this.position = 0; // the last moment played: where a refresh of expired links goes on from
    /** @type {Promise<unknown> | null} */
    this.preparing = null;

    this.video = el("video", { className: "drama-video", playsInline: true, preload: "auto", disableRemotePlayback: true });
    if (episode.thumbnail_url) this.video.poster = episode.thumbnail_url;
    this.video.muted = player.muted;
    // Not draggable: a mouse's drag on it is a swipe between episodes, not an image dragged away.
    this.backdrop = episode.thumbnail_url
      ? el("img", { className: "drama-slide-backdrop", src: episode.thumbnail_url, alt: "", decoding: "async", draggable: "false" })
      : null;
    this.overlay = el("div", { className: "drama-slide-overlay" });
    this.element = el(
      "div",
      { className: "drama-slide", dataset: { episode: String(this.number) } },
      this.backdrop,
      this.video,
      el("span", { className: "spinner drama-spinner", "aria-hidden": "true" }),
      this.overlay
    );

    for (const name of ["play", "pause", "timeupdate", "durationchange", "ended", "waiting", "playing", "canplay", "error"]) {
      this.video.addEventListener(name, (event) => player.onVideoEvent(this, event));
    }
    // The poster is a placeholder: once the first frame is decoded, show that instead, so an
    // episode loaded ahead slides in with its real first frame and starts without a jump.
    this.video.addEventListener("loadeddata", () => this.video.removeAttribute("poster"));
    this.renderLock();
  }

  get locked() {
    return !this.episode.access;
  }

  get hasSource() {
    return this.video.hasAttribute("src");
  }

  /** Fresh access info (after an unlock): drops the lock, or shows it. */
  update(episode) {
    this.episode = episode;
    this.renderLock();
  }

  renderLock() {
    this.element.classList.toggle("is-locked", this.locked);
    if (!this.locked) {
      if (this.overlay.dataset.kind === "lock") this.clearOverlay();
      return;
    }
    const { number } = this;
    const price = this.player.detail?.episode_price;
    const unlock = el("button", { type: "button", className: "button-primary drama-unlock" }, icon("lock"), `Unlock episode ${number}`);
    unlock.addEventListener("click", () => this.player.offerUnlock(this));
    this.showOverlay(
      "lock",
      el("span", { className: "drama-lock-badge" }, icon("lock")),
      el("p", { className: "drama-overlay-title" }, `Episode ${number} is locked`),
      el("p", { className: "drama-overlay-note" }, price ? `Unlock it for ${coinsLabel(price)}, or choose another way in.` : "Unlock it to keep watching."),
      unlock
    );
  }

  showOverlay(kind, ...children) {
    this.overlay.dataset.kind = kind;
    this.overlay.replaceChildren(el("div", { className: "drama-overlay-card" }, ...children));
    this.overlay.hidden = false;
  }

  clearOverlay() {
    delete this.overlay.dataset.kind;
    this.overlay.replaceChildren();
    this.overlay.hidden = true;
  }

  /** Asks for the episode's signed URLs (again when they are about to expire) and loads its video. */
  prepare() {
    if (this.locked) return Promise.resolve(false);
    // A link that lives minutes is asked again in its last quarter at most (2 minutes at most).
    const margin = Math.min(URL_MARGIN_MS, (this.expiresAt - this.issuedAt) / 4);
    if (this.hasSource && Date.now() < this.expiresAt - margin) return Promise.resolve(true);
    this.preparing ??= this.player.api
      .playback(this.player.detail.id, this.number)
      .then((answer) => {
        const { urls, expires_at: expiresAt } = answer;
        this.urls = urls;
        this.answer = answer;
        this.issuedAt = Date.now();
        this.expiresAt = expiresAt * 1000;
        if (urls.poster) this.video.poster = urls.poster;
        this.video.src = pickSource(urls);
        this.player.controls.attach(this.video, answer);
        this.video.load();
        if (this === this.player.current) this.player.controls.show(this.video, answer);
        return true;
      })
      .finally(() => {
        this.preparing = null;
      });
    return this.preparing;
  }

  /** Drops the media (an expired link, a new attempt): the next prepare() asks again. */
  reset() {
    this.expiresAt = 0;
    this.video.removeAttribute("src");
    this.video.load();
    if (this.urls?.poster) this.video.poster = this.urls.poster;
  }

  /** Where the slide sits: 0 on screen, -1 above, 1 below; `drag` follows the finger. */
  place(offset, drag = 0) {
    this.element.style.transform = `translate3d(0, calc(${offset * 100}% + ${drag}px), 0)`;
    const current = offset === 0;
    this.element.inert = !current;
    this.element.setAttribute("aria-hidden", String(!current));
  }

  destroy() {
    this.video.pause();
    // Without its source the element lets go of its decoder and buffer at once.
    this.video.removeAttribute("src");
    this.video.load();
    this.element.remove();
  }
}

export class DramaPlayer {
  /** @type {{play: Set<number>, complete: Set<number>}} */
  watched;
  /** @type {number | null} */
  landingPosition;
  /** @type {number | null} the seek bar's animation frame while the video plays */
  clock;
  /** @type {boolean} */
  scrubbing;
  /**
   * @param {object} options
   * @param {HTMLElement} options.root the drama layer (#drama-layer) from index.html
   * @param {HTMLElement} options.shell the host page under it, made inert while the player is open
   * @param {import("./api.js").Api} options.api
   * @param {import("./wallet.js").Wallet} options.wallet
   * @param {import("./sheets.js").Sheets} options.sheets
   * @param {import("./events.js").EventQueue} options.events
   * @param {string} options.market
   * @param {import("./ad-player.js").AdPlayer} options.ads
   * @param {(saved: Promise<unknown>) => void} [options.onClose] called once the player has closed (the feed resumes its video); `saved`: where the person stopped, once it is on record
   * @param {(opened: {series: any, episode: number | null, source: string, via: Record<string, any>}) => void} [options.onOpen]
   *   called as a series opens (navigation.js gives it a history entry)
   * @param {(number: number) => void} [options.onEpisode] called as an episode comes on screen
   */
  constructor({ root, shell, api, wallet, sheets, events, market, ads, onClose = () => {}, onOpen = () => {}, onEpisode = () => {} }) {
    this.root = root;
    this.shell = shell;
    this.api = api;
    this.wallet = wallet;
    this.sheets = sheets;
    this.events = events;
    this.market = market;
    this.ads = ads;
    this.onClose = onClose;
    this.onOpen = onOpen;
    this.onEpisode = onEpisode;
    this.player = part(root, ".drama-player");
    this.reel = part(root, ".drama-reel");
    this.backdrop = part(root, ".drama-backdrop");
    this.title = part(root, ".drama-title");
    this.position = part(root, ".drama-position");
    this.episodeTitle = part(root, ".drama-episode-title");
    /** @type {HTMLInputElement} */
    this.seek = part(root, ".drama-seek-input");
    this.seekFill = part(root, ".drama-seek-fill");
    this.timeNow = part(root, ".drama-time-current");
    this.timeTotal = part(root, ".drama-time-total");
    this.soundButton = part(root, ".drama-sound");
    this.status = part(root, ".drama-status");
    this.hint = part(root, ".drama-hint");
    this.hintText = part(root, ".drama-hint-text");
    /** @type {HTMLButtonElement} */
    this.previousButton = part(root, ".drama-previous");
    /** @type {HTMLButtonElement} */
    this.nextButton = part(root, ".drama-next");

    /** @type {any} */
    this.detail = null; // GET /api/dramas/{id}: the series, its episodes and their access
    this.slides = new Map(); // episode number -> EpisodeSlide
    /** @type {any} */
    this.current = null;
    this.landing = 0; // bumped on every move, so a late answer for an old episode is dropped
    this.muted = false;
    this.userPaused = false; // the person paused: nothing resumes on its own
    this.pageHidden = false;
    /** @type {import("./paywall-sheet.js").PaywallSheet | null} */
    this.paywall = null;
    this.savedAt = 0;
    this.swiped = false;
    this.timings = []; // time to first frame per episode shown, for tests and bench/drama.py
    /** @type {any} */
    this.timing = null;
    /** @type {any} */
    this.returnFocus = null;
    /** @type {any} */
    this.launch = null; // {id, appId, source, via, openedAt, recorded}: this opening, on record
    /** @type {{source: string, via: Record<string, any>}} */
    this.opening = { source: "hub", via: {} };

    part(root, ".drama-close").addEventListener("click", () => this.close());
    part(root, ".drama-episodes").addEventListener("click", () => this.openEpisodes());
    root.querySelector(".drama-report")?.addEventListener("click", () => this.report());
    this.previousButton.addEventListener("click", (event) => this.previous("swipe", event.timeStamp));
    this.nextButton.addEventListener("click", (event) => this.next("swipe", event.timeStamp));
    this.soundButton.addEventListener("click", () => this.setMuted(!this.muted));
    this.controls = new DramaControls({
      root: this.player,
      video: () => (this.current?.hasSource ? this.current.video : null),
      notify: (message) => this.sheets.notify(message),
    });
    this.bindSeek();
    this.bindGestures();
    this.player.addEventListener("keydown", (event) => this.onKey(event));
    const edge = root.querySelector(".edge-swipe");
    if (edge instanceof HTMLElement) closeOnSwipeDown(edge, () => this.close());
    document.addEventListener("visibilitychange", () => this.onVisibility());
    addEventListener("pagehide", () => this.save({ keepalive: true }));
    this.renderSound();
  }

  get isOpen() {
    return !this.root.hidden;
  }

  /** What tests and benchmarks read through window.__minisHost.drama. */
  state() {
    const video = this.current?.video;
    return {
      open: this.isOpen,
      seriesId: this.detail?.id ?? null,
      launch: this.launch && {
        launchId: this.launch.id,
        appId: this.launch.appId,
        source: this.launch.source,
        postId: this.launch.via.post_id ?? null,
        share: this.launch.via.share ?? null,
      },
      episode: this.current?.number ?? null,
      locked: this.current?.locked ?? null,
      playing: Boolean(video && !video.paused && !video.ended),
      currentTime: video?.currentTime ?? 0,
      playbackRate: video?.playbackRate ?? null,
      // The subtitles shown (a language tag, or null) and the cue on screen now.
      subtitles: this.controls.shownTrack()?.language || null,
      cue: this.root.querySelector(".drama-subtitles:not([hidden])")?.textContent || null,
      timings: this.timings.map((timing) => ({ ...timing })),
    };
  }

  /**
   * Opens a series (a card from GET /api/dramas, or just `{id, app_id}`) where the person left
   * off, or at `episode` (a post or a link to one episode). `tapAt` is the click's timeStamp:
   * time to first frame is measured from it. `source` and `via` say where it was opened from:
   * "hub", "feed", "search", "recents", "post" with `{post_id, creator_id}`, "share" with `{share}`.
   * @param {any} series
   * @param {{tapAt?: number, source?: string, via?: Record<string, any>, episode?: number | null}} [options]
   * @returns {Promise<boolean>} false when the series is not there (the person has been told)
   */
  async open(series, { tapAt = performance.now(), source = "hub", via = {}, episode = null } = {}) {
    if (this.isOpen) return true;
    this.returnFocus = document.activeElement;
    this.detail = null;
    this.title.textContent = series.title || "";
    this.position.textContent = series.episode_count ? episodeCount(series.episode_count) : "";
    this.episodeTitle.textContent = "";
    this.setBackdrop(series.cover_url);
    this.updateTime(0, 0);
    this.root.hidden = false;
    this.shell.inert = true;
    this.player.focus({ preventScroll: true });
    this.opening = { source, via }; // for a launch recorded once the series' app is known
    this.recordLaunch(series.app_id, source, via);
    this.onOpen({ series, episode, source, via });
    return this.load(series, tapAt, episode);
  }

  // Never waited for: the episode starts at once, and a launch that failed to record only
  // means its unlocks are credited to no source.
  recordLaunch(appId, source, via) {
    if (!appId) return;
    const launch = { id: mintLaunchId(), appId, source, via, openedAt: performance.now() };
    this.launch = launch;
    const fields = { source, ...viaFields(via) };
    this.events.track("click", appId, fields);
    this.events.track("launch", appId, { launch_id: launch.id, prewarmed: false, ...fields });
    launch.recorded = this.api.recordLaunch(launch.id, appId, source, via).then(
      () => launch.id,
      (error) => {
        console.warn("openminis: drama launch not recorded", error);
        return null;
      }
    );
  }

  /** The launch an unlock names, once the platform has it (it refuses one it does not know). */
  recordedLaunchId() {
    const recorded = this.launch?.recorded;
    if (!recorded) return Promise.resolve(null);
    return Promise.race([recorded, new Promise((resolve) => setTimeout(() => resolve(null), LAUNCH_WAIT_MS))]);
  }

  endLaunch() {
    const launch = this.launch;
    if (!launch) return;
    this.launch = null;
    this.events.track("session_end", launch.appId, {
      launch_id: launch.id,
      source: launch.source,
      duration_ms: Math.round(performance.now() - launch.openedAt),
      ...viaFields(launch.via),
    });
  }

  /**
   * @param {any} series
   * @param {number} tapAt
   * @param {number | null} [episode]
   * @returns {Promise<boolean>} false when the series is not there
   */
  async load(series, tapAt, episode = null) {
    this.showStatus("loading");
    let detail;
    try {
      detail = await this.api.drama(series.id);
    } catch (error) {
      if (!this.isOpen) return true;
      if (error.status === 404) {
        // Never there, unpublished or taken down: no Try again can bring it, and a black player
        // with its controls live is no answer (a probe followed /watch/ser_nope/1). The person is
        // told over what is under the player, as a link to a missing post or game does.
        this.close();
        this.sheets.notify("That series is no longer available.");
        return false;
      }
      this.showStatus("failed", errorMessage(error), () => this.load(series, performance.now(), episode));
      return true;
    }
    if (!this.isOpen) return true;
    this.showStatus(null);
    this.detail = detail;
    // Opened from its URL (/watch/...), only the series' id was known: its app is known now.
    if (!this.launch && detail.app_id) this.recordLaunch(detail.app_id, this.opening.source, this.opening.via);
    this.watched = { play: new Set(), complete: new Set() }; // episodes reported in this opening
    this.title.textContent = detail.title; // opened from a link, only the id was known
    const { progress } = detail;
    // An episode asked for (a post about it, a link to it) starts from its beginning.
    const asked = episode ? this.episode(episode) : null;
    const saved = !asked && progress ? this.episode(progress.episode_number) : null;
    const start = asked || saved || detail.episodes[0];
    if (!start) {
      this.showStatus("failed", "This series has no episodes yet.");
      return true;
    }
    const near = saved && progress.position_ms >= saved.duration_ms - RESUME_TAIL_MS;
    this.swiped = Boolean(progress); // someone coming back knows how the player works
    this.goTo(start.number, { position: saved && !near ? progress.position_ms : 0, cause: "open", at: tapAt });
    return true;
  }

  close() {
    if (!this.isOpen) return;
    const saved = this.save({ keepalive: true });
    this.controls.close();
    this.sheets.dismissOwnedBy(this);
    for (const slide of this.slides.values()) slide.destroy();
    this.slides.clear();
    this.current = null;
    this.landing += 1;
    this.root.hidden = true;
    this.shell.inert = false;
    this.endLaunch();
    this.returnFocus?.focus({ preventScroll: true });
    this.onClose(saved);
  }

  episode(number) {
    return this.detail?.episodes.find((episode) => episode.number === number) || null;
  }

  // Moving between episodes -------------------------------------------------------------------

  next(cause, at) {
    if (!this.current) return;
    const following = this.detail.episodes.find((episode) => episode.number > this.current.number);
    if (following) this.goTo(following.number, { cause, at });
    else if (cause === "autoplay") this.showEnd();
    else this.bounce(-1);
  }

  previous(cause, at) {
    if (!this.current) return;
    const before = this.detail.episodes.findLast((episode) => episode.number < this.current.number);
    if (before) this.goTo(before.number, { cause, at });
    else this.bounce(1);
  }

  async goTo(number, { position = 0, cause = "list", at = performance.now() } = {}) {
    const episode = this.episode(number);
    if (!episode || this.current?.number === number) return;
    const landing = ++this.landing;
    this.current?.video.pause();
    if (cause !== "open" && cause !== "autoplay") this.learnedSwipe();

    this.arrange(number);
    this.onEpisode(number);
    const slide = this.current;
    slide.clearOverlay();
    slide.renderLock();
    this.userPaused = false;
    this.updateChrome();
    this.controls.show(slide.hasSource ? slide.video : null, slide.locked ? null : slide.answer);
    this.timing = {
      number,
      cause,
      startedAt: at,
      ms: null,
      frameMs: null,
      // Buffered ahead (HAVE_FUTURE_DATA or better) when the move began.
      prefetched: slide.video.readyState >= HTMLMediaElement.HAVE_FUTURE_DATA,
    };
    this.landingPosition = position;

    if (slide.locked) {
      this.settle(slide);
      this.offerUnlock(slide);
      return;
    }
    try {
      await slide.prepare();
    } catch (error) {
      if (landing === this.landing) this.showFailure(slide, error);
      return;
    }
    if (landing !== this.landing) return;
    if (position > 0) slide.video.currentTime = position / 1000;
    this.play(slide);
  }

  /**
   * Puts episode `number` on screen, with the slide loaded ahead for it if there is one. Nothing
   * else happens in the moment of the swipe: making and dropping the other slides waits for
   * tidy(), once this one plays.
   */
  arrange(number) {
    let slide = this.slides.get(number);
    if (!slide) {
      slide = this.addSlide(this.episode(number), number);
    }
    this.current = slide;
    this.layout();
  }

  addSlide(episode, current) {
    const slide = new EpisodeSlide(this, episode);
    // A slide comes in from the side it will enter from, not across the screen.
    slide.place(Math.sign(episode.number - current));
    this.slides.set(episode.number, slide);
    this.reel.append(slide.element);
    return slide;
  }

  /** Keeps the slides of the current episode's neighbours (making them), and drops the rest. */
  tidy() {
    const number = this.current.number;
    const episodes = this.detail.episodes;
    const index = episodes.findIndex((episode) => episode.number === number);
    const wanted = [episodes[index - 1], episodes[index], episodes[index + 1]].filter(Boolean);
    const keep = new Set(wanted.map((episode) => episode.number));
    for (const [key, slide] of this.slides) {
      if (!keep.has(key)) {
        slide.destroy();
        this.slides.delete(key);
      }
    }
    for (const episode of wanted) {
      if (!this.slides.has(episode.number)) this.addSlide(episode, number);
    }
    this.layout();
  }

  layout(drag = 0) {
    const order = this.detail.episodes.map((episode) => episode.number);
    const here = order.indexOf(this.current.number);
    for (const slide of this.slides.values()) slide.place(order.indexOf(slide.number) - here, drag);
  }

  /** At the first or last episode a swipe springs back, so the person sees there is no more. */
  bounce(direction) {
    this.reel.classList.add("is-dragging");
    this.layout(direction * 56);
    requestAnimationFrame(() =>
      requestAnimationFrame(() => {
        this.reel.classList.remove("is-dragging");
        this.layout();
      })
    );
  }

  /**
   * The episode on screen has started (or shows its lock): now the work the swipe put off, in
   * order of use. Save where the person is, make the neighbouring slides, load the next one ahead.
   */
  settle(slide) {
    if (slide !== this.current) return;
    this.save({ number: slide.number, positionMs: this.landingPosition ?? 0 });
    this.landingPosition = null;
    this.tidy();
    this.prefetchAfter(slide);
  }

  /** Loads the episode after `slide` ahead, once `slide` is on screen. */
  prefetchAfter(slide) {
    if (slide !== this.current) return;
    const following = this.detail.episodes.find((episode) => episode.number > slide.number);
    const ahead = following && this.slides.get(following.number);
    if (!ahead || ahead.locked) return;
    ahead.prepare().catch((error) => console.warn("openminis: next episode not prefetched", error));
  }

  // Playing -----------------------------------------------------------------------------------

  play(slide) {
    if (slide !== this.current || this.pageHidden) return;
    const { video } = slide;
    video.muted = this.muted;
    this.watchFirstFrame(slide);
    video.play().catch((error) => {
      if (error.name !== "NotAllowedError" || slide !== this.current) return;
      // The browser allows sound only after a gesture it counts: start muted, offer the sound.
      this.setMuted(true);
      video.play().catch(() => {});
    });
  }

  /**
   * Times the episode's start, from the tap, swipe or key that asked for it: `ms` to its first
   * frame on screen (the `playing` event, then the next animation frame, which paints it) and
   * `frameMs` to the first new video frame the compositor presents (requestVideoFrameCallback).
   * For an episode loaded ahead the two differ: its first frame is already decoded, and the next
   * one waits for the media clock to start and one frame interval.
   */
  watchFirstFrame(slide) {
    const timing = this.timing;
    if (!timing || timing.number !== slide.number || timing.ms !== null || timing.watching) return;
    timing.watching = true;
    const { video } = slide;
    video.addEventListener(
      "playing",
      () =>
        requestAnimationFrame((now) => {
          timing.ms = now - timing.startedAt;
          delete timing.watching;
          this.timings.push(timing);
          this.settle(slide);
        }),
      { once: true }
    );
    video.requestVideoFrameCallback?.((now) => {
      timing.frameMs = now - timing.startedAt;
    });
  }

  togglePlay() {
    const slide = this.current;
    if (!slide || slide.locked || !slide.hasSource) return;
    if (slide.video.paused) {
      this.userPaused = false;
      if (slide.video.ended) slide.video.currentTime = 0;
      this.play(slide);
    } else {
      this.userPaused = true;
      slide.video.pause();
    }
  }

  setMuted(muted) {
    this.muted = muted;
    for (const slide of this.slides.values()) slide.video.muted = muted;
    this.renderSound();
  }

  renderSound() {
    this.soundButton.setAttribute("aria-pressed", String(this.muted));
    this.soundButton.setAttribute("aria-label", this.muted ? "Turn sound on" : "Mute");
    this.soundButton.replaceChildren(icon(this.muted ? "muted" : "sound"), el("span", {}, this.muted ? "Muted" : "Sound"));
  }

  onVideoEvent(slide, event) {
    if (slide !== this.current) return;
    const { video } = slide;
    switch (event.type) {
      case "timeupdate":
      case "durationchange":
        if (video.currentTime > 0) slide.position = video.currentTime;
        this.updateTime(video.currentTime, video.duration);
        if (!video.paused && performance.now() - this.savedAt >= SAVE_EVERY_MS) this.save();
        break;
      case "play":
      case "playing":
      case "canplay":
        slide.element.classList.remove("is-buffering");
        this.player.classList.remove("is-paused");
        if (event.type === "playing") {
          slide.retried = false; // playing again after new links: a later expiry may ask again
          this.controls.followPictureInPicture(video);
          this.startClock();
          this.reportWatching("play", slide.number);
        }
        break;
      case "waiting":
        slide.element.classList.add("is-buffering");
        break;
      case "pause":
        this.player.classList.toggle("is-paused", this.userPaused);
        if (!video.ended) this.save();
        break;
      case "ended":
        this.reportWatching("complete", slide.number);
        this.next("autoplay", event.timeStamp);
        break;
      case "error":
        this.onMediaError(slide);
        break;
    }
  }

  reportWatching(what, number) {
    const seen = this.watched?.[what];
    if (!seen || seen.has(number) || !this.detail) return;
    seen.add(number);
    const fields = { series_id: this.detail.id, episode: number, source: this.launch?.source };
    if (this.launch) fields.launch_id = this.launch.id;
    this.events.track(`episode_${what}`, this.detail.app_id, fields);
  }

  // The signed link may have expired: a paid episode's lives minutes (and only in this session),
  // so a long episode, or one paused a while, needs more bytes after it. Ask for new links and go
  // on from the same moment; once per failure, so a link that keeps failing shows the failure.
  onMediaError(slide) {
    if (!slide.hasSource) return;
    if (slide.retried) {
      this.showFailure(slide, null);
      return;
    }
    slide.retried = true;
    const at = slide.video.currentTime || slide.position;
    slide.reset();
    slide.prepare().then(
      () => {
        slide.video.currentTime = at;
        this.play(slide);
      },
      (error) => this.showFailure(slide, error)
    );
  }

  showFailure(slide, error) {
    this.settle(slide); // the person can still move on to the neighbours
    const retry = el("button", { type: "button", className: "button-secondary" }, "Try again");
    retry.addEventListener("click", () => this.replay(slide));
    slide.showOverlay(
      "failure",
      el("p", { className: "drama-overlay-title" }, "This episode could not be played"),
      el("p", { className: "drama-overlay-note" }, error ? errorMessage(error) : "Check your connection and try again."),
      retry
    );
  }

  /** "Try again" after a failure: new URLs, from the start of the episode. */
  async replay(slide) {
    const landing = ++this.landing;
    slide.retried = false;
    slide.clearOverlay();
    slide.reset();
    try {
      await slide.prepare();
    } catch (error) {
      if (landing === this.landing) this.showFailure(slide, error);
      return;
    }
    if (landing === this.landing) this.play(slide);
  }

  showEnd() {
    const slide = this.current;
    const again = el("button", { type: "button", className: "button-primary" }, "Watch from episode 1");
    const close = el("button", { type: "button", className: "button-secondary" }, "Close");
    again.addEventListener("click", () => this.goTo(this.detail.episodes[0].number, { cause: "list" }));
    close.addEventListener("click", () => this.close());
    slide.showOverlay(
      "end",
      el("p", { className: "drama-overlay-title" }, "That was the last episode"),
      el("p", { className: "drama-overlay-note" }, `You have watched all of ${this.detail.title}.`),
      el("div", { className: "drama-overlay-actions" }, again, close)
    );
    again.focus({ preventScroll: true });
  }

  // The clock: the seek bar follows the video every frame while it plays, not only on timeupdate.
  startClock() {
    if (this.clock) return;
    const tick = () => {
      const video = this.current?.video;
      if (!video || video.paused || !this.isOpen) {
        this.clock = null;
        return;
      }
      if (!this.scrubbing) this.updateTime(video.currentTime, video.duration);
      this.clock = requestAnimationFrame(tick);
    };
    this.clock = requestAnimationFrame(tick);
  }

  updateTime(now, total) {
    const duration = Number.isFinite(total) && total > 0 ? total : (this.current?.episode.duration_ms ?? 0) / 1000;
    this.seek.max = String(duration || 0);
    if (!this.scrubbing) this.seek.value = String(Math.min(now, duration) || 0);
    this.seek.setAttribute("aria-valuetext", `${formatTime(now)} of ${formatTime(duration)}`);
    this.seekFill.style.transform = `scaleX(${duration ? Math.min(1, now / duration) : 0})`;
    this.timeNow.textContent = formatTime(now);
    this.timeTotal.textContent = formatTime(duration);
  }

  bindSeek() {
    this.seek.addEventListener("pointerdown", () => {
      this.scrubbing = true;
    });
    const release = () => {
      this.scrubbing = false;
      this.controls.hidePreview();
    };
    this.seek.addEventListener("pointerup", release);
    this.seek.addEventListener("pointercancel", release);
    this.seek.addEventListener("input", () => {
      const video = this.current?.video;
      if (!video || !this.current.hasSource) return;
      video.currentTime = Number(this.seek.value);
      this.updateTime(video.currentTime, video.duration);
      // While dragging (not while stepping with keys): the frame where the thumb is.
      const max = Number(this.seek.max);
      if (this.scrubbing && max > 0) this.controls.showPreview(Number(this.seek.value), Number(this.seek.value) / max);
    });
    this.seek.addEventListener("change", () => {
      release();
      this.save();
    });
  }

  // Chrome: the title, "Episode 3 of 10", the backdrop ------------------------------------------

  updateChrome() {
    const { episode } = this.current;
    const total = this.detail.episodes.length;
    this.position.textContent = `Episode ${episode.number} of ${total}`;
    this.episodeTitle.textContent = episodeLabel(episode);
    this.setBackdrop(episode.thumbnail_url || this.detail.cover_url);
    this.updateTime(0, episode.duration_ms / 1000);
    this.seek.disabled = this.current.locked;
    this.player.classList.remove("is-paused");
    const episodes = this.detail.episodes;
    this.previousButton.disabled = episodes[0].number === episode.number;
    this.nextButton.disabled = episodes.at(-1).number === episode.number;
    this.hint.hidden = this.swiped || this.nextButton.disabled;
    this.hintText.textContent = matchMedia("(pointer: coarse)").matches
      ? "Swipe up for the next episode"
      : "Scroll, or press ↓, for the next episode";
  }

  learnedSwipe() {
    this.swiped = true;
    this.hint.hidden = true;
  }

  setBackdrop(url) {
    this.backdrop.style.backgroundImage = url ? `url(${JSON.stringify(url)})` : "";
  }

  /**
   * @param {"loading" | "failed" | null} kind null hides the status
   * @param {string} [message]
   * @param {(() => void) | null} [retry]
   */
  showStatus(kind, message = "", retry = null) {
    if (!kind) {
      this.status.hidden = true;
      this.status.replaceChildren();
      return;
    }
    this.status.hidden = false;
    if (kind === "loading") {
      this.status.replaceChildren(el("span", { className: "spinner", "aria-hidden": "true" }), el("span", { className: "visually-hidden" }, "Loading"));
      return;
    }
    const actions = [];
    if (retry) actions.push(el("button", { type: "button", className: "button-secondary", onclick: retry }, "Try again"));
    this.status.replaceChildren(el("div", { className: "drama-overlay-card" }, el("p", { className: "drama-overlay-title" }, message), ...actions));
  }

  // Unlocking ---------------------------------------------------------------------------------

  /** The paywall for a locked episode; once it is unlocked, it plays at once if still on screen. */
  async offerUnlock(slide) {
    if (this.paywall || this.sheets.isOpen) return;
    const launchId = await this.recordedLaunchId();
    if (this.paywall || this.sheets.isOpen || slide !== this.current) return; // things moved on meanwhile
    this.paywall = new PaywallSheet({
      sheets: this.sheets,
      api: this.api,
      wallet: this.wallet,
      market: this.market,
      series: this.detail,
      episode: slide.episode,
      ads: this.ads,
      owner: this,
      launchId,
    });
    let result;
    try {
      result = await this.paywall.run();
    } catch (error) {
      if (!["USER_CANCELLED", "INSUFFICIENT_FUNDS", "PRICE_CHANGED"].includes(error.code)) console.error("openminis: unlock failed", error);
      return;
    } finally {
      this.paywall = null;
    }
    await this.applyUnlock(slide.number, result);
    const unlocked = this.slides.get(slide.number);
    if (!unlocked || unlocked !== this.current || unlocked.locked) return;
    this.timing = { number: unlocked.number, cause: "unlock", startedAt: performance.now(), ms: null, frameMs: null, prefetched: false };
    this.player.focus({ preventScroll: true });
    try {
      await unlocked.prepare();
    } catch (error) {
      this.showFailure(unlocked, error);
      return;
    }
    if (unlocked === this.current) this.play(unlocked);
  }

  /** A whole-series purchase or a pass opens every episode: ask the platform what is open now. */
  async applyUnlock(number, result) {
    if (result.access === "series" || result.access === "pass") {
      try {
        const fresh = await this.api.drama(this.detail.id);
        this.detail.episodes = fresh.episodes;
      } catch {
        for (const episode of this.detail.episodes) episode.access ??= result.access;
      }
    } else {
      const episode = this.episode(number);
      if (episode) episode.access = result.access;
    }
    for (const slide of this.slides.values()) slide.update(this.episode(slide.number));
    if (this.current) this.seek.disabled = this.current.locked;
  }

  /** The person reports the episode on screen (or the series, before one is): report-sheet.js. */
  report() {
    if (!this.detail || this.sheets.isOpen) return;
    const number = this.current?.number;
    const target = number ? { kind: "episode", id: `${this.detail.id}:${number}` } : { kind: "series", id: this.detail.id };
    const title = number ? `episode ${number} of ${this.detail.title}` : this.detail.title;
    new ReportSheet({ sheets: this.sheets, api: this.api, target: /** @type {any} */ (target), title }).open();
  }

  openEpisodes() {
    if (!this.detail || this.sheets.isOpen) return;
    new EpisodeSheet({
      sheets: this.sheets,
      series: this.detail,
      current: this.current?.number,
      owner: this,
      onPick: (number) => this.goTo(number, { cause: "list" }),
    }).open();
  }

  // Saving where the person is ------------------------------------------------------------------

  /** @param {{number?: number, positionMs?: number, keepalive?: boolean}} [where] the episode on screen and its position unless given */
  save({ number, positionMs, keepalive = false } = {}) {
    if (!this.detail || !this.current) return Promise.resolve();
    const episodeNumber = number ?? this.current.number;
    const position = positionMs ?? (this.current.locked ? 0 : this.current.video.currentTime * 1000);
    this.savedAt = performance.now();
    return this.api.saveProgress(this.detail.id, episodeNumber, position, { keepalive }).catch((error) => {
      console.warn("openminis: watch progress not saved", error);
    });
  }

  onVisibility() {
    if (!this.isOpen || !this.current) return;
    if (document.visibilityState === "hidden") {
      this.pageHidden = true;
      this.current.video.pause();
      this.save({ keepalive: true });
    } else {
      this.pageHidden = false;
      if (!this.userPaused && !this.current.locked && this.current.hasSource) this.play(this.current);
    }
  }

  // Input: swipes, the wheel, keys --------------------------------------------------------------

  bindGestures() {
    /** @type {{x: number, y: number, at: number, id: number, moved: boolean} | null} */
    let start = null;
    this.reel.addEventListener("pointerdown", (event) => {
      if (!this.current || event.button !== 0) return;
      start = { x: event.clientX, y: event.clientY, at: event.timeStamp, id: event.pointerId, moved: false };
    });
    this.reel.addEventListener("pointermove", (event) => {
      if (!start || event.pointerId !== start.id) return;
      const dy = event.clientY - start.y;
      if (!start.moved && Math.abs(dy) < TAP_SLOP_PX) return;
      if (!start.moved) {
        start.moved = true;
        this.reel.setPointerCapture(event.pointerId);
        this.reel.classList.add("is-dragging");
      }
      this.layout(dy);
    });
    const finish = (event) => {
      if (!start || event.pointerId !== start.id) return;
      const { moved, y, at } = start;
      start = null;
      this.reel.classList.remove("is-dragging");
      if (!moved) {
        // A tap: on the video it pauses or plays; on a control, the control has it.
        if (event.type === "pointerup" && !event.target.closest("button")) this.togglePlay();
        return;
      }
      const dy = event.clientY - y;
      const speed = Math.abs(dy) / Math.max(1, event.timeStamp - at);
      const far = Math.abs(dy) > this.reel.clientHeight * SWIPE_DISTANCE || speed > SWIPE_SPEED;
      if (event.type === "pointerup" && far && dy < 0) this.next("swipe", event.timeStamp);
      else if (event.type === "pointerup" && far && dy > 0) this.previous("swipe", event.timeStamp);
      else this.layout();
    };
    this.reel.addEventListener("pointerup", finish);
    this.reel.addEventListener("pointercancel", finish);
    // A mouse or pen drag on anything in the reel (a poster, a lock's picture) is a swipe: the
    // browser's own drag of it would cancel the pointer (a probe's mouse drags never moved on).
    this.reel.addEventListener("dragstart", (event) => event.preventDefault());

    // One wheel gesture is one swipe, however many events a trackpad sends for it.
    let travel = 0;
    let spent = false;
    /** @type {ReturnType<typeof setTimeout> | null} */
    let quiet = null;
    this.player.addEventListener(
      "wheel",
      (event) => {
        if (!this.current || event.ctrlKey) return;
        clearTimeout(quiet ?? undefined);
        quiet = setTimeout(() => {
          travel = 0;
          spent = false;
        }, WHEEL_QUIET_MS);
        if (spent) return;
        travel += event.deltaMode === WheelEvent.DOM_DELTA_LINE ? event.deltaY * 16 : event.deltaY;
        if (Math.abs(travel) < WHEEL_STEP) return;
        spent = true;
        if (travel > 0) this.next("swipe", event.timeStamp);
        else this.previous("swipe", event.timeStamp);
      },
      { passive: true }
    );
  }

  onKey(event) {
    if (event.defaultPrevented || event.altKey || event.ctrlKey || event.metaKey) return;
    const onSlider = event.target === this.seek;
    const onButton = event.target.closest?.("button");
    let handled = true;
    switch (event.key) {
      case "Escape":
        this.close();
        break;
      case "PageDown":
        this.next("swipe", event.timeStamp);
        break;
      case "PageUp":
        this.previous("swipe", event.timeStamp);
        break;
      case "ArrowDown":
        if (onSlider) handled = false;
        else this.next("swipe", event.timeStamp);
        break;
      case "ArrowUp":
        if (onSlider) handled = false;
        else this.previous("swipe", event.timeStamp);
        break;
      case "ArrowRight":
      case "ArrowLeft":
        if (onSlider) handled = false;
        else this.skip(event.key === "ArrowRight" ? SEEK_STEP_S : -SEEK_STEP_S);
        break;
      case " ":
      case "k":
        if (onButton) handled = false;
        else this.togglePlay();
        break;
      case "m":
        this.setMuted(!this.muted);
        break;
      default:
        handled = false;
    }
    if (handled) event.preventDefault();
  }

  skip(seconds) {
    const video = this.current?.video;
    if (!video || !this.current.hasSource) return;
    video.currentTime = Math.max(0, Math.min((video.duration || 0) - 0.1, video.currentTime + seconds));
    this.updateTime(video.currentTime, video.duration);
  }
}
