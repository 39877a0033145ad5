// The feed: one full-screen card per mini-program, snap-scrolled vertically.
// The card that stays in view for SETTLE_MS is prewarmed, so tapping it opens instantly.

import { appHue, appIcon, categoryLabel, kindLabel } from "./app-tile.js";
import { icon } from "./icons.js";

const PAGE_SIZE = 10;
const SETTLE_MS = 300;
const IN_VIEW_RATIO = 0.6;
const LOAD_MORE_WITHIN = 3; // cards from the end

export class Feed {
  constructor({ root, api, exposure, launcher, onLaunch, onSettle }) {
    this.root = root;
    this.api = api;
    this.exposure = exposure;
    this.launcher = launcher;
    this.onLaunch = onLaunch;
    this.onSettle = onSettle;
    this.cards = []; // {card, element} in feed order
    this.cursor = null;
    this.hasMore = true;
    this.loading = false;
    this.current = null;
    this.settleTimer = null;
    this.active = true;
    this.observer = new IntersectionObserver((entries) => this.onIntersect(entries), {
      root,
      threshold: [IN_VIEW_RATIO],
    });
    root.addEventListener("keydown", (event) => this.onKey(event));
  }

  // The ARIA feed pattern: Page Down and Page Up move focus (and the view) card by card.
  onKey(event) {
    const step = { PageDown: 1, PageUp: -1 }[event.key];
    if (!step) return;
    const from = this.indexOf(event.target.closest(".feed-card"));
    const next = this.cards[from + step];
    if (!next) return;
    event.preventDefault();
    next.element.focus();
  }

  async loadMore() {
    if (this.loading || !this.hasMore) return;
    this.loading = true;
    this.root.setAttribute("aria-busy", "true");
    try {
      const page = await this.api.feed(this.cursor, PAGE_SIZE);
      this.cursor = page.next_cursor;
      this.hasMore = Boolean(page.next_cursor);
      for (const card of page.items) this.append(card);
      if (this.cards.length === 0) this.showMessage("Nothing to play yet. Publish a mini-program and it shows up here.");
    } catch (error) {
      console.error("openminis: feed not loaded", error);
      if (this.cards.length === 0) this.showMessage("The feed could not be loaded.", () => this.loadMore());
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

  append(card) {
    const element = this.renderCard(card, this.cards.length);
    this.cards.push({ card, element });
    this.root.append(element);
    this.observer.observe(element);
    this.exposure.observe(element, card.app_id, "feed");
  }

  updateSetSize() {
    const size = this.hasMore ? -1 : this.cards.length; // -1: the end is not known yet
    for (const { element } of this.cards) element.setAttribute("aria-setsize", String(size));
  }

  renderCard(card, index) {
    const article = document.createElement("article");
    article.className = "feed-card";
    article.dataset.appId = card.app_id;
    article.tabIndex = -1; // focusable by Page Down/Up, not a Tab stop of its own
    article.style.setProperty("--hue", appHue(card.app_id));
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

  onIntersect(entries) {
    for (const entry of entries) {
      if (entry.isIntersecting && entry.intersectionRatio >= IN_VIEW_RATIO) this.setCurrent(entry.target);
    }
  }

  setCurrent(element) {
    if (this.current === element) return;
    this.current?.removeAttribute("data-current");
    this.current = element;
    element.dataset.current = "";
    this.scheduleSettle();
    const index = this.indexOf(element);
    if (index >= this.cards.length - LOAD_MORE_WITHIN) this.loadMore();
  }

  scheduleSettle() {
    clearTimeout(this.settleTimer);
    if (!this.active || !this.current) return;
    this.settleTimer = setTimeout(() => this.settle(), SETTLE_MS);
  }

  // The card has stayed in view: prewarm it, keep its neighbours' frames, drop the rest.
  settle() {
    if (!this.active || document.visibilityState !== "visible") return;
    const index = this.indexOf(this.current);
    const near = this.cards.slice(Math.max(0, index - 1), index + 2).map(({ card }) => card.app_id);
    const { card } = this.cards[index];
    this.launcher.keepPrewarmed(new Set(near));
    this.launcher.prewarm(card, "feed");
    this.onSettle?.(card);
  }

  indexOf(element) {
    return this.cards.findIndex((entry) => entry.element === element);
  }

  /** The feed is on screen (or not): only then does a card in view get prewarmed. */
  setActive(active) {
    this.active = active;
    if (active) this.scheduleSettle();
    else clearTimeout(this.settleTimer);
  }
}
