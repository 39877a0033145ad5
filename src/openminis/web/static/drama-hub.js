// The Dramas tab of the Minis hub: every published series as a poster card that opens the host's
// drama player (no app to load: a producer needs no code). Drama apps that ship a player of their
// own (packages of kind "drama") follow as ordinary app tiles.
// @ts-check

import { appTile } from "./app-tile.js";
import { el } from "./dom.js";
import { episodeCount } from "./format.js";
import { icon } from "./icons.js";

const genreNames = (series) => series.genres.map((genre) => genre.replace(/-/g, " "));

export { episodeCount };

/** A series' poster card. `onOpen(series, event)` gets the click so the player can time from the tap. */
export function seriesCard(series, onOpen) {
  const genres = genreNames(series);
  const cover = series.cover_url
    ? el("img", { className: "series-cover-image", src: series.cover_url, alt: "", decoding: "async", loading: "lazy" })
    : el("span", { className: "series-cover-image is-empty" }, icon("play"));
  const free = series.free_episodes > 0 ? el("span", { className: "series-badge" }, `${Math.min(series.free_episodes, series.episode_count)} free`) : null;
  const card = el(
    "button",
    {
      type: "button",
      className: "series-card",
      dataset: { seriesId: series.id, appId: series.app_id },
      "aria-label": [`Watch ${series.title}`, "drama series", episodeCount(series.episode_count), ...genres.slice(0, 1)].join(", "),
    },
    el("span", { className: "series-cover" }, cover, free, el("span", { className: "series-count" }, icon("episodes"), episodeCount(series.episode_count))),
    el("span", { className: "series-title" }, series.title),
    el("span", { className: "series-meta" }, genres.slice(0, 2).join(" · ") || "Drama")
  );
  card.addEventListener("click", (event) => onOpen(series, event));
  return card;
}

export class DramaShelf {
  /**
   * @param {object} options
   * @param {import("./api.js").Api} options.api
   * @param {import("./events.js").ExposureTracker} options.exposure
   * @param {(series: any, event: Event) => void} options.onOpen opens the drama player
   * @param {(card: any, source: string, event: Event) => void} options.onLaunch launches a drama app (launcher.js)
   */
  constructor({ api, exposure, onOpen, onLaunch }) {
    this.api = api;
    this.exposure = exposure;
    this.onOpen = onOpen;
    this.onLaunch = onLaunch;
  }

  /** The tab's list items: series cards, then drama apps under a heading of their own. */
  async items() {
    // Drama apps are a bonus: if the hub cannot list them, the series still show.
    const [{ items: series }, apps] = await Promise.all([
      this.api.dramas(),
      this.api.hub("drama").then(
        ({ items }) => items,
        () => []
      ),
    ]);
    const cards = series.map((item) => {
      const card = seriesCard(item, this.onOpen);
      this.exposure.observe(card, item.app_id, "hub");
      return el("li", { className: "series-item" }, card);
    });
    if (apps.length === 0) return cards;
    const heading = el("li", { className: "grid-heading" }, el("h3", { className: "section-title" }, "Drama apps"));
    const tiles = apps.map((card) => {
      const tile = appTile(card, "hub", this.onLaunch);
      this.exposure.observe(tile, card.app_id, "hub");
      return el("li", {}, tile);
    });
    return [...cards, heading, ...tiles];
  }
}
