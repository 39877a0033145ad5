// Search inside the Minis hub: games, dramas and creators as you type, grouped by kind, best match
// first (the server ranks by relevance, then by this week's plays), the matched part of each name
// marked. An empty query, or one that matches nothing, shows recent searches (kept in this
// browser only) and popular picks.
// Typing is debounced, and a stale answer never replaces a newer one: each new query aborts the
// request before it, and an answer that still arrives for an older query is dropped.
// @ts-check

import { appTile } from "./app-tile.js";
import { seriesCard } from "./drama-hub.js";
import { el } from "./dom.js";

const DEBOUNCE_MS = 200;
const RECENT_KEY = "openminis.recent-searches";
const RECENT_MAX = 8;

/**
 * `text` as nodes, with [start, end) inside a <mark>: built from text nodes, so a name can hold
 * any characters without becoming markup.
 * @param {string} text
 * @param {{start: number, end: number} | null | undefined} match
 * @returns {(Node | string)[]}
 */
export function highlighted(text, match) {
  if (!match || match.start < 0 || match.end > text.length || match.start >= match.end) return [text];
  return [text.slice(0, match.start), el("mark", {}, text.slice(match.start, match.end)), text.slice(match.end)].filter(
    (part) => part !== ""
  );
}

/**
 * What the person typed, inside the host's own sentence: in a <bdi>, so that right-to-left text
 * or a direction override in it (U+202E) stays inside and never turns the sentence around it.
 * @param {string} text
 */
export function isolated(text) {
  return el("bdi", {}, text);
}

/** The searches this browser ran, latest first; never sent anywhere. */
export class RecentSearches {
  /** @param {Storage | null} storage */
  constructor(storage) {
    this.storage = storage;
  }

  /** @returns {string[]} */
  list() {
    try {
      const saved = JSON.parse(this.storage?.getItem(RECENT_KEY) || "[]");
      return Array.isArray(saved) ? saved.filter((item) => typeof item === "string").slice(0, RECENT_MAX) : [];
    } catch {
      return []; // storage blocked, or a value this page did not write
    }
  }

  /** @param {string} query */
  add(query) {
    const kept = [query, ...this.list().filter((item) => item.toLowerCase() !== query.toLowerCase())];
    this.save(kept.slice(0, RECENT_MAX));
  }

  clear() {
    this.save([]);
  }

  /** @param {string[]} items */
  save(items) {
    try {
      this.storage?.setItem(RECENT_KEY, JSON.stringify(items));
    } catch {
      // Private windows may refuse storage: recent searches are a convenience.
    }
  }
}

function storage() {
  try {
    return localStorage;
  } catch {
    return null;
  }
}

export class Search {
  /**
   * @param {object} options
   * @param {HTMLInputElement} options.input
   * @param {HTMLElement} options.results where results, suggestions and a creator's posts show
   * @param {HTMLElement} options.status
   * @param {HTMLElement} options.browse the hub, hidden while searching
   * @param {HTMLElement} options.cancel ends the search and shows the hub again
   * @param {import("./api.js").Api} options.api
   * @param {import("./events.js").ExposureTracker} options.exposure
   * @param {(card: any, source: string, event: Event) => void} options.onLaunch
   * @param {(series: any, event: Event) => void} options.onOpenSeries opens the drama player
   * @param {(handle: string) => void} options.onOpenCreator opens a creator's page (/c/{handle})
   */
  constructor({ input, results, status, browse, cancel, api, exposure, onLaunch, onOpenSeries, onOpenCreator }) {
    this.input = input;
    this.results = results;
    this.status = status;
    this.browse = browse;
    this.cancel = cancel;
    this.api = api;
    this.exposure = exposure;
    this.onLaunch = onLaunch;
    this.onOpenSeries = onOpenSeries;
    this.onOpenCreator = onOpenCreator;
    this.recent = new RecentSearches(storage());
    /** @type {number | null} */
    this.timer = null;
    /** @type {AbortController | null} */
    this.controller = null;
    /** Requests sent, for tests and benchmarks: typing fast sends one, not one per key. */
    this.requests = 0;
    // Results that came while a finger or the mouse is down on the ones shown wait for it to lift:
    // drawn at once, they took the pressed tile away and the tap was lost (a probe: a suggestion
    // tapped as the typed query's results replaced it opened nothing).
    this.pressing = false;
    /** @type {[string, any] | null} */
    this.held = null;
    results.addEventListener("pointerdown", () => {
      this.pressing = true;
    });
    const lifted = () => {
      if (!this.pressing) return;
      this.pressing = false;
      // After the click this lift makes, which is dispatched before any timer runs.
      setTimeout(() => this.drawHeld(), 0);
    };
    window.addEventListener("pointerup", lifted, true);
    window.addEventListener("pointercancel", lifted, true);
    input.addEventListener("input", () => this.schedule());
    input.addEventListener("focus", () => {
      if (this.results.hidden) this.run();
    });
    input.form?.addEventListener("submit", (event) => {
      event.preventDefault();
      clearTimeout(this.timer ?? undefined);
      const query = this.input.value.trim();
      if (query) this.recent.add(query);
      this.run();
    });
    cancel.addEventListener("click", () => this.close());
  }

  schedule() {
    clearTimeout(this.timer ?? undefined);
    this.timer = setTimeout(() => this.run(), DEBOUNCE_MS);
  }

