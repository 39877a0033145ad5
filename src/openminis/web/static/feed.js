// The feed: full-screen items, snap-scrolled vertically: mini-program cards and creators' posts
// (post-card.js), in the order the platform's ranking gives.
// The item that stays in view for SETTLE_MS is prewarmed (a card's app, or the app a post's chip
// opens), so tapping it opens instantly. A post's video plays while the post is in view.
// The ranked feed never ends: after everything new comes a "You're all caught up" card, then older
// items again (feed/ranking.py). The Following tab pages the posts of followed creators instead.
// @ts-check

import { appHue, appIcon, categoryLabel, kindLabel } from "./app-tile.js";
import { CardPreview } from "./card-preview.js";
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
   * @param {(handle: string) => void} [options.onOpenCreator] opens a creator's page (creator-page.js)
   * @param {(error: any) => void} [options.onActionError] a like or follow was refused (a guest is asked to sign in)
   * @param {() => string | null} [options.viewerId] who is looking: their own posts offer no Follow
   */
  constructor({ root, api, events, exposure, launcher, onLaunch, onOpenSeries, onShare, onReport = () => {}, onSettle, isCovered = () => false, onOpenCreator = () => {}, onActionError = () => {}, viewerId = () => null }) {
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
    this.onOpenCreator = onOpenCreator;
    this.onActionError = onActionError;
    this.viewerId = viewerId;
    /** @type {"ranked" | "following"} */
    this.mode = "ranked";
    this.caughtUp = false; // past the caught-up card, items come again: they are no duplicates
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
    const mode = this.mode;
    try {
      const page =
        mode === "following"
          ? await this.api.following(this.cursor, PAGE_SIZE).then((found) => ({
              next_cursor: found.next_cursor,
              items: found.items.map((post) => ({ kind: "post", id: `post:${post.id}`, post })),
            }))
          : await this.api.feed(this.cursor, PAGE_SIZE);
      if (mode !== this.mode) return; // the tab changed while this page was on its way
      this.cursor = page.next_cursor;
      this.hasMore = Boolean(page.next_cursor);
      for (const item of page.items) this.append(item);
      if (this.items.length === 0) {
        this.showMessage(
          mode === "following" ? "Follow creators to see their newest posts here." : "Nothing to play yet. Publish a mini-program and it shows up here."
        );
      }
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

  /**
   * Switches between the ranked feed and the Following tab: the list starts over.
   * @param {"ranked" | "following"} mode
   */
  setMode(mode) {
    if (mode === this.mode) return;
    this.mode = mode;
    for (const { element, view } of this.items) {
      this.observer.unobserve(element);
      view?.leave();
    }
    this.items = [];
    this.ids.clear();
    this.cursor = null;
    this.hasMore = true;
    this.caughtUp = false;
    this.current = null;
    this.loading = false;
    this.root.replaceChildren();
    this.root.scrollTop = 0;
    return this.loadMore();
  }

  /** One FeedItem: `{kind: "app", card}`, `{kind: "post", post}` or `{kind: "caught_up"}`. Unknown kinds are skipped. */
  append(item) {
    if (this.ids.has(item.id) && !this.caughtUp) return;
    const index = this.items.length;
    let entry;
    if (item.kind === "caught_up") {
      this.caughtUp = true;
      entry = { id: item.id, kind: "caught_up", appId: null, element: this.renderCaughtUp(index) };
    } else if (item.kind === "app" && item.card) {
      const { card } = item;
      const element = this.renderCard(card, index, item.id);
      entry = { id: item.id, kind: "app", card, appId: card.app_id, element, preview: /** @type {any} */ (element).preview };
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

  renderCaughtUp(index) {
    const article = document.createElement("article");
    article.className = "feed-item feed-caught-up";
    article.dataset.itemId = "caught_up";
    article.tabIndex = -1;
    article.setAttribute("aria-posinset", String(index + 1));
    const title = document.createElement("h2");
    title.id = `feed-title-${index}`;
    title.textContent = "You’re all caught up";
    article.setAttribute("aria-labelledby", title.id);
    const note = document.createElement("p");
    note.textContent = "You have seen everything new. Older posts and games follow.";
    article.append(icon("feed"), title, note);
    return article;
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

    const hero = appIcon(card, "hero");
    const media = document.createElement("div");
    media.className = "feed-card-media";
    media.append(hero);
    if (card.preview_url) {
      const preview = new CardPreview(card.preview_url, hero);
      media.append(preview.element);
      /** @type {any} */ (article).preview = preview;
    }
    body.append(media, chips, title, description, play);
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

  openCreator(handle) {
    this.onOpenCreator(handle);
  }

  /** Likes or unlikes a post; every card of that post (it may come again after the caught-up card) shows the answer. */
  async like(post, liked) {
    try {
      const answer = await this.api.likePost(post.id, liked);
      this.updatePosts((view) => view.post.id === post.id, (view) => view.showLike(answer.liked, answer.likes));
    } catch (error) {
      this.onActionError(error);
    }
  }

  /** Follows or unfollows a post's creator; every post of theirs shows the answer. */
  async follow(post, following) {
    try {
      const answer = await this.api.followCreator(post.creator.handle, following);
      this.updatePosts((view) => view.post.creator.user_id === post.creator.user_id, (view) => view.showFollow(answer.following));
    } catch (error) {
      this.onActionError(error);
    }
  }

  updatePosts(which, update) {
    for (const { view } of this.items) if (view && which(view)) update(view);
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

  /** Plays the post (or the card's preview) in view when nothing covers the feed; pauses it otherwise. */
  updatePlayback() {
    const entry = this.items[this.indexOf(this.current)];
    if (!entry) return;
    const visible = this.active && document.visibilityState === "visible" && !this.isCovered();
    if (entry.preview) {
      if (visible) entry.preview.start();
      else entry.preview.stop();
    }
    if (!entry.view) return;
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
    previous?.preview?.stop();
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
    else if (entry.view?.anchor?.kind === "app") this.launcher.prewarm(entry.view.anchor.card, entry.view.source, entry.view.via);
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
