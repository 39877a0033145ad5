// The Minis hub: Recently played (games and series), then Games and Dramas as tabs over a grid of tiles.
// The Dramas tab lists series (drama-hub.js), which open in the host's drama player.
// @ts-check

import { appTile } from "./app-tile.js";
import { el, part } from "./dom.js";

export class Hub {
  /**
   * @param {object} options
   * @param {HTMLElement} options.root
   * @param {import("./api.js").Api} options.api
   * @param {import("./events.js").ExposureTracker} options.exposure
   * @param {(card: any, source: string, event?: Event) => void} options.onLaunch
   * @param {import("./drama-hub.js").DramaShelf} options.dramas what the Dramas tab shows (drama-hub.js)
   * @param {(series: any, event: Event, episode: number) => void} options.onOpenSeries resumes a series in the drama player
   */
  constructor({ root, api, exposure, onLaunch, dramas, onOpenSeries }) {
    this.api = api;
    this.onOpenSeries = onOpenSeries;
    this.dramas = dramas;
    this.exposure = exposure;
    this.onLaunch = onLaunch;
    this.recents = part(root, "#recents");
    this.recentsList = part(root, "#recents-list");
    this.grid = part(root, "#hub-grid");
    this.panel = part(root, "#hub-panel");
    this.tabs = /** @type {HTMLElement[]} */ ([...root.querySelectorAll("[role=tab]")]);
    this.kind = "game";
    /** @type {string | null} */
    this.loadedKind = null;
    /** @type {string | null} */
    this.requestedKind = null;

    for (const tab of this.tabs) {
      tab.addEventListener("click", () => this.selectTab(tab));
      tab.addEventListener("keydown", (event) => this.onTabKey(event, tab));
    }
  }

  /** The hub came on screen: refresh recents, load the grid once per tab. */
  show() {
    this.refreshRecents();
    // Series are published while the hub is open (their episodes finish transcoding): the
    // Dramas tab is asked again each time it comes on screen.
    if (this.loadedKind !== this.kind || this.kind === "drama") this.loadGrid();
  }

  /** Games and series together, the latest played first; a series resumes at the episode reached. */
  async refreshRecents() {
    try {
      const { items, played_at: playedAt = {}, series = [] } = await this.api.recents();
      const played = [
        ...items.map((card) => ({ at: playedAt[card.app_id] || "", tile: appTile(card, "recents", this.onLaunch) })),
        ...series.map((hit) => ({ at: hit.played_at, tile: this.seriesTile(hit) })),
      ];
      // ISO 8601 times in UTC sort as text.
      played.sort((a, b) => (a.at < b.at ? 1 : a.at > b.at ? -1 : 0));
      this.recentsList.replaceChildren(...played.map(({ tile }) => el("li", {}, tile)));
      this.recents.hidden = played.length === 0;
    } catch (error) {
      console.error("openminis: recents not loaded", error);
    }
  }

  seriesTile({ series, episode_number: episode }) {
    const progress = series.episode_count ? `Episode ${episode} of ${series.episode_count}` : `Episode ${episode}`;
    const cover = series.cover_url
      ? el("img", { className: "app-icon app-icon-medium", src: series.cover_url, alt: "", decoding: "async" })
      : el("span", { className: "app-icon app-icon-medium app-icon-monogram", "aria-hidden": "true" }, series.title.charAt(0).toUpperCase());
    return el(
      "button",
      {
        type: "button",
        className: "app-tile",
        dataset: { seriesId: series.id },
        "aria-label": `Continue ${series.title}, ${progress}`,
        onclick: (event) => this.onOpenSeries(series, event, episode),
      },
      cover,
      el("span", { className: "app-tile-name" }, series.title),
      el("span", { className: "recent-episode" }, progress)
    );
  }

  async loadGrid() {
    const kind = this.kind;
    this.requestedKind = kind;
    this.panel.setAttribute("aria-busy", "true");
    try {
      const items = kind === "drama" ? await this.dramas.items() : await this.appItems(kind);
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

  emptyNote(kind) {
    const note = document.createElement("li");
    note.className = "grid-note";
    note.textContent =
      kind === null
        ? "This list could not be loaded."
        : `No ${kind === "drama" ? "dramas" : "games"} yet.`;
    return note;
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
