// The Minis hub: its shelves (continue playing and watching, new, popular, rankings, categories;
// one request, GET /api/hub/sections), then Games and Dramas as tabs over a grid of every tile.
// The Dramas tab lists series (drama-hub.js), which open in the host's drama player.
// @ts-check

import { appTile } from "./app-tile.js";
import { el, part, placeChildren } from "./dom.js";

/**
 * A shelf on screen: its element and list, and its tiles by key with the JSON each was drawn from.
 * @typedef {{ element: HTMLElement, list: HTMLElement, items: Map<string, { json: string, element: HTMLElement }> }} Shelf
 */

export class Hub {
  /**
   * @param {object} options
   * @param {HTMLElement} options.root
   * @param {import("./api.js").Api} options.api
   * @param {import("./events.js").ExposureTracker} options.exposure
   * @param {(card: any, source: string, event?: Event) => void} options.onLaunch
   * @param {import("./drama-hub.js").DramaShelf} options.dramas what the Dramas tab shows (drama-hub.js)
   * @param {(series: any, options?: any) => void} options.onOpenSeries opens a series in the drama player
   */
  constructor({ root, api, exposure, onLaunch, dramas, onOpenSeries }) {
    this.api = api;
    this.dramas = dramas;
    this.exposure = exposure;
    this.onLaunch = onLaunch;
    this.onOpenSeries = onOpenSeries;
    this.sections = part(root, "#hub-sections");
    this.grid = part(root, "#hub-grid");
    this.panel = part(root, "#hub-panel");
    this.tabs = /** @type {HTMLElement[]} */ ([...root.querySelectorAll("[role=tab]")]);
    this.kind = "game";
    this.sectionsAsked = 0;
    /** The shelves on screen by section id, and which refresh asked for them. */
    /** @type {Map<string, Shelf>} */
    this.shelves = new Map();
    this.shelvesAsked = 0;
    /** @type {string | null} */
    this.loadedKind = null;
    /** @type {string | null} */
    this.requestedKind = null;

    for (const tab of this.tabs) {
      tab.addEventListener("click", () => this.selectTab(tab));
      tab.addEventListener("keydown", (event) => this.onTabKey(event, tab));
    }
  }

  /** The hub came on screen: refresh the shelves, load the grid once per tab. */
  show() {
    const shelves = this.refreshSections();
    // Series are published while the hub is open (their episodes finish transcoding): the
    // Dramas tab is asked again each time it comes on screen. The grid is drawn no sooner than
    // the shelves above it: shelves drawn in after it would push a tile down under a finger
    // already on its way to it, and the tap would land on whatever took its place.
    if (this.loadedKind !== this.kind || this.kind === "drama") this.loadGrid(shelves);
  }

  /**
   * The shelves again, changing on screen only what changed: refreshes overlap (the player's save
   * and the search's Cancel each ask), and a tile replaced under a person's finger loses the tap (the
   * press on one button, the release on its replacement). So each shelf keeps its element, and
   * every tile whose own content is the same stays, also in a shelf that changed (a new app in New,
   * a ranking that moved: with its new place). An answer older than the one drawn is dropped.
   */
  async refreshSections() {
    const asked = ++this.sectionsAsked;
    // Busy until the latest refresh has answered: shelves drawn anew push the grid down under a
    // finger (and tell a screen reader the region is changing).
    this.sections.setAttribute("aria-busy", "true");
    try {
      const { sections } = await this.api.hubSections();
      if (asked < this.shelvesAsked) return;
      this.shelvesAsked = asked;
      /** @type {Map<string, Shelf>} */
      const shelves = new Map();
      for (const section of sections) shelves.set(section.id, this.drawShelf(section, this.shelves.get(section.id)));
      this.shelves = shelves;
      placeChildren(this.sections, [...shelves.values()].map((shelf) => shelf.element));
    } catch (error) {
      console.error("openminis: hub sections not loaded", error);
    } finally {
      if (asked === this.sectionsAsked) this.sections.setAttribute("aria-busy", "false");
    }
  }

  /**
   * One shelf, reusing what `before` drew of it: a row of tiles, a numbered ranking, or series with
   * where the person is in them.
   * @param {any} section
   * @param {Shelf | undefined} before
   * @returns {Shelf}
   */
  drawShelf(section, before) {
    const entries = section.layout === "ranking" ? section.ranked : section.layout === "dramas" ? section.dramas : section.cards;
    /** @type {Map<string, { json: string, element: HTMLElement }>} */
    const items = new Map();
    const elements = entries.map((/** @type {any} */ entry, /** @type {number} */ at) => {
      let key = section.layout === "dramas" ? entry.series_id : (entry.card ?? entry).app_id;
      if (items.has(key)) key = `${key}#${at}`;
      const itemJson = JSON.stringify(entry);
      const kept = before?.items.get(key);
      const item = kept?.json === itemJson ? kept : { json: itemJson, element: this.renderItem(section, entry) };
      // A ranking's place is the entry's, not the tile's: one that moved keeps its tile.
      const place = item.element.querySelector(".ranking-place");
      if (place && place.textContent !== String(at + 1)) place.textContent = String(at + 1);
      items.set(key, item);
      return item.element;
    });
    if (before) {
      const title = part(before.element, ".section-title");
      if (title.textContent !== section.title) title.textContent = section.title;
      placeChildren(before.list, elements); // moves nothing when no tile changed
      return { element: before.element, list: before.list, items };
    }
    const titleId = `hub-section-${section.id.replace(/[^a-z0-9_-]/gi, "-")}`;
    const list = el(section.layout === "ranking" ? "ol" : "ul", { className: section.layout === "ranking" ? "recents-row ranking-row" : "recents-row" }, elements);
    const element = el("section", { className: "recents hub-section", dataset: { section: section.id }, "aria-labelledby": titleId }, el("h2", { className: "section-title", id: titleId }, section.title), list);
    return { element, list, items };
  }

