// An app's numbers: the last 30 days of people (active, new, returning), the retention of each
// day's new people, and the last week's funnel by source. It reads the same reports the Open API
// gives a backend.
// @ts-check

import { funnelBars, lineChart, percent } from "./charts.js";
import { el } from "./dom.js";
import { note } from "./console-ui.js";

/** @typedef {import("./console-versions.js").Context} Context */

/**
 * @param {Context} context
 * @returns {Promise<Node[]>}
 */
export async function reportsScreen({ api, app }) {
  const [activity, funnel] = await Promise.all([api.appActivity(app.app_id), api.appFunnel(app.app_id, { by: "source" })]);
  return appReport(app, activity, funnel);
}

function tile(label, value) {
  return el("div", { className: "stat" }, el("span", { className: "stat-value" }, value), el("span", { className: "stat-label" }, label));
}

function appReport(app, activity, funnel) {
  const days = activity.days.map((day) => day.day);
  const today = activity.days.at(-1);
  const known = activity.cohorts.filter((cohort) => cohort.d1 !== null && cohort.size > 0);
  const cohortSize = known.reduce((sum, cohort) => sum + cohort.size, 0);
  const d1 = cohortSize ? known.reduce((sum, cohort) => sum + cohort.d1, 0) / cohortSize : null;
  const total = funnel.total;
  const cohorts = activity.cohorts.filter((cohort) => cohort.size > 0).reverse();
  return [
    el("h2", { className: "section-title", id: "report-title" }, `${app.name}, ${activity.first} to ${activity.last} (UTC)`),
    el(
      "div",
      { className: "stats", role: "group", "aria-label": "Summary" },
      tile("active today", today.active.toLocaleString()),
      tile("average a day", activity.average_active.toFixed(1)),
      tile("new people", activity.days.reduce((sum, day) => sum + day.new, 0).toLocaleString()),
      tile("back the next day", percent(d1)),
      tile("coins this week", total.revenue_coins.toLocaleString())
    ),
    lineChart({
      title: "Daily active people",
      labels: days,
      series: [
        { name: "active", className: "series-active", values: activity.days.map((day) => day.active) },
        { name: "new", className: "series-new", values: activity.days.map((day) => day.new) },
      ],
    }),
    funnelBars({
      title: `Funnel, ${funnel.start.slice(0, 10)} to ${new Date(Date.parse(funnel.end) - 86_400_000).toISOString().slice(0, 10)}`,
      stages: [
        { name: "exposure", count: total.exposure, rate: null },
        { name: "click", count: total.click, rate: total.click_rate },
        { name: "launch", count: total.launch, rate: total.launch_rate },
        { name: "ready", count: total.ready, rate: total.ready_rate },
        { name: "paid or rewarded", count: total.converted, rate: total.conversion_rate },
      ],
    }),
    el(
      "figure",
      { className: "chart-figure" },
      el("figcaption", {}, "Retention of each day’s new people"),
      cohorts.length
        ? el(
            "table",
            { className: "data-table", "aria-label": "Retention" },
            el("thead", {}, el("tr", {}, ["Day", "New", "Day 1", "Day 7", "Day 30"].map((head) => el("th", { scope: "col" }, head)))),
            el(
              "tbody",
              {},
              cohorts.map((cohort) =>
                el(
                  "tr",
                  {},
                  el("th", { scope: "row" }, cohort.day),
                  el("td", {}, String(cohort.size)),
                  [cohort.d1_rate, cohort.d7_rate, cohort.d30_rate].map((rate, index) => el("td", {}, [cohort.d1, cohort.d7, cohort.d30][index] === null ? "–" : percent(rate)))
                )
              )
            )
          )
        : note("Nobody new in these 30 days.")
    ),
  ];
}
