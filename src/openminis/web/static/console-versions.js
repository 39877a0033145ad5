// An app's versions: each with its state, its check report, its history, its preview link and QR
// code, and what the person's role lets them do with it (submit for review, release to a share of
// people, roll back to it, run the checks again).
// @ts-check

import { el } from "./dom.js";
import { formatDateTime } from "./format.js";
import { byFile, formatBytes, formatMs } from "./console-problems.js";
import { busy, errorLine, may, note } from "./console-ui.js";
import { uploadPanel } from "./console-upload.js";

/** @typedef {import("./console-apps.js").ConsoleApp} ConsoleApp */

export const STATES = {
  uploaded: "Checking",
  checked: "Checked",
  in_review: "In review",
  approved: "Approved",
  rejected: "Rejected",
  released: "Released",
  superseded: "Superseded",
};
const SHARES = [1, 10, 50, 100];
const POLL_MS = 2000;
const POLL_LIMIT = 150; // five minutes of checks, then the person reloads

/**
 * What a screen gets: the API, the app (with the person's role), and a way to draw the screen
 * again once a change moved other versions too (a release supersedes the one before).
 * @typedef {{api: import("./console-api.js").ConsoleApi, app: ConsoleApp, reload: () => void}} Context
 */

/**
 * @param {Context} context
 * @returns {Promise<Node[]>}
 */
export async function versionsScreen(context) {
  const { api, app } = context;
  const list = el("div", { className: "version-list", role: "list", "aria-label": "Versions" });
  const { items } = await api.versions(app.app_id);

  /** @param {any} version */
  function put(version, { open = false } = {}) {
    const existing = list.querySelector(`[data-version="${CSS.escape(version.version)}"]`);
    const wasOpen = Boolean(existing?.querySelector("details")?.open);
    const fresh = versionCard(context, version, { open: open || wasOpen, onChange: put });
    if (existing) existing.replaceWith(fresh);
    else list.prepend(fresh);
  }

  items.slice().reverse().forEach((version, index) => put(version, { open: index === items.length - 1 }));
  const empty = items.length ? null : note("No versions yet.");
  const upload = may(app.role, "upload")
    ? uploadPanel(api, app.app_id, (version) => {
        empty?.remove();
        for (const details of list.querySelectorAll("details")) details.open = false;
        put(version, { open: true });
      })
    : null;
  return [upload, el("h3", { className: "section-title" }, "Versions"), empty, list].filter((node) => node !== null);
}

/**
 * @param {Context} context
 * @param {any} version ConsoleVersionOut
 * @param {{open: boolean, onChange: (version: any) => void}} options
 */
function versionCard(context, version, { open, onChange }) {
  const { api, app } = context;
  const report = version.check_report;
  const failed = report && !report.passed;
  const badge = el("span", { className: "state-badge", dataset: { state: failed && version.state === "checked" ? "failed" : version.state } }, stateLabel(version));
  const meta = [
    `uploaded ${formatDateTime(version.created_at)}`,
    `${formatBytes(version.size_bytes)} in ${version.file_count} files`,
    version.share ? `${version.share} % of people get it` : null,
  ].filter(Boolean);
  const details = el(
    "details",
    { className: "version-details", open },
    el("summary", {}, "Report, history and actions"),
    actions(context, version, onChange),
    preview(api, app, version),
    reportView(api, app, version),
    historyView(version)
  );
  // The list and the changes give no history: it is fetched when the details are first open.
  if (!version.history?.length) {
    const load = async () => {
      const full = await api.version(app.app_id, version.version).catch(() => null);
      if (full) details.querySelector(".version-history")?.replaceWith(historyView(full));
    };
    if (open) load();
    else details.addEventListener("toggle", () => details.open && load(), { once: true });
  }
  const article = el(
    "article",
    { className: "card version-card", role: "listitem", dataset: { version: version.version, state: version.state }, "aria-label": `Version ${version.version}` },
    el("header", { className: "version-header" }, el("h4", { className: "version-name" }, version.version), badge),
    el("p", { className: "card-note" }, meta.join(" · ")),
    details
  );
  if (checking(version)) poll(context, version, article, onChange);
  return article;
}

