// The feed: full-screen items, snap-scrolled vertically: mini-program cards and creators' posts
// (post-card.js), in the order the platform's ranking gives.
// The item that stays in view for SETTLE_MS is prewarmed (a card's app, or the app a post's chip
// opens), so tapping it opens instantly. A post's video plays while the post is in view.
// @ts-check

import { appHue, appIcon, categoryLabel, kindLabel } from "./app-tile.js";
import { icon } from "./icons.js";
import { PostCard } from "./post-card.js";

const PAGE_SIZE = 10;
const SETTLE_MS = 300;
const IN_VIEW_RATIO = 0.6;
const LOAD_MORE_WITHIN = 3; // items from the end
const VIDEO_AHEAD = 2; // posts this many items after the one in view already hold their video
const VIDEO_BEHIND = 1;

export class Feed {
  /**
   * @param {object} options
   * @param {HTMLElement} options.root
   * @param {import("./api.js").Api} options.api
   * @param {import("./events.js").EventQueue} options.events
   * @param {import("./events.js").ExposureTracker} options.exposure
   * @param {import("./launcher.js").Launcher} options.launcher
   * @param {(card: any, source: string, event?: Event, via?: Record<string, any>) => void} options.onLaunch opens an app (launcher.js)
   * @param {(series: any, options?: any) => void} options.onOpenSeries opens a series in the drama player
   * @param {(post: any) => void} options.onShare shares a post (share-sheet.js)
   * @param {(post: any) => void} [options.onReport] reports a post (report-sheet.js)
   * @param {(card: any) => void} [options.onSettle]
   * @param {() => boolean} [options.isCovered] whether an app or the drama player is over the feed
   */
  constructor({ root, api, events, exposure, launcher, onLaunch, onOpenSeries, onShare, onReport = () => {}, onSettle, isCovered = () => false }) {
    this.root = root;
    this.api = api;
    this.events = events;
    this.exposure = exposure;
    this.launcher = launcher;
    this.onLaunch = onLaunch;
    this.onOpenSeries = onOpenSeries;
    this.onShare = onShare;
    this.onReport = onReport;
    this.onSettle = onSettle;
    this.isCovered = isCovered;
    this.items = []; // {id, kind, card, post, appId, element} in feed order
    this.ids = new Set(); // a shared post shown first must not come again with its page
    /** @type {string | null} */
    this.cursor = null;
    this.hasMore = true;
    this.loading = false;
    /** @type {any} */
    this.current = null;
    /** @type {number | null} */
    this.settleTimer = null;
    this.active = true;
    this.muted = true; // posts start muted: browsers allow only muted autoplay
    this.observer = new IntersectionObserver((entries) => this.onIntersect(entries), {
      root,
      threshold: [IN_VIEW_RATIO],
    });
    root.addEventListener("keydown", (event) => this.onKey(event));
    document.addEventListener("visibilitychange", () => this.updatePlayback());
  }

  // The ARIA feed pattern: Page Down and Page Up move focus (and the view) item by item.
  onKey(event) {
    const from = this.indexOf(event.target.closest(".feed-item"));
    if (event.key === "m" && this.items[from]?.view && !event.target.closest("input, textarea")) {
      this.setMuted(!this.muted);
      return;
    }
    const step = { PageDown: 1, PageUp: -1 }[event.key];
    if (!step) return;
    const next = this.items[from + step];
    if (!next) return;
    event.preventDefault();
    next.element.focus();
  }

  /**
   * Shows `first` (a FeedItem: a shared post, with the link's `share` code) first, then the ranked feed after it.
   * @param {{first?: Record<string, any> | null}} [options]
   */
  start({ first = null } = {}) {
    if (first) this.append(first);
    return this.loadMore();
  }

