// The moderators' tab of /admin: the queue (items with open reports, open appeals, or taken down
// now), each with its reports, reporters, appeals and history; taking an item down or restoring
// it with a reason (suspending or unsuspending a creator or an app); dismissing reports; answering
// appeals. And the audit log, for the roles that audit. The API is moderation/admin.py and
// staff/admin.py; every act lands in the audit log there.
// @ts-check

import { errorMessage } from "./api.js";
import { el } from "./dom.js";
import { formatDateTime } from "./format.js";
import { REASONS } from "./report-sheet.js";
import { reasonLabel } from "./takedowns.js";

/** @typedef {import("./api.js").Api} Api */
/** @typedef {(text: string) => void} Tell */

const VIEWS = [
  ["reports", "Reported"],
  ["appeals", "Appeals"],
  ["down", "Taken down"],
];
const KINDS = ["post", "app", "series", "episode", "creator"];
const SUSPENDED = new Set(["creator", "app"]);

/** @param {string} kind @param {string} id */
function itemPath(kind, id) {
  return `/api/admin/moderation/items/${encodeURIComponent(kind)}/${encodeURIComponent(id)}`;
}

/** @param {string} text */
function note(text) {
  return el("p", { className: "card-note" }, text);
}

/**
 * The moderation tab.
 * @param {Api} api
 * @param {Tell} tell the page's status line
 */
export function moderationScreen(api, tell) {
  const list = el("div", { className: "moderation-list", "aria-live": "polite" });
  const message = el("p", { className: "form-error", role: "alert" });
  let view = "reports";

  const tabs = el(
    "div",
    { className: "moderation-views", role: "group", "aria-label": "Queue" },
    VIEWS.map(([value, label]) =>
      el("button", { type: "button", className: "button-secondary button-small", dataset: { view: value }, "aria-pressed": String(value === view), onclick: () => load(value) }, label)
    )
  );

  /** @param {string} next */
  async function load(next) {
    view = next;
    for (const button of tabs.querySelectorAll("button")) button.setAttribute("aria-pressed", String(button.dataset.view === view));
    message.textContent = "";
    try {
      const queue = await api.request("GET", `/api/admin/moderation/queue?view=${encodeURIComponent(view)}`);
      list.replaceChildren(...(queue.items.length ? queue.items.map((/** @type {any} */ item) => itemCard(api, item, tell, () => load(view))) : [note("Nothing here.")]));
    } catch (error) {
      message.textContent = errorMessage(error);
    }
  }

  // Any item, reported or not: to suspend a creator by @handle, or look up a post by its id.
  const kind = el("select", { className: "text-field", id: "lookup-kind", name: "kind" }, KINDS.map((k) => el("option", { value: k }, k)));
  const id = el("input", { className: "text-field", id: "lookup-id", name: "id", required: true, maxLength: 120, autocomplete: "off", spellcheck: false, placeholder: "pst_…, an app id, @handle, ser_…:3" });
  const lookup = el(
    "form",
    { className: "release-lookup moderation-lookup" },
    el("div", { className: "field" }, el("label", { for: "lookup-kind" }, "Kind"), kind),
    el("div", { className: "field" }, el("label", { for: "lookup-id" }, "Item"), id),
    el("button", { type: "submit", className: "button-secondary" }, "Look up")
  );
  lookup.addEventListener("submit", async (event) => {
    event.preventDefault();
    message.textContent = "";
    try {
      const item = await api.request("GET", itemPath(kind.value, id.value.trim()));
      list.replaceChildren(itemCard(api, item, tell, () => load(view)));
    } catch (error) {
      message.textContent = errorMessage(error);
    }
  });

  load(view);
  return el(
    "section",
    { className: "card moderation", "aria-labelledby": "moderation-title" },
    el("h2", { className: "section-title", id: "moderation-title" }, "Moderation"),
    tabs,
    lookup,
    message,
    list
  );
}

/**
 * One item as a moderator decides on it.
 * @param {Api} api
 * @param {any} detail GET /api/admin/moderation/items/{kind}/{id}
 * @param {Tell} tell
 * @param {() => void} reload the queue, once something was decided
 */
