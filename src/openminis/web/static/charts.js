// Charts for the console, drawn as SVG by hand: a few lines and bars need no library, and the
// numbers behind each chart are in a table beside it for screen readers and for copying.
// @ts-check

import { HEIGHT, PAD, WIDTH, lineScales, niceCeiling } from "./chart-scale.js";
import { el } from "./dom.js";
import { percent } from "./format.js";

const SVG = "http://www.w3.org/2000/svg";

export { niceCeiling } from "./chart-scale.js";

/**
 * @param {string} tag
 * @param {Record<string, string | number>} [attributes]
 * @param {...(Node | string)} children
 */
function svg(tag, attributes = {}, ...children) {
  const element = document.createElementNS(SVG, tag);
  for (const [name, value] of Object.entries(attributes)) element.setAttribute(name, String(value));
  element.append(...children);
  return element;
}

/**
 * Lines over days: `series` is [{name, values, className}], `labels` the x values (day strings).
 * Returns a <figure> with the chart, a legend and the data as a table.
 * @param {{title: string, labels: string[], series: {name: string, values: number[], className: string}[]}} chart
 */
export function lineChart({ title, labels, series }) {
  const top = niceCeiling(Math.max(0, ...series.flatMap((line) => line.values)));
  const { x, y } = lineScales(labels.length, top);

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

/**
 * Horizontal bars, one per stage, each with its count and its rate from the stage before.
 * @param {{title: string, stages: {name: string, count: number, rate?: number | null}[]}} funnel
 */
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

export { percent } from "./format.js";