  async loadMore() {
    if (this.loading || !this.hasMore) return;
    this.loading = true;
    this.root.setAttribute("aria-busy", "true");
    try {
      const page = await this.api.feed(this.cursor, PAGE_SIZE);
      this.cursor = page.next_cursor;
      this.hasMore = Boolean(page.next_cursor);
      for (const item of page.items) this.append(item);
      if (this.items.length === 0) this.showMessage("Nothing to play yet. Publish a mini-program and it shows up here.");
    } catch (error) {
      console.error("openminis: feed not loaded", error);
      if (this.items.length === 0) this.showMessage("The feed could not be loaded.", () => this.loadMore());
    } finally {
      this.loading = false;
      this.root.setAttribute("aria-busy", "false");
      this.updateSetSize();
    }
  }

  showMessage(text, retry) {
    const message = document.createElement("div");
    message.className = "feed-message";
    const paragraph = document.createElement("p");
    paragraph.textContent = text;
    message.append(paragraph);
    if (retry) {
      const button = document.createElement("button");
      button.type = "button";
      button.className = "button-secondary";
      button.textContent = "Try again";
      button.addEventListener("click", () => {
        message.remove();
        retry();
      });
      message.append(button);
    }
    this.root.replaceChildren(message);
  }

  /** One FeedItem: `{kind: "app", card}` or `{kind: "post", post}`. Unknown kinds are skipped. */
  append(item) {
    if (this.ids.has(item.id)) return;
    const index = this.items.length;
    let entry;
    if (item.kind === "app" && item.card) {
      const { card } = item;
      entry = { id: item.id, kind: "app", card, appId: card.app_id, element: this.renderCard(card, index, item.id) };
      this.exposure.observe(entry.element, card.app_id, "feed");
    } else if (item.kind === "post" && item.post?.video_url) {
      const view = new PostCard(item.post, index, this, item.share ?? null);
      entry = { id: item.id, kind: "post", post: item.post, view, appId: view.appId, element: view.element };
      // The event schema needs an app: a post without an anchor is not counted as an exposure.
      if (view.appId) this.exposure.observe(view.element, view.appId, view.source, view.eventFields);
    } else {
      return;
    }
    this.ids.add(item.id);
    this.items.push(entry);
    this.root.append(entry.element);
    this.observer.observe(entry.element);
  }

  updateSetSize() {
    const size = this.hasMore ? -1 : this.items.length; // -1: the end is not known yet
    for (const { element } of this.items) element.setAttribute("aria-setsize", String(size));
  }

  renderCard(card, index, itemId) {
    const article = document.createElement("article");
    article.className = "feed-item feed-card";
    article.dataset.appId = card.app_id;
    article.dataset.itemId = itemId;
    article.tabIndex = -1; // focusable by Page Down/Up, not a Tab stop of its own
    article.style.setProperty("--hue", String(appHue(card.app_id)));
    article.setAttribute("aria-posinset", String(index + 1));
    const titleId = `feed-title-${index}`;
    article.setAttribute("aria-labelledby", titleId);

    const backdrop = document.createElement("div");
    backdrop.className = "feed-card-backdrop";
    backdrop.setAttribute("aria-hidden", "true");
    backdrop.append(appIcon(card, "backdrop"));

    const body = document.createElement("div");
    body.className = "feed-card-body";

    const chips = document.createElement("div");
    chips.className = "chips";
    for (const label of [categoryLabel(card.category), kindLabel(card.kind)]) {
      const chip = document.createElement("span");
      chip.className = "chip";
      chip.textContent = label;
      chips.append(chip);
    }

    const title = document.createElement("h2");
    title.className = "feed-card-title";
    title.id = titleId;
    title.textContent = card.name;

    const description = document.createElement("p");
    description.className = "feed-card-description";
    description.textContent = card.description;

    const play = document.createElement("button");
    play.type = "button";
    play.className = "play-button";
    play.setAttribute("aria-label", `Play ${card.name}`);
    play.append(icon("play"), document.createTextNode("Play"));

    body.append(appIcon(card, "hero"), chips, title, description, play);
    article.append(backdrop, body);
    if (index === 0) article.append(this.renderSwipeHint());

    // The whole card is the tap target; the Play button inside it is the keyboard one.
    article.addEventListener("click", (event) => this.onLaunch(card, "feed", event));
    return article;
  }

