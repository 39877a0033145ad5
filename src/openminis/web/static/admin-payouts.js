// The Payouts tab of /admin (payouts/admin.py), for the roles with the act "payouts": the payouts of
// a status (those waiting for approval first), approved in a batch with a reason, one rejected with
// a reason, one in transit sent again; and the payout terms the platform publishes (the hold, the
// rates, the minimums, the limit under which a payout needs no approval), a change that loosens them
// proposed here and approved by another member of finance. Every act is in the audit log, with its
// reason.
// @ts-check

import { errorMessage } from "./api.js";
import { el } from "./dom.js";
import { busy, errorLine, field, input, note, select } from "./console-ui.js";
import { formatDateTime, formatMoney } from "./format.js";
import { earningsAmount, statusLabel } from "./payouts-panel.js";

/** @typedef {import("./api.js").Api} Api */
/** @typedef {import("./payouts-panel.js").Payout} Payout */
/** @typedef {import("./payouts-panel.js").PayoutPolicy} PayoutPolicy */

const STATUSES = ["requested", "in_transit", "paid", "failed", "rejected", "canceled"];

/**
 * The tab's content.
 * @param {Api} api
 * @param {(text: string) => void} tell the page's status line
 */
export function payoutsTab(api, tell) {
  return el("div", { className: "admin-money admin-payouts" }, queuePanel(api, tell), policyPanel(api, tell));
}

/** A card of the tab, named by its heading. @param {string} title @param {...(Node | string | null)} children */
function section(title, ...children) {
  return el("section", { className: "card admin-panel", "aria-label": title }, el("h2", { className: "section-title" }, title), ...children);
}

// The queue ---------------------------------------------------------------------------------------

