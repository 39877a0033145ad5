// What the platform took down of the person's own (posts and profile in the creator studio; apps,
// series and episodes in the developer console): the reason and the moderator's words, and one
// appeal per takedown (GET /api/moderation/takedowns, POST /api/moderation/appeals).
// @ts-check

import { errorMessage } from "./api.js";
import { el } from "./dom.js";
import { REASONS } from "./report-sheet.js";

const REASON_LABELS = new Map(REASONS.map(([value, label]) => [value, label]));
const KIND_LABELS = { post: "Your post", creator: "Your creator profile", app: "The app", series: "The series", episode: "The episode" };

/** @param {string} reason */
export function reasonLabel(reason) {
  return REASON_LABELS.get(reason) ?? reason;
}

/**
 * The person's takedowns that `keep` accepts.
 * @param {import("./api.js").Api} api
 * @param {(item: any) => boolean} keep
 * @returns {Promise<any[]>}
 */
export async function myTakedowns(api, keep) {
  const answer = await api.request("GET", "/api/moderation/takedowns");
  return answer.items.filter(keep);
}

/**
 * One takedown, and the appeal: its form while none was made, else its state and answer.
 * @param {import("./api.js").Api} api
 * @param {any} entry one item of GET /api/moderation/takedowns
 */
export function takedownNotice(api, entry) {
  const { item, takedown, appeal } = entry;
  const what = `${KIND_LABELS[/** @type {keyof typeof KIND_LABELS} */ (item.kind)] ?? item.kind} “${item.title}”`;
  const suspended = item.kind === "creator" || item.kind === "app";
  const root = el("div", { className: "takedown-notice", role: "note", dataset: { kind: item.kind, itemId: item.id } });
  const head = el("p", { className: "takedown-reason" }, `${what} was ${suspended ? "suspended" : "taken down"} by the platform: ${reasonLabel(takedown.reason)}.`);
  const words = takedown.note ? el("p", { className: "takedown-note" }, takedown.note) : null;
  root.append(head, ...(words ? [words] : []), appeal ? appealState(appeal) : appealForm(api, entry));
  return root;
}

/** @param {any} appeal */
function appealState(appeal) {
  const states = { open: "Your appeal is waiting for a moderator.", granted: "Your appeal was granted.", denied: "Your appeal was denied." };
  return el(
    "div",
    { className: "takedown-appeal", dataset: { status: appeal.status } },
    el("p", {}, states[/** @type {keyof typeof states} */ (appeal.status)] ?? appeal.status),
    appeal.answer ? el("p", { className: "card-note" }, appeal.answer) : null
  );
}

/**
 * @param {import("./api.js").Api} api
 * @param {any} entry
 */
function appealForm(api, entry) {
  const id = `appeal-${entry.item.kind}-${entry.item.id}`.replace(/[^A-Za-z0-9_-]/g, "-");
  const text = el("textarea", { className: "text-field text-area", id, name: "text", maxLength: 2000, rows: 3, required: true });
  const message = el("p", { className: "form-error", role: "alert" });
  const send = el("button", { type: "submit", className: "button-secondary" }, "Appeal");
  const form = el(
    "form",
    { className: "takedown-appeal-form" },
    el("div", { className: "field" }, el("label", { for: id }, "Appeal (once): why should it come back?"), text),
    message,
    send
  );
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    if (!text.value.trim()) {
      message.textContent = "Say why it should come back.";
      return;
    }
    send.disabled = true;
    try {
      const appeal = await api.request("POST", "/api/moderation/appeals", { body: { kind: entry.item.kind, id: entry.item.id, text: text.value.trim() } });
      form.replaceWith(appealState(appeal));
    } catch (error) {
      message.textContent = errorMessage(error);
      send.disabled = false;
    }
  });
  return form;
}
