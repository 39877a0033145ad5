// A submitted version as its reviewer reads it (catalog/admin.py's ReviewItem): what the
// platform's checks found, the screenshots they took, and what the version changes from the
// released one, in its manifest and its products. Only drawing: admin.js decides and acts.
// @ts-check

import { formatDateTime } from "./format.js";
import { el } from "./dom.js";
// Sizes and budgets as the console shows them (decimal units, as the docs and settings state them).
import { formatBytes } from "./console-problems.js";

/**
 * @typedef {{code: string, message: string, file?: string | null}} Finding
 * @typedef {{network: string, first_frame_ms: number | null, ready_ms: number | null, bytes_before_ready: number | null}} CheckRun
 * @typedef {{total_bytes: number, total_budget: number, main_bytes: number | null, main_budget: number}} Sizes
 * @typedef {{
 *   passed: boolean, tier?: string | null, hard_failures?: Finding[], warnings?: Finding[], sizes?: Sizes,
 *   runs?: CheckRun[], console_errors?: string[], exceptions?: string[], csp_violations?: string[],
 *   screenshots?: string[], browser?: string, checked_at?: string
 * }} CheckReport
 * @typedef {{action: string, state: string, actor: string, note: string, at: string}} VersionEvent
 * @typedef {{
 *   version: string, state: string, created_at: string, size_bytes: number, file_count: number, share: number,
 *   went_to_everyone: boolean, may_release: boolean, may_stage: boolean, may_roll_back: boolean, may_check_again: boolean,
 *   check_report: CheckReport | null, preview_url: string, history: VersionEvent[]
 * }} ReviewedVersion
 * @typedef {{field: string, before: any, after: any}} Change
 * @typedef {{
 *   app_id: string, app_name: string, kind: string, released_version: string | null, version: ReviewedVersion,
 *   manifest_changes: Change[], product_changes: Change[]
 * }} ReviewItem
 */

/** @param {string} state a version's state as the API names it ("in_review") */
export function stateLabel(state) {
  return state.replace("_", " ");
}

/** @param {number | null | undefined} ms */
function formatMs(ms) {
  return ms === null || ms === undefined ? "–" : `${Math.round(ms)} ms`;
}

/**
 * A manifest value as text: absent is a dash, text as it is, anything else as JSON.
 * @param {any} value
 */
export function shownValue(value) {
  if (value === null || value === undefined) return "–";
  if (typeof value === "string") return value;
  return JSON.stringify(value, null, 1);
}

/**
 * @param {string} title
 * @param {(Node | string)[]} children
 * @param {string} [className]
 */
function section(title, children, className = "") {
  return el("section", { className: `review-section ${className}`.trim() }, el("h3", { className: "review-section-title" }, title), ...children);
}

/**
 * @param {string} label
 * @param {string[] | undefined} lines
 */
function textList(label, lines) {
  if (!lines?.length) return null;
  return el("div", { className: "review-findings" }, el("h4", {}, label), el("ul", { className: "review-lines" }, lines.map((line) => el("li", { className: "mono" }, line))));
}

/**
 * @param {string} label
 * @param {Finding[] | undefined} findings
 * @param {string} kind "failure" or "warning"
 */
function findingList(label, findings, kind) {
  if (!findings?.length) return null;
  return el(
    "div",
    { className: `review-findings is-${kind}` },
    el("h4", {}, label),
    el(
      "ul",
      { className: "review-lines" },
      findings.map((finding) => el("li", { dataset: { code: finding.code } }, el("strong", {}, finding.code), " ", finding.message, finding.file ? el("span", { className: "mono" }, ` (${finding.file})`) : null))
    )
  );
}

/**
 * The platform's check report of the version.
 * @param {CheckReport | null} report
 */