  async run() {
    const query = this.input.value.trim();
    this.controller?.abort();
    const controller = new AbortController();
    this.controller = controller;
    this.showResults(true);
    this.results.setAttribute("aria-busy", "true");
    try {
      this.requests += 1;
      const found = await this.api.search(query, controller.signal);
      if (this.controller !== controller) return; // a newer query is on its way
      if (this.pressing) this.held = [query, found];
      else this.render(query, found);
    } catch (error) {
      if (this.controller !== controller || error.name === "AbortError") return;
      console.error("openminis: search failed", error);
      this.status.textContent = "Search is not available right now.";
      this.results.replaceChildren();
    } finally {
      if (this.controller === controller) this.results.setAttribute("aria-busy", "false");
    }
  }

  drawHeld() {
    const held = this.held;
    this.held = null;
    if (held && !this.results.hidden) this.render(...held);
  }

  /** Ends the search: the field empties and the hub shows again. */
  close() {
    clearTimeout(this.timer ?? undefined);
    this.controller?.abort();
    this.controller = null;
    this.held = null;
    this.input.value = "";
    this.status.textContent = "";
    this.results.replaceChildren();
    this.showResults(false);
  }

  render(query, found) {
    const sections = found.suggested ? this.suggestions(found) : this.matches(query, found);
    this.results.replaceChildren(...sections);
    if (!query) this.status.textContent = "";
    else if (found.suggested) this.status.replaceChildren("Nothing matches “", isolated(query), "”. Try one of these.");
    else {
      const count = found.items.length + found.series.length + found.creators.length;
      this.status.textContent = `${count} ${count === 1 ? "result" : "results"}`;
    }
  }

  /** Games, Dramas (series, then drama apps) and Creators, each best match first. */
  matches(query, found) {
    const remember = () => this.recent.add(query);
    const games = found.items.filter((card) => card.kind !== "drama");
    const dramaApps = found.items.filter((card) => card.kind === "drama");
    return [
      this.section("games", "Games", games.map((card) => this.appItem(card, found.matches[card.app_id], remember))),
      this.section("dramas", "Dramas", [
        ...found.series.map((hit) => this.seriesItem(hit.series, hit.match, remember)),
        ...dramaApps.map((card) => this.appItem(card, found.matches[card.app_id], remember)),
      ]),
      this.section("creators", "Creators", found.creators.map((hit) => this.creatorItem(hit.creator, hit.match, query, remember)), "search-people"),
    ].filter((section) => section !== null);
  }

  /** Recent searches, then this week's popular games and dramas. */
  suggestions(found) {
    const recent = this.recent.list();
    const recentSection =
      recent.length === 0
        ? null
        : el(
            "section",
            { className: "search-group", dataset: { group: "recent" }, "aria-labelledby": "search-group-recent" },
            el(
              "div",
              { className: "search-group-head" },
              el("h2", { className: "section-title", id: "search-group-recent" }, "Recent searches"),
              el("button", { type: "button", className: "text-button", onclick: () => this.clearRecent() }, "Clear")
            ),
            el(
              "ul",
              { className: "search-chips" },
              recent.map((query) =>
                el("li", {}, el("button", { type: "button", className: "search-chip", onclick: () => this.searchFor(query) }, isolated(query)))
              )
            )
          );
    return [
      recentSection,
      this.section("games", "Popular games", found.items.map((card) => this.appItem(card, null, null))),
      this.section("dramas", "Popular dramas", found.series.map((hit) => this.seriesItem(hit.series, null, null))),
    ].filter((section) => section !== null);
  }

  /** @param {string} query */
  searchFor(query) {
    this.input.value = query;
    this.recent.add(query);
    this.run();
  }

  clearRecent() {
    this.recent.clear();
    this.results.querySelector("[data-group=recent]")?.remove();
    this.input.focus();
  }

  section(group, title, items, listClass = "grid") {
    if (items.length === 0) return null;
    const id = `search-group-${group}`;
    const list = el("ul", { className: listClass }, items);
    if (group === "dramas") list.classList.add("is-dramas");
    return el(
      "section",
      { className: "search-group", dataset: { group }, "aria-labelledby": id },
      el("h2", { className: "section-title", id }, title),
      list
    );
  }

  appItem(card, match, remember) {
    const tile = appTile(card, "search", (card, source, event) => {
      remember?.();
      this.onLaunch(card, source, event);
    });
    tile.querySelector(".app-tile-name")?.replaceChildren(...highlighted(card.name, match));
    this.exposure.observe(tile, card.app_id, "search");
    return el("li", {}, tile);
  }

  seriesItem(series, match, remember) {
    const card = seriesCard(series, (series, event) => {
      remember?.();
      this.onOpenSeries(series, event);
    });
    card.querySelector(".series-title")?.replaceChildren(...highlighted(series.title, match));
    this.exposure.observe(card, series.app_id, "search");
    return el("li", { className: "series-item" }, card);
  }

  /** A creator: their name and handle, the match marked in whichever of the two it is in. */
  creatorItem(creator, match, query, remember) {
    const inName = match && creator.display_name.slice(match.start, match.end).toLowerCase() === query.toLowerCase();
    const button = el(
      "button",
      {
        type: "button",
        className: "creator-result",
        dataset: { handle: creator.handle },
        "aria-label": `${creator.display_name}, @${creator.handle}, creator`,
        onclick: () => {
          remember();
          this.onOpenCreator(creator.handle);
        },
      },
      el("img", { className: "avatar", src: creator.avatar_url, alt: "", decoding: "async" }),
      el(
        "span",
        { className: "creator-result-text" },
        el("span", { className: "creator-result-name" }, ...highlighted(creator.display_name, inName ? match : null)),
        el("span", { className: "creator-result-handle" }, "@", ...highlighted(creator.handle, inName ? null : match))
      )
    );
    return el("li", {}, button);
  }

  showResults(shown) {
    this.results.hidden = !shown;
    this.cancel.hidden = !shown;
    this.browse.hidden = shown;
  }

  focus() {
    this.input.focus();
  }
}