  /**
   * One tile of a shelf, in its list item (a ranking's place is filled in by drawShelf).
   * @param {any} section
   * @param {any} entry
   * @returns {HTMLElement}
   */
  renderItem(section, entry) {
    const source = section.id === "continue" ? "recents" : "hub";
    if (section.layout === "ranking") {
      const tile = appTile(entry.card, source, this.onLaunch);
      this.exposure.observe(tile, entry.card.app_id, source);
      return el("li", { className: "ranking-entry" }, el("span", { className: "ranking-place", "aria-hidden": "true" }), tile, el("span", { className: "ranking-label" }, entry.label));
    }
    if (section.layout === "dramas") {
      const button = el(
        "button",
        { type: "button", className: "app-tile drama-progress", dataset: { seriesId: entry.series_id }, "aria-label": `${entry.title}, ${entry.label}` },
        // The series' portrait cover, cropped to the shelf's icon size (a 720x1280 cover drawn at
        // its own size pushed every other shelf off the screen).
        entry.cover_url ? el("img", { className: "app-icon app-icon-medium drama-progress-cover", src: entry.cover_url, alt: "", decoding: "async" }) : null,
        el("span", { className: "app-tile-name" }, entry.title),
        el("span", { className: "app-tile-meta" }, entry.label)
      );
      button.addEventListener("click", (event) =>
        this.onOpenSeries({ id: entry.series_id, app_id: entry.app_id, title: entry.title }, { tapAt: event.timeStamp, episode: entry.episode })
      );
      return el("li", {}, button);
    }
    const tile = appTile(entry, source, this.onLaunch);
    if (source === "hub") this.exposure.observe(tile, entry.app_id, source);
    return el("li", {}, tile);
  }

  /** The grid of the tab's every tile; drawn once `after` (the shelves' refresh) has settled. */
  async loadGrid(after = Promise.resolve()) {
    const kind = this.kind;
    this.requestedKind = kind;
    this.panel.setAttribute("aria-busy", "true");
    try {
      const items = kind === "drama" ? await this.dramas.items() : await this.appItems(kind);
      await after;
      if (this.requestedKind !== kind) return; // the tab changed while this was loading
      this.loadedKind = kind;
      this.grid.classList.toggle("is-dramas", kind === "drama");
      this.grid.replaceChildren(...items);
      if (items.length === 0) this.grid.append(this.emptyNote(kind));
    } catch (error) {
      console.error("openminis: hub not loaded", error);
      this.grid.replaceChildren(this.emptyNote(null));
    } finally {
      if (this.requestedKind === kind) this.panel.setAttribute("aria-busy", "false");
    }
  }

  async appItems(kind) {
    const { items } = await this.api.hub(kind);
    return items.map((card) => {
      const item = document.createElement("li");
      const tile = appTile(card, "hub", this.onLaunch);
      item.append(tile);
      this.exposure.observe(tile, card.app_id, "hub");
      return item;
    });
  }

  /** @param {string | null} kind the tab's kind; null when its list could not be loaded (with Try again) */
  emptyNote(kind) {
    if (kind === null) {
      // A busy server or a lost connection: asked again on a tap, without leaving the tab.
      const again = el("button", { type: "button", className: "button-secondary button-small" }, "Try again");
      again.addEventListener("click", () => this.loadGrid());
      return el("li", { className: "grid-note" }, "This list could not be loaded. ", again);
    }
    return el("li", { className: "grid-note" }, `No ${kind === "drama" ? "dramas" : "games"} yet.`);
  }

  selectTab(selected) {
    for (const tab of this.tabs) {
      const isSelected = tab === selected;
      tab.setAttribute("aria-selected", String(isSelected));
      tab.tabIndex = isSelected ? 0 : -1;
    }
    this.panel.setAttribute("aria-labelledby", selected.id);
    if (this.kind !== selected.dataset.kind) {
      this.kind = selected.dataset.kind;
      this.loadGrid();
    }
  }

  // Arrow keys move between tabs (WAI-ARIA tabs pattern, automatic activation).
  onTabKey(event, tab) {
    const step = { ArrowRight: 1, ArrowLeft: -1 }[event.key];
    if (!step) return;
    event.preventDefault();
    const next = this.tabs[(this.tabs.indexOf(tab) + step + this.tabs.length) % this.tabs.length];
    this.selectTab(next);
    next.focus();
  }
}