/** @param {any} version */
function stateLabel(version) {
  if (version.state === "checked" && version.check_report && !version.check_report.passed) return "Checks failed";
  return STATES[/** @type {keyof typeof STATES} */ (version.state)] || version.state;
}

/**
 * Whether the version's checks are under way: uploaded, and not yet to be checked again (checks
 * that stopped without a report leave it "uploaded", and Check again runs them anew).
 * @param {any} version
 */
export function checking(version) {
  return version.state === "uploaded" && !version.may_check_again;
}

/**
 * What keeps a version that is not yet submitted from being submitted, or null.
 * @param {any} version
 * @returns {string | null}
 */
export function whyNotSubmitted(version) {
  if (checking(version)) return "The checks are still running.";
  if (version.state === "uploaded") return "The checks stopped without a report: check again.";
  return version.check_report?.passed ? null : "The checks failed: fix what the report lists and upload again.";
}

/**
 * Asks again while the checks run, until they end or the card leaves the page.
 * @param {Context} context
 * @param {any} version
 * @param {HTMLElement} article
 * @param {(version: any) => void} onChange
 */
function poll(context, version, article, onChange) {
  let tries = 0;
  const again = async () => {
    if (!article.isConnected || tries++ > POLL_LIMIT) return;
    const now = await context.api.version(context.app.app_id, version.version).catch(() => null);
    if (now && !checking(now)) onChange(now);
    else setTimeout(again, POLL_MS);
  };
  setTimeout(again, POLL_MS);
}

/**
 * @param {Context} context
 * @param {any} version
 * @param {(version: any) => void} onChange
 */
function actions(context, version, onChange) {
  const { api, app } = context;
  const message = errorLine();
  const box = el("div", { className: "version-actions" });
  const row = el("div", { className: "form-actions" });

  if (may(app.role, "submit") && ["uploaded", "checked"].includes(version.state)) {
    const reason = whyNotSubmitted(version);
    const reasonId = `why-${version.version.replace(/[^A-Za-z0-9-]/g, "-")}`;
    const submit = el("button", { type: "button", className: "button-primary", disabled: Boolean(reason), "aria-describedby": reason ? reasonId : undefined }, "Submit for review");
    submit.addEventListener("click", async () => {
      const submitted = await busy(submit, message, () => api.submit(app.app_id, version.version));
      if (submitted) onChange(submitted);
    });
    row.append(submit);
    if (reason) box.append(el("p", { className: "card-note submit-reason", id: reasonId }, reason));
  }
  // The platform checks a version again before it is submitted, once the checks before ended (a
  // fix elsewhere, or checks that stopped without a report): where the version says it would.
  if (may(app.role, "upload") && version.may_check_again) {
    const again = el("button", { type: "button", className: "button-secondary" }, "Check again");
    again.addEventListener("click", async () => {
      const checked = await busy(again, message, () => api.checkAgain(app.app_id, version.version));
      if (checked) onChange(checked);
    });
    row.append(again);
  }
  if (may(app.role, "release")) {
    // The platform says which of Release and Roll back it takes (catalog/releases.py): a
    // superseded version is released again, to a share first; one everyone once had is rolled back to.
    if (version.may_release) row.append(shareControl(context, version, message));
    if (version.may_roll_back) {
      const back = el("button", { type: "button", className: "button-secondary" }, `Roll back to ${version.version}`);
      back.addEventListener("click", async () => {
        if (!confirm(`Everyone gets ${version.version} again from their next launch. Roll back?`)) return;
        const changed = await busy(back, message, () => api.rollback(app.app_id, version.version, "rolled back in the console"));
        if (changed) context.reload();
      });
      row.append(back);
    }
  }
  box.append(row, message);
  return box;
}

