// The episode list of the drama player: every episode of the series as a numbered tile, the one
// playing marked, the locked ones with a lock and their price. Picking one goes there (a locked
// one then shows its paywall).
// @ts-check

import { el } from "./dom.js";
import { icon } from "./icons.js";
import { coinAmount, coinsLabel } from "./wallet.js";

const ACCESS_NOTES = { free: "Free", coins: "Unlocked", ad: "Unlocked", series: "Unlocked", pass: "With your pass" };

export class EpisodeSheet {
  /**
   * @param {object} options
   * @param {import("./sheets.js").Sheets} options.sheets
   * @param {any} options.series the viewer's series (GET /api/dramas/{id})
   * @param {number} options.current the episode on screen
   * @param {any} options.owner the sheet's owner (sheets.js)
   * @param {(number: number) => void} options.onPick called with the chosen episode, after the sheet closed
   */
  constructor({ sheets, series, current, owner, onPick }) {
    this.sheets = sheets;
    this.series = series;
    this.current = current;
    this.owner = owner;
    this.onPick = onPick;
  }

  open() {
    const sheet = this.sheets.claim({ owner: this.owner });
    if (!sheet) return;
    const { series } = this;
    const free = series.episodes.filter((episode) => episode.access === "free").length;
    const tiles = series.episodes.map((episode) => {
      const current = episode.number === this.current;
      const locked = !episode.access;
      const playing = current && !locked;
      const state = playing ? "playing" : locked ? `locked, ${coinsLabel(series.episode_price)}` : ACCESS_NOTES[episode.access] || "unlocked";
      const tile = el(
        "button",
        {
          type: "button",
          className: `episode-tile${locked ? " is-locked" : ""}`,
          dataset: { episode: String(episode.number) },
          "aria-label": `Episode ${episode.number}${episode.title && episode.title !== `Episode ${episode.number}` ? `, ${episode.title}` : ""}: ${state}`,
          "aria-current": current ? "true" : null,
        },
        el("span", { className: "episode-tile-number" }, String(episode.number)),
        locked
          ? el("span", { className: "episode-tile-price" }, coinAmount(series.episode_price))
          : el("span", { className: "episode-tile-note" }, playing ? "Playing" : ACCESS_NOTES[episode.access] || ""),
        locked ? el("span", { className: "episode-tile-lock" }, icon("lock")) : null
      );
      tile.addEventListener("click", () => {
        sheet.close();
        this.onPick(episode.number);
      });
      return el("li", {}, tile);
    });
    const summary = [`${series.episodes.length} episodes`, free ? `${free} free` : null, series.genres.slice(0, 2).join(" · ") || null]
      .filter(Boolean)
      .join(" · ");
    const body = el(
      "div",
      { className: "sheet-stack" },
      el("div", {}, el("p", { className: "sheet-app-name" }, series.title), el("p", { className: "sheet-app-note" }, summary)),
      series.synopsis ? el("p", { className: "episode-synopsis" }, series.synopsis) : null,
      el("ul", { className: "episode-grid", "aria-label": "Episodes" }, tiles)
    );
    sheet.show({ title: "Episodes", body });
  }
}