export function checkReport(report) {
  if (!report) return section("Checks", [el("p", { className: "card-note" }, "The platform is still checking this version.")], "review-checks");
  const sizes = report.sizes;
  const runs = report.runs ?? [];
  const verdict = report.passed ? "Passed" : "Failed";
  return section(
    "Checks",
    [
      el(
        "p",
        { className: "review-verdict", dataset: { passed: String(report.passed) } },
        el("strong", {}, verdict),
        report.tier ? ` · start ${report.tier}` : "",
        report.browser ? ` · browser ${report.browser}` : "",
        report.checked_at ? ` · ${formatDateTime(report.checked_at)}` : ""
      ),
      findingList("Hard failures", report.hard_failures, "failure"),
      findingList("Warnings", report.warnings, "warning"),
      sizes
        ? el(
            "dl",
            { className: "review-facts" },
            el("dt", {}, "Total size"),
            el("dd", {}, `${formatBytes(sizes.total_bytes)} of ${formatBytes(sizes.total_budget)}`),
            el("dt", {}, "Main package"),
            el("dd", {}, `${formatBytes(sizes.main_bytes)} of ${formatBytes(sizes.main_budget)}`)
          )
        : null,
      runs.length
        ? el(
            "div",
            { className: "table-scroll" },
            el(
              "table",
              { className: "data-table review-runs", "aria-label": "Start in the browser" },
              el("thead", {}, el("tr", {}, ["Network", "First frame", "Ready", "Bytes before ready"].map((head) => el("th", { scope: "col" }, head)))),
              el(
                "tbody",
                {},
                runs.map((run) => el("tr", {}, el("th", { scope: "row" }, run.network), el("td", {}, formatMs(run.first_frame_ms)), el("td", {}, formatMs(run.ready_ms)), el("td", {}, formatBytes(run.bytes_before_ready))))
              )
            )
          )
        : null,
      textList("Console errors", report.console_errors),
      textList("Uncaught exceptions", report.exceptions),
      textList("Content-security-policy violations", report.csp_violations),
    ].filter((child) => child !== null),
    "review-checks"
  );
}

/**
 * The screenshots the checks took, from the reviewers' own route.
 * @param {ReviewItem} item
 */
export function screenshots(item) {
  const names = item.version.check_report?.screenshots ?? [];
  if (!names.length) return section("Screenshots", [el("p", { className: "card-note" }, "No screenshots: the checks did not run in a browser.")], "review-shots");
  const base = `/api/admin/review/${encodeURIComponent(item.app_id)}/${encodeURIComponent(item.version.version)}/screenshots/`;
  return section(
    "Screenshots",
    [
      el(
        "div",
        { className: "review-shot-list" },
        names.map((name) =>
          el("figure", { className: "review-shot" }, el("a", { href: base + encodeURIComponent(name), target: "_blank", rel: "noopener" }, el("img", { src: base + encodeURIComponent(name), alt: `Screenshot ${name}`, loading: "lazy" })), el("figcaption", { className: "mono" }, name))
        )
      ),
    ],
    "review-shots"
  );
}

/**
 * A table of what changed, or a line saying nothing did.
 * @param {string} title
 * @param {Change[]} changes
 * @param {string} nothing
 * @param {string} fieldHead
 */
function changeTable(title, changes, nothing, fieldHead) {
  if (!changes.length) return section(title, [el("p", { className: "card-note" }, nothing)], "review-changes");
  return section(
    title,
    [
      el(
        "div",
        { className: "table-scroll" },
        el(
          "table",
          { className: "data-table review-diff", "aria-label": title },
          el("thead", {}, el("tr", {}, [fieldHead, "Released", "This version"].map((head) => el("th", { scope: "col" }, head)))),
          el(
            "tbody",
            {},
            changes.map((change) =>
              el(
                "tr",
                { dataset: { field: change.field } },
                el("th", { scope: "row", className: "mono" }, change.field),
                el("td", { className: "review-before" }, el("pre", {}, shownValue(change.before))),
                el("td", { className: "review-after" }, el("pre", {}, shownValue(change.after)))
              )
            )
          )
        )
      ),
    ],
    "review-changes"
  );
}

/** @param {ReviewItem} item */
export function changes(item) {
  const against = item.released_version ? `from ${item.released_version}` : "(nothing released yet)";
  return [
    changeTable(`Manifest changes ${against}`, item.manifest_changes, "The manifest is the same as the released version’s.", "Field"),
    changeTable(`Product changes ${against}`, item.product_changes, "The products are the same as the released version’s.", "Product"),
  ];
}

/** @param {VersionEvent[]} events */
export function history(events) {
  if (!events.length) return null;
  return section("History", [
    el(
      "ol",
      { className: "review-history" },
      events.map((event) =>
        el(
          "li",
          { dataset: { action: event.action } },
          el("time", { dateTime: event.at }, formatDateTime(event.at)),
          " ",
          el("strong", {}, event.action),
          ` by ${event.actor}`,
          event.note ? el("q", {}, event.note) : null
        )
      )
    ),
  ]);
}