/** @param {Api} api @param {(text: string) => void} tell */
function queuePanel(api, tell) {
  const status = select("status", STATUSES.map((value) => [value, statusLabel(value)]), "requested");
  const table = el("div", { className: "table-scroll", "aria-live": "polite" });
  const message = errorLine();
  const reason = input({ name: "reason", maxLength: 2000, autocomplete: "off" });
  const approve = el("button", { type: "submit", className: "button-primary" }, "Approve selected");
  const approval = el("form", { className: "admin-form studio-form", "aria-label": "Approve payouts" }, field("Reason for approving (for the audit log)", reason), el("div", { className: "form-actions" }, approve));
  /** @type {HTMLInputElement[]} */
  let picks = [];

  async function load() {
    message.textContent = "";
    try {
      const answer = await api.request("GET", `/api/admin/payouts?status=${encodeURIComponent(status.value)}`);
      show(answer.items);
    } catch (error) {
      message.textContent = errorMessage(error);
    }
  }

  /** @param {Payout[]} items */
  function show(items) {
    approval.hidden = status.value !== "requested";
    if (!items.length) {
      picks = [];
      table.replaceChildren(note(`No payouts ${statusLabel(status.value).toLowerCase()}.`));
      return;
    }
    picks = items.filter((payout) => payout.status === "requested").map((payout) => el("input", { type: "checkbox", value: payout.id, "aria-label": `Select payout ${payout.id}` }));
    const all = picks.length ? el("input", { type: "checkbox", "aria-label": "Select all", onchange: () => picks.forEach((box) => (box.checked = all?.checked ?? false)) }) : null;
    const heads = ["Payee", "Amount", "From earnings", "Destination", "Requested", "Status", "Last error", ""];
    table.replaceChildren(
      el(
        "table",
        { className: "data-table admin-payouts-table", "aria-label": "Payouts" },
        el("thead", {}, el("tr", {}, el("th", { scope: "col" }, all), heads.map((head) => el("th", { scope: "col" }, head)))),
        el("tbody", {}, items.map((payout) => row(payout, picks.find((box) => box.value === payout.id) ?? null)))
      )
    );
  }

  /** @param {Payout} payout @param {HTMLInputElement | null} pick */
  function row(payout, pick) {
    const money = formatMoney(payout.amount, payout.currency);
    const actions = el("td", { className: "admin-payout-actions" });
    /** @param {string} verb @param {string} path @param {(after: Payout) => string} said */
    const act = (verb, path, said) => reasonButton(actions, verb, `${verb} the payout ${payout.id}`, async (why) => {
      const after = await api.request("POST", `/api/admin/payouts/${encodeURIComponent(payout.id)}/${path}`, { body: { reason: why } });
      tell(said(after));
      await load();
    });
    if (payout.status === "requested") act("Reject", "reject", () => `Rejected the payout of ${money} to ${payout.payee_name || payout.payee}: its earnings are back in their balance.`);
    if (payout.status === "in_transit") act("Retry", "retry", (after) => `Sent the payout of ${money} again: ${statusLabel(after.status).toLowerCase()}.`);
    return el(
      "tr",
      { dataset: { payoutId: payout.id, status: payout.status } },
      el("td", {}, pick),
      // Who is paid, by name, with the payee's id under it (the id alone: a probe, dev53).
      el("th", { scope: "row" }, payout.payee_name || "", el("div", { className: "mono card-note" }, payout.payee)),
      el("td", { dataset: { column: "amount" } }, `${money} ${payout.currency}`),
      el("td", {}, earningsAmount(payout.source_amount, payout.source_currency)),
      el("td", { className: "mono" }, payout.destination || "–"),
      el("td", {}, formatDateTime(payout.created_at)),
      el("td", { dataset: { column: "status" } }, statusLabel(payout.status)),
      el("td", { dataset: { column: "last_error" } }, payout.last_error || payout.reason || ""),
      actions
    );
  }

  /**
   * A button that asks why before it acts: the reason goes to the audit log (and, for a
   * rejection, to the payee).
   * @param {HTMLElement} cell
   * @param {string} verb
   * @param {string} label
   * @param {(why: string) => Promise<void>} action
   */
  function reasonButton(cell, verb, label, action) {
    const start = el("button", { type: "button", className: "button-secondary button-small" }, verb);
    start.addEventListener("click", () => {
      const why = input({ required: true, maxLength: 2000, "aria-label": `Why ${label.charAt(0).toLowerCase()}${label.slice(1)}`, placeholder: "reason", autocomplete: "off" });
      const confirm = el("button", { type: "submit", className: "button-primary button-small" }, verb);
      const back = el("button", { type: "button", className: "button-secondary button-small", onclick: () => form.replaceWith(start) }, "Back");
      const form = el("form", { className: "admin-refund", "aria-label": label }, why, confirm, back);
      form.addEventListener("submit", async (event) => {
        event.preventDefault();
        await busy(confirm, message, () => action(why.value.trim()));
      });
      start.replaceWith(form);
      why.focus();
    });
    cell.append(start);
  }

  approval.addEventListener("submit", async (event) => {
    event.preventDefault();
    message.textContent = "";
    const ids = picks.filter((box) => box.checked).map((box) => box.value);
    if (!ids.length) {
      message.textContent = "Select the payouts to approve.";
      return;
    }
    const answer = await busy(approve, message, () => api.request("POST", "/api/admin/payouts/approve", { body: { ids, reason: reason.value.trim() } }));
    if (!answer) return;
    tell(`Approved ${answer.items.length} ${answer.items.length === 1 ? "payout" : "payouts"}: sent to the provider.`);
    reason.value = "";
    await load();
  });
  status.addEventListener("change", load);
  load();
  return section(
    "Payouts",
    field("Status", status),
    el("div", { className: "form-actions" }, el("button", { type: "button", className: "button-secondary button-small", onclick: load }, "Refresh")),
    table,
    approval,
    message
  );
}

// The terms ---------------------------------------------------------------------------------------

/**
 * A change of the terms that loosens them, waiting for a second member of finance (payouts/policy.py).
 * @typedef {{id: string, status: "waiting" | "approved" | "withdrawn" | "refused", proposed_by: string, proposed_at: string, reason: string, mine: boolean, changes: PayoutPolicy, terms: PayoutPolicy, loosens: string[], decided_by: string | null, decided_at: string | null, decision_reason: string | null}} Proposal
 */

