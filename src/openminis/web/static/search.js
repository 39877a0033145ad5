// Search inside the Minis hub: results as you type, debounced; a stale answer never
// replaces a newer one (each new query aborts the request before it).
// @ts-check

import { appTile } from "./app-tile.js";

const DEBOUNCE_MS = 200;

export class Search {
  constructor({ input, results, status, browse, api, exposure, onLaunch }) {
    this.input = input;
    this.results = results;
    this.status = status;
    this.browse = browse;
    this.api = api;
    this.exposure = exposure;
    this.onLaunch = onLaunch;
    /** @type {number | null} */
    this.timer = null;
    /** @type {AbortController | null} */
    this.controller = null;
    input.addEventListener("input", () => this.schedule());
    input.form.addEventListener("submit", (event) => {
      event.preventDefault();
      clearTimeout(this.timer ?? undefined);
      this.run();
    });
  }

  schedule() {
    clearTimeout(this.timer ?? undefined);
    this.timer = setTimeout(() => this.run(), DEBOUNCE_MS);
  }

  async run() {
    const query = this.input.value.trim();
    this.controller?.abort();
    if (!query) {
      this.controller = null;
      this.showResults(false);
      this.status.textContent = "";
      return;
    }
    const controller = new AbortController();
    this.controller = controller;
    try {
      const { items } = await this.api.search(query, controller.signal);
      this.render(query, items);
    } catch (error) {
      if (error.name === "AbortError") return;
      console.error("openminis: search failed", error);
      this.status.textContent = "Search is not available right now.";
      this.results.replaceChildren();
      this.showResults(true);
    }
  }

  render(query, items) {
    const tiles = items.map((card) => {
      const item = document.createElement("li");
      const tile = appTile(card, "search", this.onLaunch);
      item.append(tile);
      this.exposure.observe(tile, card.app_id, "search");
      return item;
    });
    this.results.replaceChildren(...tiles);
    this.status.textContent =
      items.length === 0
        ? `No minis match “${query}”.`
        : `${items.length} ${items.length === 1 ? "result" : "results"}`;
    this.showResults(true);
  }

  showResults(shown) {
    this.results.hidden = !shown;
    this.browse.hidden = shown;
  }

  focus() {
    this.input.focus();
  }
}
