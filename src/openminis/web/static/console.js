// The developer console: the signed-in developer's apps and, for the one picked, the last 30
// days of people (active, new, returning), the retention of each day's new people, and the last
// week's funnel by source. It reads the same reports the Open API gives a backend.
// @ts-check

import { Api, errorMessage } from "./api.js";
import { funnelBars, lineChart, percent } from "./charts.js";
import { byId, el } from "./dom.js";

const config = JSON.parse(byId("minis-config").textContent);
const api = new Api(config.csrfToken);
const root = byId("console");

function show(...children) {
  root.replaceChildren(...children);
  root.setAttribute("aria-busy", "false");
}

function note(text, ...more) {
  return el("p", { className: "card-note" }, text, ...more);
}

async function start() {
  if (config.user.kind === "guest") {
    show(note("Sign in first: ", el("a", { href: "/#/me" }, "open Me on openminis"), ", then come back here."));
    return;
  }
  let apps;
  try {
    apps = (await api.developerApps()).items;
  } catch (error) {
    if (error.code === "NOT_A_DEVELOPER") {
      show(registration());
      return;
    }
    show(el("p", { className: "form-error", role: "alert" }, errorMessage(error)));
    return;
  }
  if (apps.length === 0) {
    show(note("No apps yet. Register one with POST /api/developer/apps or `minis publish`, then its numbers appear here."));
    return;
  }
  const report = el("section", { className: "console-report", "aria-live": "polite" });
  const picker = el(
    "nav",
    { className: "console-apps", "aria-label": "Your apps" },
    el("ul", {}, apps.map((app) => el("li", {}, el("button", { type: "button", className: "button-secondary", dataset: { appId: app.app_id }, onclick: () => pick(app) }, app.name))))
  );
  show(picker, report);

  async function pick(app) {
    for (const button of picker.querySelectorAll("button")) button.setAttribute("aria-pressed", String(button.dataset.appId === app.app_id));
    report.replaceChildren(note(`Loading ${app.name}…`));
    try {
      const [activity, funnel] = await Promise.all([api.appActivity(app.app_id), api.appFunnel(app.app_id, { by: "source" })]);
      report.replaceChildren(...appReport(app, activity, funnel));
    } catch (error) {
      report.replaceChildren(el("p", { className: "form-error", role: "alert" }, errorMessage(error)));
    }
  }
  pick(apps[0]);
}

function registration() {
  const name = el("input", { className: "text-field", id: "developer-name", name: "name", required: true, maxLength: 80, autocomplete: "organization" });
  const message = el("p", { className: "form-error", role: "alert" });
  const form = el(
    "form",
    { className: "card" },
    el("h2", { className: "section-title" }, "Become a developer"),
    note("Publish mini-programs, sell items, show ads, and see how people find and use them."),
    el("div", { className: "field" }, el("label", { for: "developer-name" }, "Studio name"), name),
    message,
    el("button", { type: "submit", className: "button-primary" }, "Register")
  );
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    try {
      await api.becomeDeveloper(name.value.trim());
      start();
    } catch (error) {
      message.textContent = errorMessage(error);
    }
  });
  return form;
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

start();