/** @param {Api} api @param {(text: string) => void} tell */
function policyPanel(api, tell) {
  const hold = input({ type: "number", name: "hold_days", min: "0", max: "365", step: "1", required: true });
  const currencies = el("div", { className: "admin-payout-currencies" });
  const reason = input({ name: "reason", required: true, maxLength: 2000, autocomplete: "off" });
  const shown = el("p", { className: "card-note", dataset: { policy: "now" } });
  const message = errorLine();
  const publish = el("button", { type: "submit", className: "button-primary" }, "Publish policy");
  // The change waiting for approval, if one does: above the form, so that nobody edits the terms
  // without seeing what is about to change them.
  const waiting = el("div", { "aria-live": "polite" });
  /** @type {Map<string, Record<"COIN" | "USD_MICROS" | "minimum" | "auto", HTMLInputElement>>} currency -> its inputs */
  let inputs = new Map();

  /** @param {PayoutPolicy} policy */
  function fill(policy) {
    hold.value = String(policy.hold_days);
    shown.textContent = `Now: earnings held ${policy.hold_days} days; payouts in ${Object.keys(policy.rates).join(", ")}.`;
    inputs = new Map();
    currencies.replaceChildren(
      ...Object.entries(policy.rates).map(([currency, rates]) => {
        /** @param {number | undefined} value @param {string} min */
        const number = (value, min) => input({ type: "number", min, step: "1", value: value === undefined ? "" : String(value) });
        const parts = {
          COIN: number(rates.COIN, "1"),
          USD_MICROS: number(rates.USD_MICROS, "1"),
          minimum: number(policy.minimums[currency], "0"),
          auto: number(policy.auto_approve_below[currency], "0"),
        };
        inputs.set(currency, parts);
        const meaning = note("");
        /** @param {HTMLInputElement} part */
        const typed = (part) => (part.value ? Number(part.value) : undefined);
        const explain = () =>
          (meaning.textContent = means(currency, { COIN: typed(parts.COIN), USD_MICROS: typed(parts.USD_MICROS), minimum: Number(parts.minimum.value || 0), auto: Number(parts.auto.value || 0) }));
        for (const part of Object.values(parts)) part.addEventListener("input", explain);
        explain();
        return el(
          "fieldset",
          { className: "card studio-form", dataset: { currency } },
          el("legend", {}, currency),
          field(`Per million coins (${currency} minor units)`, parts.COIN),
          field(`Per million USD micros, a dollar of ad revenue (${currency} minor units)`, parts.USD_MICROS),
          field(`Minimum payout (${currency} minor units)`, parts.minimum),
          field(`Approved without finance below (${currency} minor units; 0: never)`, parts.auto),
          meaning
        );
      })
    );
  }

  /** @param {Proposal | undefined} proposal */
  function showProposal(proposal) {
    if (!proposal) {
      waiting.replaceChildren();
      return;
    }
    const errors = errorLine();
    const why = input({ name: "decision_reason", maxLength: 2000, autocomplete: "off" });
    /**
     * @param {string} label
     * @param {"approve" | "refuse" | "withdraw"} verb
     * @param {(answer: any) => string} said
     * @param {string} className
     */
    const decide = (label, verb, said, className) => {
      const button = el("button", { type: "button", className: `${className} button-small` }, label);
      button.addEventListener("click", async () => {
        errors.textContent = "";
        if (verb === "refuse" && !why.value.trim()) {
          errors.textContent = "Say why the change is refused.";
          why.focus();
          return;
        }
        const path = `/api/admin/payouts/policy/proposals/${encodeURIComponent(proposal.id)}/${verb}`;
        const answer = await busy(button, errors, () => api.request("POST", path, { body: { reason: why.value.trim() } }));
        if (!answer) return;
        tell(said(answer));
        await load();
      });
      return button;
    };
    const actions = proposal.mine
      ? [note("You proposed it: another member of finance approves or refuses it."), el("div", { className: "form-actions" }, decide("Withdraw", "withdraw", () => "Withdrew the proposed change of the payout terms.", "button-secondary"))]
      : [
          field("Reason for deciding (for the audit log; needed to refuse)", why),
          el(
            "div",
            { className: "form-actions" },
            decide("Approve change", "approve", (terms) => `Approved: earnings are held ${terms.hold_days} days; the new terms apply to payouts asked for from now on.`, "button-primary"),
            decide("Refuse change", "refuse", () => "Refused the proposed change: the terms in force stay as they are.", "button-secondary")
          ),
        ];
    const terms = proposal.terms;
    waiting.replaceChildren(
      el(
        "section",
        { className: "card studio-form", "aria-label": "Change waiting for approval", dataset: { proposalId: proposal.id } },
        el("h3", {}, "Change waiting for approval"),
        note(`Proposed by ${proposal.proposed_by} on ${formatDateTime(proposal.proposed_at)}: “${proposal.reason}”. It loosens the terms, so it applies only once another member of finance approves it.`),
        el("p", { className: "card-note" }, "What it loosens:"),
        el("ul", { dataset: { list: "loosens" } }, (proposal.loosens.length ? proposal.loosens : ["nothing any more (the terms in force were tightened since)"]).map((line) => el("li", {}, line))),
        note(`Approved now, earnings would be held ${terms.hold_days} days; payouts in ${Object.keys(terms.rates).join(", ")}.`),
        el(
          "ul",
          { dataset: { list: "terms" } },
          Object.entries(terms.rates).map(([currency, rates]) =>
            el("li", {}, `${currency}: ${means(currency, { COIN: rates.COIN, USD_MICROS: rates.USD_MICROS, minimum: terms.minimums[currency] ?? 0, auto: terms.auto_approve_below[currency] ?? 0 })}`)
          )
        ),
        ...actions,
        errors
      )
    );
  }

  async function load() {
    message.textContent = "";
    try {
      const [policy, proposals] = await Promise.all([api.request("GET", "/api/admin/payouts/policy"), api.request("GET", "/api/admin/payouts/policy/proposals")]);
      fill(policy);
      showProposal(proposals.items[0]);
    } catch (error) {
      message.textContent = errorMessage(error);
    }
  }

  const form = el(
    "form",
    { className: "admin-form studio-form", "aria-label": "Payout policy" },
    shown,
    note("Rates are what a million units of earnings pay, in the payout currency’s minor units (cents): 1,000,000 per million coins pays a cent a coin. New terms apply to payouts asked for from then on."),
    note("A change that loosens the terms (a higher rate, a higher approval limit, a shorter hold, a lower minimum) waits until another member of finance approves it; one that only tightens them applies at once. Payouts to staff always wait for finance."),
    field("Hold (days before earnings can be paid out)", hold),
    currencies,
    field("Reason", reason),
    message,
    el("div", { className: "form-actions" }, publish)
  );
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    message.textContent = "";
    /** @type {Record<string, Record<string, number>>} */
    const rates = {};
    /** @type {Record<string, number>} */
    const minimums = {};
    /** @type {Record<string, number>} */
    const autoApproveBelow = {};
    for (const [currency, parts] of inputs) {
      /** @type {Record<string, number>} */
      const paid = {};
      if (parts.COIN.value) paid.COIN = Number(parts.COIN.value);
      if (parts.USD_MICROS.value) paid.USD_MICROS = Number(parts.USD_MICROS.value);
      if (!Object.keys(paid).length) continue; // no rate: the platform stops paying in this currency
      rates[currency] = paid;
      minimums[currency] = Number(parts.minimum.value || 0);
      autoApproveBelow[currency] = Number(parts.auto.value || 0);
    }
    const body = { hold_days: Number(hold.value), rates, minimums, auto_approve_below: autoApproveBelow, reason: reason.value.trim() };
    const saved = await busy(publish, message, () => api.request("PUT", "/api/admin/payouts/policy", { body }));
    if (!saved) return;
    reason.value = "";
    if (saved.status === "waiting") {
      // 202: a proposal; the terms in force are unchanged.
      tell("Proposed: the change loosens the terms, so it waits for another member of finance to approve it. The terms in force are unchanged.");
      await load();
      return;
    }
    tell(`Published: earnings are held ${saved.hold_days} days; the new terms apply to payouts asked for from now on.`);
    fill(saved);
  });
  load();
  return section("Payout terms", waiting, form);
}

/**
 * A currency's terms in words: "100 coins pay $1.00 · $1.00 of ad revenue pays $1.00 · …".
 * @param {string} currency
 * @param {{COIN?: number, USD_MICROS?: number, minimum: number, auto: number}} terms a rate left out: not paid
 */
function means(currency, terms) {
  /** @param {number} minor */
  const money = (minor) => {
    try {
      return formatMoney(minor, currency);
    } catch {
      return `${minor} ${currency} minor units`;
    }
  };
  return [
    terms.COIN !== undefined ? `100 coins pay ${money((100 * terms.COIN) / 1_000_000)}` : "coins are not paid out",
    terms.USD_MICROS !== undefined ? `$1.00 of ad revenue pays ${money(terms.USD_MICROS)}` : "ad revenue is not paid out",
    `the least payout is ${money(terms.minimum)}`,
    terms.auto ? `payouts under ${money(terms.auto)} need no approval (but payouts to staff)` : "finance approves every payout",
  ].join(" · ");
}