  renderSwipeHint() {
    const hint = document.createElement("p");
    hint.className = "swipe-hint";
    hint.setAttribute("aria-hidden", "true");
    hint.append(icon("swipe"), document.createTextNode("Swipe up for more"));
    return hint;
  }

  // Posts (post-card.js) -------------------------------------------------------------------------

  /** The chip of a post: its app opens in the launcher, a series or episode in the drama player. */
  openAnchor(view, event) {
    const { anchor, source, via } = view;
    if (anchor.kind === "app") {
      this.onLaunch(anchor.card, source, event, via);
      return;
    }
    const series = { id: anchor.series_id, app_id: anchor.app_id, title: anchor.title };
    this.onOpenSeries(series, { tapAt: event.timeStamp, source, via, episode: anchor.kind === "episode" ? anchor.episode : null });
  }

  share(post) {
    this.onShare(post);
  }

  report(post) {
    this.onReport(post);
  }

  /** Sound on or off for every post: a person who turned it on keeps it for the next ones. */
  setMuted(muted) {
    this.muted = muted;
    for (const { view } of this.items) view?.renderSound();
    // The tap that turned the sound on is the gesture the browser needs to play it.
    if (!muted) this.updatePlayback();
  }

  /** Plays the post in view when nothing covers the feed; pauses it otherwise. */
  updatePlayback() {
    const entry = this.items[this.indexOf(this.current)];
    if (!entry?.view) return;
    const visible = this.active && document.visibilityState === "visible" && !this.isCovered();
    if (visible) entry.view.play();
    else entry.view.pause();
  }

  /** Only posts near the one in view keep a video source (see post-card.js). */
  loadVideosNear(index) {
    this.items.forEach(({ view }, at) => {
      if (!view) return;
      if (at >= index - VIDEO_BEHIND && at <= index + VIDEO_AHEAD) view.load();
      else if (at < index - VIDEO_BEHIND - 1 || at > index + VIDEO_AHEAD + 1) view.unload();
    });
  }

  // Which item is in view ------------------------------------------------------------------------

  onIntersect(entries) {
    for (const entry of entries) {
      if (entry.isIntersecting && entry.intersectionRatio >= IN_VIEW_RATIO) this.setCurrent(entry.target);
    }
  }

  setCurrent(element) {
    if (this.current === element) return;
    const previous = this.items[this.indexOf(this.current)];
    previous?.view?.leave();
    this.current?.removeAttribute("data-current");
    this.current = element;
    element.dataset.current = "";
    const index = this.indexOf(element);
    this.loadVideosNear(index);
    this.updatePlayback();
    this.scheduleSettle();
    if (index >= this.items.length - LOAD_MORE_WITHIN) this.loadMore();
  }

  scheduleSettle() {
    clearTimeout(this.settleTimer ?? undefined);
    if (!this.active || !this.current) return;
    this.settleTimer = setTimeout(() => this.settle(), SETTLE_MS);
  }

  // The item has stayed in view: prewarm its app, keep its neighbours' frames, drop the rest.
  // For a post that is the app of its chip; a drama's chip opens the host's player, no frame.
  settle() {
    if (!this.active || document.visibilityState !== "visible") return;
    const index = this.indexOf(this.current);
    const entry = this.items[index];
    if (!entry) return;
    const near = this.items.slice(Math.max(0, index - 1), index + 2).map((item) => item.appId).filter(Boolean);
    this.launcher.keepPrewarmed(new Set(near));
    if (entry.kind === "app") this.launcher.prewarm(entry.card, "feed");
    else if (entry.view.anchor?.kind === "app") this.launcher.prewarm(entry.view.anchor.card, entry.view.source, entry.view.via);
    this.onSettle?.(entry);
  }

  indexOf(element) {
    return this.items.findIndex((entry) => entry.element === element);
  }

  /** The feed is on screen (or not): only then does an item in view get prewarmed, or play. */
  setActive(active) {
    this.active = active;
    if (active) this.scheduleSettle();
    else clearTimeout(this.settleTimer ?? undefined);
    this.updatePlayback();
  }
}
