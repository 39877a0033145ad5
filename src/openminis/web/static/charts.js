// Charts for the console, drawn as SVG by hand: a few lines and bars need no library, and the
// numbers behind each chart are in a table beside it for screen readers and for copying.

import { el } from "./dom.js";

const SVG = "http://www.w3.org/2000/svg";
const WIDTH = 640;
const HEIGHT = 200;
const PAD = { top: 12, right: 12, bottom: 24, left: 40 };

function svg(tag, attributes = {}, ...children) {
  const element = document.createElementNS(SVG, tag);
  for (const [name, value] of Object.entries(attributes)) element.setAttribute(name, String(value));
  element.append(...children);
  return element;
}

/** A round upper bound for the axis: 1, 2 or 5 times a power of ten, at least `value`. */
export function niceCeiling(value) {
  if (value <= 0) return 1;
  const power = 10 ** Math.floor(Math.log10(value));
  return [1, 2, 5, 10].map((step) => step * power).find((bound) => bound >= value);
}

/**
 * Lines over days: `series` is [{name, values, className}], `labels` the x values (day strings).
 * Returns a <figure> with the chart, a legend and the data as a table.
 */
export function lineChart({ title, labels, series }) {
  const top = niceCeiling(Math.max(0, ...series.flatMap((line) => line.values)));
  const plotWidth = WIDTH - PAD.left - PAD.right;
  const plotHeight = HEIGHT - PAD.top - PAD.bottom;
  const x = (index) => PAD.left + (labels.length > 1 ? (index / (labels.length - 1)) * plotWidth : plotWidth / 2);
  const y = (value) => PAD.top + plotHeight - (value / top) * plotHeight;

  const grid = [0, top / 2, top].map((value) =>
    svg("g", { class: "chart-grid" }, svg("line", { x1: PAD.left, x2: WIDTH - PAD.right, y1: y(value), y2: y(value) }), svg("text", { x: PAD.left - 6, y: y(value) + 4, "text-anchor": "end" }, String(value)))
  );
  const axis = [0, labels.length - 1].filter((index, position, all) => all.indexOf(index) === position && labels[index] !== undefined).map((index) =>
    svg("text", { class: "chart-axis", x: x(index), y: HEIGHT - 6, "text-anchor": index === 0 ? "start" : "end" }, labels[index])
  );
  const lines = series.map((line) =>
    svg(
      "g",
      { class: `chart-series ${line.className}`, "data-series": line.name },
      svg("polyline", { points: line.values.map((value, index) => `${x(index)},${y(value)}`).join(" ") }),
      ...line.values.map((value, index) => svg("circle", { cx: x(index), cy: y(value), r: 3 }, svg("title", {}, `${labels[index]}: ${value} ${line.name}`)))
    )
  );
  const summary = series.map((line) => `${line.name} from ${line.values[0] ?? 0} to ${line.values.at(-1) ?? 0}, peak ${Math.max(0, ...line.values)}`).join("; ");
  const chart = svg("svg", { viewBox: `0 0 ${WIDTH} ${HEIGHT}`, role: "img", "aria-label": `${title}: ${summary}`, class: "chart" }, ...grid, ...axis, ...lines);

  const legend = el("ul", { className: "chart-legend" }, series.map((line) => el("li", { className: line.className }, line.name)));
  const table = el(
    "table",
    { className: "data-table" },
    el("thead", {}, el("tr", {}, el("th", { scope: "col" }, "Day"), series.map((line) => el("th", { scope: "col" }, line.name)))),
    el("tbody", {}, labels.map((label, index) => el("tr", {}, el("th", { scope: "row" }, label), series.map((line) => el("td", {}, String(line.values[index]))))))
  );
  return el(
    "figure",
    { className: "chart-figure" },
    el("figcaption", {}, title),
    chart,
    legend,
    el("details", {}, el("summary", {}, "The numbers"), table)
  );
}

/** Horizontal bars, one per stage, each with its count and its rate from the stage before. */
export function funnelBars({ title, stages }) {
  const top = Math.max(1, ...stages.map((stage) => stage.count));
  return el(
    "figure",
    { className: "chart-figure" },
    el("figcaption", {}, title),
    el(
      "ol",
      { className: "funnel-bars" },
      stages.map((stage) =>
        el(
          "li",
          { dataset: { stage: stage.name } },
          el("span", { className: "funnel-name" }, stage.name),
          el("span", { className: "funnel-track" }, el("span", { className: "funnel-fill", style: `width: ${(100 * stage.count) / top}%` })),
          el("span", { className: "funnel-count" }, stage.count.toLocaleString(), stage.rate === null || stage.rate === undefined ? "" : ` · ${percent(stage.rate)}`)
        )
      )
    )
  );
}

export function percent(rate) {
  return rate === null || rate === undefined ? "–" : `${(rate * 100).toFixed(rate < 0.1 && rate > 0 ? 1 : 0)}%`;
}