/**
 * Release an approved (or the staged) version to 1, 10, 50 or 100 % of people: an owner's call.
 * @param {Context} context
 * @param {any} version
 * @param {HTMLElement} message
 */
function shareControl(context, version, message) {
  const { api, app } = context;
  // A share below 100 % needs a released version that the others keep: the version says so.
  const stageable = Boolean(version.may_stage);
  const group = el("div", { className: "share-control", role: "group", "aria-label": `Release ${version.version} to` }, el("span", { className: "share-label" }, "Release to"));
  for (const percent of SHARES) {
    const button = el(
      "button",
      { type: "button", className: "segment", "aria-pressed": String(version.share === percent && version.state === "released"), disabled: percent < 100 && !stageable },
      `${percent} %`
    );
    button.addEventListener("click", async () => {
      const changed = await busy(button, message, () => api.release(app.app_id, version.version, percent));
      if (changed) context.reload();
    });
    group.append(button);
  }
  return group;
}

/**
 * @param {import("./console-api.js").ConsoleApi} api
 * @param {ConsoleApp} app
 * @param {any} version
 */
function preview(api, app, version) {
  if (!may(app.role, "preview")) return null;
  return el(
    "div",
    { className: "version-preview" },
    el("img", { className: "preview-qr", src: api.previewQrUrl(app.app_id, version.version), alt: `QR code of the preview link of ${version.version}`, width: 132, height: 132, loading: "lazy" }),
    el(
      "div",
      { className: "preview-text" },
      el("a", { href: version.preview_url, target: "_blank", rel: "noopener" }, "Open the preview"),
      note("For the team and its testers, signed in on openminis: scan it with a phone.")
    )
  );
}

/**
 * The check report (the contract's schema): passed or not, the tier, the start times per
 * network, sizes against their budgets, what the page logged, and screenshots.
 * @param {import("./console-api.js").ConsoleApi} api
 * @param {ConsoleApp} app
 * @param {any} version
 */
export function reportView(api, app, version) {
  const report = version.check_report;
  if (!report) return el("section", { className: "check-report", "aria-label": "Check report" }, note("The checks are running: the report appears here."));
  const findings = [...report.hard_failures.map((f) => ({ ...f, hard: true })), ...report.warnings.map((f) => ({ ...f, hard: false }))];
  const grouped = byFile(findings);
  const browser =
    report.browser === "ran"
      ? null
      : report.browser === "disabled"
        ? "The start was not checked in a browser: this platform has browser checks turned off."
        : `The start was not checked in a browser (${String(report.browser).replace(/^unavailable: /, "unavailable: ")}).`;
  const sizes = report.sizes || {};
  return el(
    "section",
    { className: "check-report", "aria-label": "Check report" },
    el(
      "div",
      { className: "report-summary" },
      el("strong", { className: report.passed ? "report-passed" : "report-failed" }, report.passed ? "Checks passed" : "Checks failed"),
      el("span", { className: "tier-badge", dataset: { tier: report.tier || "none" } }, report.tier ? `Tier: ${report.tier}` : "Tier: not measured"),
      report.checked_at ? el("span", { className: "card-note" }, `checked ${formatDateTime(report.checked_at)}`) : null
    ),
    browser ? note(browser) : null,
    findings.length
      ? el(
          "ul",
          { className: "findings", "aria-label": "Findings" },
          [...grouped].flatMap(([file, list]) =>
            list.map((finding) =>
              el(
                "li",
                { className: finding.hard ? "finding finding-hard" : "finding", dataset: { code: finding.code, file: file || undefined } },
                el("span", { className: "finding-kind" }, finding.hard ? "Must fix" : "Warning"),
                file ? el("span", { className: "mono" }, file) : null,
                el("span", {}, finding.message)
              )
            )
          )
        )
      : null,
    scroll(
      "table",
      { className: "data-table report-table", "aria-label": "Sizes against budgets" },
      el("thead", {}, el("tr", {}, ["Size", "Used", "Budget"].map((head) => el("th", { scope: "col" }, head)))),
      el(
        "tbody",
        {},
        sizeRow("Whole package", sizes.total_bytes, sizes.total_budget),
        sizeRow("Main package", sizes.main_bytes, sizes.main_budget)
      )
    ),
    report.runs?.length
      ? scroll(
          "table",
          { className: "data-table report-table", "aria-label": "Start times per network" },
          el("thead", {}, el("tr", {}, ["Network", "First frame", "Ready", "Bytes before ready"].map((head) => el("th", { scope: "col" }, head)))),
          el(
            "tbody",
            {},
            report.runs.map((run) =>
              el("tr", {}, el("th", { scope: "row" }, run.network), el("td", {}, formatMs(run.first_frame_ms)), el("td", {}, formatMs(run.ready_ms)), el("td", {}, formatBytes(run.bytes_before_ready)))
            )
          )
        )
      : null,
    logList("Console errors", report.console_errors),
    logList("Exceptions", report.exceptions),
    logList("CSP violations", report.csp_violations),
    report.screenshots?.length
      ? el(
          "div",
          { className: "screenshots", role: "group", "aria-label": "Screenshots" },
          report.screenshots.map((name) => el("img", { src: api.screenshotUrl(app.app_id, version.version, name), alt: `Screenshot ${name}`, loading: "lazy" }))
        )
      : null
  );
}