function itemCard(api, detail, tell, reload) {
  const { item, takedown } = detail;
  const down = Boolean(takedown?.down);
  const suspended = SUSPENDED.has(item.kind);
  const message = el("p", { className: "form-error", role: "alert" });
  const prefix = `mod-${item.kind}-${item.id}`.replace(/[^A-Za-z0-9_-]/g, "-");

  /** @param {string} path @param {Record<string, any>} body @param {string} done */
  async function act(path, body, done) {
    message.textContent = "";
    try {
      await api.request("POST", path, { body });
      tell(done);
      reload();
    } catch (error) {
      message.textContent = errorMessage(error);
    }
  }

  // No reason is chosen for the moderator: one set to Spam beforehand took a whole app down "as
  // spam" with one click, whatever its reports said (a probe).
  const reason = el(
    "select",
    { className: "text-field", id: `${prefix}-reason`, name: "reason", required: true },
    el("option", { value: "", disabled: true, selected: true }, "Choose a reason"),
    REASONS.map(([value, label]) => el("option", { value }, label))
  );
  const words = el("textarea", { className: "text-field text-area", id: `${prefix}-note`, name: "note", maxLength: 1000, rows: 2 });
  /** What a takedown still lacks, said where it is; null when it may go. */
  function lacking() {
    if (!reason.value) return { field: reason, text: "Choose the reason the owner will read." };
    if (suspended && !words.value.trim()) return { field: words, text: `Say why, for the owner: a suspension stops the whole ${item.kind === "app" ? "app" : "account"}.` };
    return null;
  }
  function takeDown() {
    const missing = lacking();
    if (missing) {
      message.textContent = missing.text;
      missing.field.focus();
      return;
    }
    act(`${itemPath(item.kind, item.id)}/takedown`, { reason: reason.value, note: words.value.trim() }, `${suspended ? "Suspended" : "Took down"} ${item.title}.`);
  }
  const verb = down ? (suspended ? "Unsuspend" : "Restore") : suspended ? "Suspend" : "Take down";
  const decide = el(
    "button",
    {
      type: "button",
      className: down ? "button-secondary" : "button-primary button-danger",
      onclick: () =>
        down ? act(`${itemPath(item.kind, item.id)}/restore`, { note: words.value.trim() }, `${suspended ? "Unsuspended" : "Restored"} ${item.title}.`) : takeDown(),
    },
    verb
  );
  const dismiss = detail.open_reports
    ? el("button", { type: "button", className: "button-secondary", onclick: () => act(`${itemPath(item.kind, item.id)}/dismiss`, { note: words.value.trim() }, `Dismissed the reports of ${item.title}.`) }, "Dismiss reports")
    : null;

  return el(
    "article",
    { className: "moderation-item review-item", dataset: { kind: item.kind, itemId: item.id, down: String(down) }, "aria-label": `${item.kind} ${item.title}` },
    el("h3", { className: "review-section-title" }, `${item.kind}: ${item.title}`),
    el("p", { className: "card-note" }, `${item.subtitle ? `${item.subtitle} · ` : ""}${item.id} · ${down ? `${suspended ? "suspended" : "taken down"} (${reasonLabel(takedown.reason)}) by ${takedown.actor}, ${formatDateTime(takedown.at)}` : item.visible ? "visible" : "not public"}`),
    detail.open_reports
      ? el("p", { className: "moderation-reasons" }, `${detail.open_reports} open report${detail.open_reports === 1 ? "" : "s"}: `, Object.entries(detail.reasons).map(([r, n]) => `${reasonLabel(r)} ×${n}`).join(", "))
      : null,
    reports(detail.reports),
    appeals(api, detail.appeals, tell, reload),
    el(
      "div",
      { className: "review-decision", role: "group", "aria-label": "Decision" },
      down ? null : el("div", { className: "field" }, el("label", { for: `${prefix}-reason` }, "Reason"), reason),
      el("div", { className: "field" }, el("label", { for: `${prefix}-note` }, down ? "Note (for the log)" : "Note to the owner (they read it)"), words),
      message,
      el("div", { className: "form-actions" }, dismiss, decide)
    ),
    history(detail.history)
  );
}

/** @param {any[]} found */
function reports(found) {
  if (!found.length) return null;
  return el(
    "details",
    { className: "review-section" },
    el("summary", {}, `Reports (${found.length})`),
    el(
      "ul",
      { className: "moderation-reports" },
      found.map((r) =>
        el(
          "li",
          { dataset: { outcome: r.outcome } },
          `${formatDateTime(r.updated_at)} · ${r.reporter.name}${r.reporter.guest ? " (guest)" : ""} · ${reasonLabel(r.reason)}${r.outcome === "open" ? "" : ` · ${r.outcome.replace("_", " ")}`}`,
          r.text ? el("p", { className: "card-note" }, r.text) : null
        )
      )
    )
  );
}

/**
 * @param {Api} api
 * @param {any[]} found
 * @param {Tell} tell
 * @param {() => void} reload
 */
