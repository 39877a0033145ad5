// The app's message templates in the console (messages/console.py): each with the text people are
// asked for and sent, its review (a new template or a change made through the Open API waits for
// the platform's reviewers), the text waiting and a rejection's note. Hidden while there is none.
// @ts-check

import { el } from "./dom.js";
import { card, note } from "./console-ui.js";

/** @typedef {import("./admin-templates.js").Template} Template */

const STATES = {
  approved: "Approved",
  in_review: "Waiting for review",
  rejected: "Rejected",
};

/**
 * @param {import("./console-api.js").ConsoleApi} api
 * @param {string} appId
 */
export function messageTemplates(api, appId) {
  const list = el("ul", { className: "console-templates" });
  const section = card("Message templates", note("Declared in minis.json (approved with the version) or through the Open API (reviewed by the platform first)."), list);
  section.hidden = true;
  api
    .messageTemplates(appId)
    .then((/** @type {{items: Template[]}} */ answer) => {
      section.hidden = answer.items.length === 0;
      list.replaceChildren(...answer.items.map(templateRow));
    })
    .catch((error) => console.error("openminis: message templates not loaded", error));
  return section;
}

/** @param {Template} template */
function templateRow(template) {
  const state = STATES[/** @type {keyof typeof STATES} */ (template.state)] ?? template.state;
  return el(
    "li",
    { className: "console-template", dataset: { templateId: template.id, state: template.state } },
    el("p", {}, el("strong", { className: "mono" }, template.id), " · ", el("span", { className: "role-badge template-state" }, state), ` · ${template.kind} · sent ${template.sent}`),
    template.in_effect ? el("p", {}, "In effect: ", el("span", { className: "template-title" }, template.title), ` (${template.fields.join(", ") || "no fields"})`) : note("Not in effect yet: people cannot be asked for it until it is approved."),
    template.proposed && template.state !== "approved"
      ? el("p", {}, template.state === "rejected" ? "Refused: " : "Waiting: ", el("span", { className: "template-title" }, template.proposed.title), ` (${template.proposed.fields.join(", ") || "no fields"}, ${template.proposed.kind})`)
      : null,
    template.review_note ? el("p", { className: "template-review-note" }, `Reviewer’s note: ${template.review_note}`) : null
  );
}