/**
 * A table in a box of its own that scrolls sideways on a narrow screen, not the page.
 * @param {"table"} tag
 * @param {Record<string, any>} attributes
 * @param {...import("./dom.js").Child} children
 */
function scroll(tag, attributes, ...children) {
  return el("div", { className: "table-scroll" }, el(tag, attributes, ...children));
}

/**
 * @param {string} label
 * @param {number | null | undefined} used
 * @param {number | null | undefined} budget
 */
function sizeRow(label, used, budget) {
  const over = used !== null && used !== undefined && budget !== null && budget !== undefined && used > budget;
  return el("tr", { className: over ? "over-budget" : undefined }, el("th", { scope: "row" }, label), el("td", {}, formatBytes(used), over ? " (over)" : ""), el("td", {}, formatBytes(budget)));
}

/**
 * @param {string} title
 * @param {string[] | undefined} lines
 */
function logList(title, lines) {
  return el(
    "div",
    { className: "report-log", role: "group", "aria-label": title },
    el("span", { className: "report-log-title" }, `${title}: ${lines?.length ? lines.length : "none"}`),
    lines?.length ? el("ul", { className: "mono" }, lines.map((line) => el("li", {}, line))) : null
  );
}

/** Who did what when. @param {any} version */
function historyView(version) {
  const events = version.history || [];
  if (!events.length) return el("div", { className: "version-history" });
  const table = el(
    "table",
    { className: "data-table", "aria-label": `History of ${version.version}` },
    el("thead", {}, el("tr", {}, ["When", "What", "Who", "Note"].map((head) => el("th", { scope: "col" }, head)))),
    el(
      "tbody",
      {},
      events.map((event) => el("tr", {}, el("th", { scope: "row" }, formatDateTime(event.at)), el("td", {}, event.action), el("td", {}, actorName(event.actor)), el("td", {}, event.note || "")))
    )
  );
  return el("div", { className: "table-scroll version-history" }, table);
}

/**
 * "developer:abc123 Studio One" -> "Studio One"; "staff:ann@x (reviewer)" -> "ann@x (reviewer)": the
 * platform names a staff member's role (web/dependencies.py staff_member); an older record without
 * one was a reviewer's.
 * @param {string} actor
 */
export function actorName(actor) {
  if (actor.startsWith("developer:")) return actor.replace(/^developer:\S+\s*/, "") || "a developer";
  if (actor.startsWith("staff:")) return actor.endsWith(")") ? actor.slice(6) : `${actor.slice(6)} (reviewer)`;
  return actor;
}
