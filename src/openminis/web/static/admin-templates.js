// The reviewers' "Message templates" tab of /admin: the templates apps made or changed through the
// Open API that wait for review, each with its app and developer, the text proposed and the one in
// effect (people keep being asked for and sent that one until the change is approved), and the
// decision: approve, or reject with a note the developer reads. The API is messages/admin.py; a
// template decided meanwhile by another reviewer, or changed since it was read, is a 409.
// @ts-check

import { errorMessage } from "./api.js";
import { el } from "./dom.js";
import { formatDateTime } from "./format.js";

/** @typedef {import("./api.js").Api} Api */
/** @typedef {(text: string) => void} Tell */
/** @typedef {{title: string, fields: string[], kind: string}} TemplateText */
/**
 * @typedef {{id: string, title: string, fields: string[], kind: string, state: string, in_effect: boolean,
 *   proposed: TemplateText | null, review_note: string, revision: number, sent: number}} Template
 * @typedef {{app_id: string, app_name: string, developer: string | null, template: Template, submitted_at: string}} Waiting
 */

const QUEUE = "/api/admin/review/templates";

/** @param {string} text */
function note(text) {
  return el("p", { className: "card-note" }, text);
}

/** @param {Waiting} item */
function decisionPath(item) {
  return `${QUEUE}/${encodeURIComponent(item.app_id)}/${encodeURIComponent(item.template.id)}`;
}

/**
 * A template's text as a person would read it: the title as text, never markup.
 * @param {string} label
 * @param {TemplateText | null} text
 */
export function templateText(label, text) {
  return el(
    "div",
    { className: "template-text", dataset: { label } },
    el("h4", {}, label),
    text
      ? el(
          "dl",
          { className: "review-facts" },
          el("dt", {}, "Title"),
          el("dd", { className: "template-title" }, text.title),
          el("dt", {}, "Fields"),
          el("dd", { className: "mono" }, text.fields.join(", ") || "none"),
          el("dt", {}, "Kind"),
          el("dd", {}, text.kind)
        )
      : note("Nothing yet: a new template, never approved.")
  );
}

/**
 * The tab.
 * @param {Api} api
 * @param {Tell} tell the page's status line
 */
export function templatesScreen(api, tell) {
  const list = el("ul", { className: "template-queue", "aria-live": "polite" });
  const count = el("span", { className: "review-count" }, "0");
  const message = el("p", { className: "form-error", role: "alert" });

  async function load() {
    message.textContent = "";
    try {
      /** @type {Waiting[]} */
      const items = (await api.request("GET", QUEUE)).items;
      count.textContent = String(items.length);
      list.replaceChildren(...(items.length ? items.map((item) => el("li", {}, waitingCard(api, item, tell, load))) : [el("li", {}, note("No message template is waiting for review."))]));
    } catch (error) {
      message.textContent = errorMessage(error);
    }
  }

  load();
  return el(
    "section",
    { className: "card template-review", "aria-labelledby": "templates-title" },
    el("h2", { className: "section-title", id: "templates-title" }, "Message templates waiting ", count),
    note("Templates apps made or changed through the Open API. Until a change is approved, people are asked for and sent the text in effect."),
    message,
    list
  );
}

/**
 * @param {Api} api
 * @param {Waiting} item
 * @param {Tell} tell
 * @param {() => Promise<void>} reload
 */
function waitingCard(api, item, tell, reload) {
  const template = item.template;
  const id = `template-note-${item.app_id}-${template.id}`;
  const text = el("textarea", { className: "text-field text-area", id, name: "note", maxLength: 2000, rows: 2 });
  const message = el("p", { className: "form-error", role: "alert" });
  const approve = el("button", { type: "button", className: "button-primary" }, "Approve");
  const reject = el("button", { type: "button", className: "button-secondary review-reject" }, "Reject");
  const name = `${item.app_name} · ${template.id}`;

  /** @param {"approve" | "reject"} action */
  async function send(action) {
    message.textContent = "";
    approve.disabled = reject.disabled = true;
    try {
      await api.request("POST", `${decisionPath(item)}/${action}`, { body: { note: text.value.trim(), revision: template.revision } });
      tell(action === "approve" ? `Approved the message template ${name}.` : `Rejected the message template ${name}.`);
      await reload();
    } catch (error) {
      message.textContent = errorMessage(error);
      approve.disabled = reject.disabled = false;
    }
  }

  approve.addEventListener("click", () => send("approve"));
  reject.addEventListener("click", () => {
    if (text.value.trim().length < 3) {
      message.textContent = "Say why the template is rejected: the developer reads it.";
      text.setAttribute("aria-invalid", "true");
      text.focus();
      return;
    }
    text.removeAttribute("aria-invalid");
    send("reject");
  });
  return el(
    "article",
    { className: "card review-item template-item", "aria-label": name, dataset: { appId: item.app_id, templateId: template.id } },
    el("h3", { className: "review-section-title" }, name),
    note(`${item.app_id} · by ${item.developer ?? "no developer"} · submitted ${formatDateTime(item.submitted_at)} · revision ${template.revision} · sent ${template.sent}`),
    el("div", { className: "template-texts" }, templateText("Proposed", template.proposed), templateText("In effect", template.in_effect ? template : null)),
    el(
      "div",
      { className: "review-decision", role: "group", "aria-label": "Decision" },
      el("div", { className: "field" }, el("label", { for: id }, "Note to the developer (the reason, to reject)"), text),
      message,
      el("div", { className: "form-actions" }, reject, approve)
    )
  );
}
