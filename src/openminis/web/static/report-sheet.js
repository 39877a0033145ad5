// Reporting: a person reports a post, an app, a series, an episode or a creator where they see it,
// with a reason from the platform's fixed list and optional words. Reports go to the moderators'
// queue (/admin); reporting the same thing again replaces the person's earlier report.
// @ts-check

import { errorMessage } from "./api.js";
import { el } from "./dom.js";

/** The server's list (moderation/service.py REASONS), in words. */
export const REASONS = [
  ["spam", "Spam"],
  ["sexual_content", "Nudity or sexual content"],
  ["violence", "Violence"],
  ["hate", "Hate"],
  ["harassment", "Harassment or bullying"],
  ["scam_or_fraud", "Scam or fraud"],
  ["intellectual_property", "Intellectual property"],
  ["child_safety", "Child safety"],
  ["other", "Something else"],
];
const MAX_TEXT = 1000;

export class ReportSheet {
  /** @type {any} */
  sheet = null;
  /**
   * @param {object} options
   * @param {import("./sheets.js").Sheets} options.sheets
   * @param {import("./api.js").Api} options.api
   * @param {{kind: "post" | "app" | "series" | "episode" | "creator", id: string}} options.target
   * @param {string} options.title what is reported, in words ("@maya’s post")
   */
  constructor({ sheets, api, target, title }) {
    this.sheets = sheets;
    this.api = api;
    this.target = target;
    this.title = title;
  }

  open() {
    const sheet = this.sheets.claim();
    if (!sheet) return;
    this.sheet = sheet;
    const choices = REASONS.map(([value, label], index) =>
      el("label", { className: "report-reason" }, el("input", { type: "radio", name: "report-reason", value, required: index === 0 }), ` ${label}`)
    );
    const text = el("textarea", { className: "text-field text-area", id: "report-text", name: "text", maxLength: MAX_TEXT, rows: 3 });
    const message = el("p", { className: "form-error", role: "alert" });
    const send = el("button", { type: "submit", className: "button-primary" }, "Report");
    const form = el(
      "form",
      { className: "sheet-stack report-sheet" },
      el("fieldset", { className: "report-reasons" }, el("legend", {}, `Why are you reporting ${this.title}?`), ...choices),
      el("div", { className: "field" }, el("label", { for: "report-text" }, "Anything else moderators should know (optional)"), text),
      message,
      el("div", { className: "sheet-actions" }, send)
    );
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      const picked = /** @type {HTMLInputElement | null} */ (form.querySelector("input[name=report-reason]:checked"));
      if (!picked) {
        message.textContent = "Pick a reason.";
        return;
      }
      message.textContent = "";
      send.disabled = true;
      try {
        await this.api.request("POST", "/api/reports", { body: { ...this.target, reason: picked.value, text: text.value.trim() } });
        sheet.close();
        this.sheets.notify("Thanks: moderators will look at it");
      } catch (error) {
        message.textContent = errorMessage(error);
        send.disabled = false;
      }
    });
    sheet.show({ title: "Report", body: form, focus: choices[0].querySelector("input") });
  }
}