function appeals(api, found, tell, reload) {
  if (!found.length) return null;
  return el(
    "div",
    { className: "review-section moderation-appeals" },
    el("h4", { className: "review-section-title" }, "Appeals"),
    found.map((appeal) => {
      const answer = el("textarea", { className: "text-field text-area", name: "answer", maxLength: 1000, rows: 2, "aria-label": "Answer to the owner" });
      const message = el("p", { className: "form-error", role: "alert" });
      /** @param {boolean} grant */
      const send = async (grant) => {
        message.textContent = "";
        try {
          await api.request("POST", `/api/admin/moderation/appeals/${appeal.id}/answer`, { body: { grant, answer: answer.value.trim() } });
          tell(grant ? "Appeal granted: the item is back." : "Appeal denied.");
          reload();
        } catch (error) {
          message.textContent = errorMessage(error);
        }
      };
      return el(
        "div",
        { className: "moderation-appeal", dataset: { status: appeal.status } },
        el("p", {}, `${formatDateTime(appeal.created_at)} · ${appeal.status}`),
        el("p", { className: "card-note" }, appeal.text),
        appeal.status === "open"
          ? el(
              "div",
              {},
              answer,
              message,
              el(
                "div",
                { className: "form-actions" },
                el("button", { type: "button", className: "button-secondary", onclick: () => send(false) }, "Deny"),
                el("button", { type: "button", className: "button-primary", onclick: () => send(true) }, "Grant")
              )
            )
          : appeal.answer
            ? el("p", { className: "card-note" }, `Answer: ${appeal.answer}`)
            : null
      );
    })
  );
}

/** @param {any[]} entries */
function history(entries) {
  if (!entries.length) return null;
  return el(
    "details",
    { className: "review-section" },
    el("summary", {}, "History"),
    el("ul", { className: "moderation-history" }, entries.map((e) => el("li", {}, `${formatDateTime(e.at)} · ${e.actor} · ${e.action}${e.reason ? ` · ${e.reason}` : ""}`)))
  );
}

/**
 * The audit log: every staff action, newest first, filtered by item, by who or by what.
 * @param {Api} api
 */
export function auditScreen(api) {
  const target = el("input", { className: "text-field", id: "audit-target", name: "target_id", maxLength: 120, autocomplete: "off", spellcheck: false });
  const actor = el("input", { className: "text-field", id: "audit-actor", name: "actor", maxLength: 200, autocomplete: "off", spellcheck: false });
  const action = el("input", { className: "text-field", id: "audit-action", name: "action", maxLength: 64, autocomplete: "off", spellcheck: false, placeholder: "refund, approve, set_pack…" });
  const message = el("p", { className: "form-error", role: "alert" });
  const rows = el("tbody");
  const more = el("button", { type: "button", className: "button-secondary button-small", hidden: true }, "More");
  /** @type {string | null} */
  let cursor = null;

  /** @param {boolean} fresh */
  async function load(fresh) {
    message.textContent = "";
    const query = new URLSearchParams({ limit: "50" });
    if (target.value.trim()) query.set("target_id", target.value.trim());
    if (actor.value.trim()) query.set("actor", actor.value.trim());
    if (action.value.trim()) query.set("action", action.value.trim());
    if (!fresh && cursor) query.set("cursor", cursor);
    try {
      const page = await api.request("GET", `/api/admin/audit?${query}`);
      if (fresh) rows.replaceChildren();
      rows.append(
        ...page.items.map((/** @type {any} */ e) =>
          el(
            "tr",
            { dataset: { action: e.action, targetId: e.target_id } },
            el("td", {}, formatDateTime(e.at)),
            el("td", {}, e.actor),
            el("td", {}, e.action),
            el("td", { className: "mono" }, `${e.target_kind} ${e.target_id}`),
            el("td", {}, e.reason),
            el("td", { className: "mono" }, `${JSON.stringify(e.before)} → ${JSON.stringify(e.after)}`)
          )
        )
      );
      cursor = page.next_cursor;
      more.hidden = !cursor;
    } catch (error) {
      message.textContent = errorMessage(error);
    }
  }

  const form = el(
    "form",
    { className: "release-lookup" },
    el("div", { className: "field" }, el("label", { for: "audit-target" }, "Item id"), target),
    el("div", { className: "field" }, el("label", { for: "audit-actor" }, "Who"), actor),
    el("div", { className: "field" }, el("label", { for: "audit-action" }, "What"), action),
    el("button", { type: "submit", className: "button-secondary" }, "Filter")
  );
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    load(true);
  });
  more.addEventListener("click", () => load(false));
  load(true);
  return el(
    "section",
    { className: "card audit-log", "aria-labelledby": "audit-title" },
    el("h2", { className: "section-title", id: "audit-title" }, "Audit log"),
    form,
    message,
    // Scrolled on its own when it is wider than the screen (six columns on a phone), not the page.
    el(
      "div",
      { className: "table-scroll" },
      el(
        "table",
        { className: "audit-table", "aria-labelledby": "audit-title" },
        el("thead", {}, el("tr", {}, ["When", "Who", "What", "Item", "Why", "Before → after"].map((h) => el("th", { scope: "col" }, h)))),
        rows
      )
    ),
    more
  );
}
