// A payee's payouts, one panel for both kinds of payee (payouts/api.py): a developer's in the
// console (/api/developer/payouts: the earnings of the apps they own) and a creator's on the Me
// screen (/api/creator/payouts: their commissions). It shows the earnings per currency (held,
// withdrawable, in a payout, paid), the payout account, a payout asked for in two steps (a quote,
// then a confirmation of exactly what was quoted) and the payouts made, with Cancel while finance
// has not approved one yet.
// @ts-check

import { errorMessage } from "./api.js";
import { el } from "./dom.js";
import { coinsLabel, formatDateTime, formatMoney, formatUsdMicros } from "./format.js";
import { busy, errorLine, field, input, note, select, uid } from "./console-ui.js";

/**
 * The page's request function: Api.request (api.js), with its cookie session and CSRF token.
 * @typedef {(method: string, path: string, options?: {body?: unknown}) => Promise<any>} Request
 */
/**
 * @typedef {{currency: string, balance: number, pending: number, withdrawable: number, in_payout: number, paid: number, hold_days: number, owed?: number}} Earnings
 * @typedef {{id: string, provider: string, destination: string, currency: string, holder: string}} PayoutAccount
 * @typedef {{hold_days: number, rates: Record<string, Record<string, number>>, minimums: Record<string, number>, auto_approve_below: Record<string, number>}} PayoutPolicy
 * @typedef {{id: string, payee: string, payee_name?: string | null, status: string, source_currency: string, source_amount: number, currency: string, amount: number,
 *   destination: string | null, reason: string | null, last_error: string | null, created_at: string}} Payout
 * @typedef {{earnings: Earnings[], account: PayoutAccount | null, provider: string | null, policy: PayoutPolicy, items: Payout[]}} Overview
 * @typedef {{source_currency: string, source_amount: number, currency: string, amount: number, rate: number, minimum: number, repaid?: number}} Quote
 */

const SOURCE_NAMES = { COIN: "Coins", USD_MICROS: "Ad revenue" };
const FIGURES = [
  ["pending", "Pending"],
  ["withdrawable", "Withdrawable"],
  ["in_payout", "In payout"],
  ["paid", "Paid"],
];
// Shown only when there is some: a creator's commission the platform gave back for them on refunds
// after it was paid out; their next payout gives it back first (withdrawable is net of it).
const OWED = ["owed", "Owed for refunds"];
const STATUSES = {
  requested: "Waiting for approval",
  in_transit: "On its way",
  paid: "Paid",
  failed: "Failed",
  rejected: "Rejected",
  canceled: "Canceled",
};
// A confirmation that cannot be sent again as it is: the payout or the earnings changed since the quote.
const STALE = ["PAYOUT_CHANGED", "NOT_WITHDRAWABLE", "PAYOUT_BELOW_MINIMUM", "IDEMPOTENCY_CONFLICT"];

/**
 * An amount of earnings: coins, or ad revenue kept in millionths of a dollar.
 * @param {number} amount
 * @param {string} source COIN or USD_MICROS
 */
export function earningsAmount(amount, source) {
  return source === "USD_MICROS" ? formatUsdMicros(amount) : coinsLabel(amount);
}

/** A payout's status in words. @param {string} status */
export function statusLabel(status) {
  return STATUSES[/** @type {keyof typeof STATUSES} */ (status)] || status;
}

/** @param {string} source */
function sourceName(source) {
  return SOURCE_NAMES[/** @type {keyof typeof SOURCE_NAMES} */ (source)] || source;
}

/**
 * The panel, "Loading…" until `load()` (called again by its Refresh button and after each change).
 * @param {string} base the payee's routes: "/api/developer/payouts" or "/api/creator/payouts"
 * @param {Request} request
 * @param {{title?: string, className?: string}} [options]
 * @returns {{element: HTMLElement, load: () => Promise<void>}}
 */
export function payoutsPanel(base, request, { title = "Payouts", className = "" } = {}) {
  const titleId = uid("payouts-title");
  const element = el("section", { className: `card payouts ${className}`.trim(), "aria-labelledby": titleId });
  const refresh = el("button", { type: "button", className: "button-secondary button-small", "aria-label": "Refresh payouts" }, "Refresh");
  const header = el("div", { className: "card-header" }, el("h3", { className: "card-title", id: titleId }, title), refresh);
  const done = el("p", { className: "card-note", role: "status" }); // what the last change did, kept over the redraw after it
  const problem = errorLine();
  element.append(header, note("Loading…"));

  async function load() {
    problem.textContent = "";
    try {
      draw(await request("GET", base));
    } catch (error) {
      element.replaceChildren(header, problem);
      problem.textContent = errorMessage(error);
    }
  }
  refresh.addEventListener("click", () => busy(refresh, problem, load));

  /** @param {Overview} overview */
  function draw(overview) {
    element.replaceChildren(header, ...overview.earnings.map(balances), holdNote(overview.policy), done, problem, accountForm(overview), requestForm(overview), payoutList(overview.items));
  }

  /** @param {Earnings} earnings */
  function balances(earnings) {
    const name = sourceName(earnings.currency);
    return el(
      "dl",
      { className: "earnings-balances payout-balances", dataset: { currency: earnings.currency }, "aria-label": `${name} to pay out` },
      [...FIGURES, ...(earnings.owed ? [OWED] : [])].map(([key, label]) => {
        const value = Number(earnings[/** @type {keyof Earnings} */ (key)]);
        return el("div", {}, el("dt", {}, `${name} · ${label}`), el("dd", { dataset: { figure: key, value: String(value) } }, earningsAmount(value, earnings.currency)));
      })
    );
  }

  /** @param {PayoutPolicy} policy */
  function holdNote({ hold_days: days }) {
    if (days === 0) return note("Earnings can be paid out as soon as they are made.");
    return note(`Earnings wait ${days} ${days === 1 ? "day" : "days"} before they can be paid out, so refunds can come out of them.`);
  }

  /** Where payouts go: the provider's account, its currency and holder. @param {Overview} overview */
  function accountForm({ account, provider, policy }) {
    const currencies = Object.keys(policy.rates);
    const destination = input({ name: "destination", required: true, maxLength: 128, autocomplete: "off", spellcheck: false, value: account?.destination || "" });
    const currency = select("currency", currencies.map((code) => [code, code]), account?.currency || currencies[0]);
    const holder = input({ name: "holder", required: true, maxLength: 120, autocomplete: "name", value: account?.holder || "" });
    const message = errorLine();
    const save = el("button", { type: "submit", className: "button-secondary", disabled: !provider }, account ? "Change account" : "Add account");
    const form = el(
      "form",
      { className: "studio-form console-form", "aria-label": "Payout account" },
      el("h4", { className: "card-title" }, "Payout account"),
      account
        ? note(`Payouts go to ${account.destination} (${account.currency}, in the name of ${account.holder}) through ${account.provider}.`)
        : note("No payout account yet: add one to ask for a payout."),
      provider ? note(`New accounts are opened with ${provider}.`) : note("This platform has no payout provider set up yet."),
      field("Destination", destination, provider ? `Your account at ${provider}.` : undefined),
      field("Currency", currency),
      field("Account holder", holder),
      message,
      el("div", { className: "form-actions" }, save)
    );
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      const body = { destination: destination.value.trim(), currency: currency.value, holder: holder.value.trim() };
      const saved = await busy(save, message, () => request("PUT", `${base}/account`, { body }));
      if (!saved) return;
      done.textContent = `Payouts now go to ${saved.destination}.`;
      await load();
    });
    return form;
  }

  /** A payout in two steps: a quote, then a confirmation of exactly that amount. @param {Overview} overview */
  function requestForm({ earnings, account }) {
    const source = select("source", earnings.map((item) => [item.currency, `${sourceName(item.currency)} (${earningsAmount(item.withdrawable, item.currency)} withdrawable)`]));
    const amount = input({ type: "number", name: "amount", min: 1, step: 1, inputMode: "numeric" });
    const message = errorLine();
    const quoteButton = el("button", { type: "submit", className: "button-secondary", disabled: !account }, "Quote");
    const quoted = el("div", { className: "payout-quote", "aria-live": "polite" });

    function forget() {
      quoted.replaceChildren();
    }
    function placeholder() {
      const withdrawable = earnings.find((item) => item.currency === source.value)?.withdrawable ?? 0;
      amount.placeholder = `All withdrawable: ${earningsAmount(withdrawable, source.value)}`;
      forget();
    }
    source.addEventListener("change", placeholder);
    amount.addEventListener("input", forget);
    placeholder();

    /** @param {Quote} quote @param {Record<string, unknown>} body what Confirm sends, every time */
    function confirmation(quote, body) {
      const confirm = el("button", { type: "button", className: "button-primary" }, "Confirm payout");
      confirm.addEventListener("click", async () => {
        // The same idempotency key on every try of this confirmation: a retry after a lost answer
        // is the same payout. An answer that the payout or the earnings changed asks for a new quote.
        let stale = false;
        const send = () =>
          request("POST", base, { body }).catch((error) => {
            stale = STALE.includes(error?.code);
            throw error;
          });
        const made = await busy(confirm, message, send);
        if (made) {
          done.textContent = `Payout of ${formatMoney(made.amount, made.currency)} requested: ${statusLabel(made.status).toLowerCase()}.`;
          await load();
        } else if (stale) forget();
      });
      quoted.replaceChildren(
        el("p", { className: "studio-lead payout-receive", dataset: { amount: String(quote.amount), currency: quote.currency } }, `You will receive ${formatMoney(quote.amount, quote.currency)}`),
        note(`For ${earningsAmount(quote.source_amount, quote.source_currency)} of your earnings${account ? `, paid to ${account.destination}` : ""}.`),
        quote.repaid
          ? note(`First, ${earningsAmount(quote.repaid, quote.source_currency)} of your earnings go back to the platform: the commission it gave back for you on refunds of sales it had already paid you for.`)
          : "",
        el("div", { className: "form-actions" }, confirm)
      );
    }

    const form = el(
      "form",
      { className: "studio-form console-form", "aria-label": "Request payout", novalidate: true },
      el("h4", { className: "card-title" }, "Request payout"),
      account ? null : note("Add a payout account first."),
      field("From", source),
      field("Amount", amount, "In coins for coin earnings, in millionths of a dollar for ad revenue; empty: all that is withdrawable."),
      message,
      el("div", { className: "form-actions" }, quoteButton),
      quoted
    );
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      forget();
      const units = amount.value ? Number(amount.value) : null;
      /** @type {Quote | undefined} */
      const quote = await busy(quoteButton, message, () => request("POST", `${base}/quote`, { body: { source: source.value, amount: units } }));
      if (quote) confirmation(quote, { source: source.value, amount: units, expect: quote.amount, idempotency_key: crypto.randomUUID() });
    });
    return form;
  }

  /** @param {Payout[]} items */
  function payoutList(items) {
    const heading = el("h4", { className: "card-title" }, "Your payouts");
    const list = items.length ? el("ul", { className: "conversion-list payout-list", "aria-label": "Your payouts" }, items.map(payoutItem)) : note("No payouts yet.");
    return el("div", { className: "studio-form" }, heading, list);
  }

  /** @param {Payout} payout */
  function payoutItem(payout) {
    const money = formatMoney(payout.amount, payout.currency);
    const why = payout.reason || payout.last_error;
    const message = errorLine();
    const cancel = payout.status === "requested" ? el("button", { type: "button", className: "button-secondary button-small", "aria-label": `Cancel the payout of ${money}` }, "Cancel") : null;
    cancel?.addEventListener("click", async () => {
      if (!(await busy(cancel, message, () => request("POST", `${base}/${encodeURIComponent(payout.id)}/cancel`)))) return;
      done.textContent = `The payout of ${money} is canceled: its earnings are withdrawable again.`;
      await load();
    });
    return el(
      "li",
      { className: "conversion payout-item", dataset: { payoutId: payout.id, status: payout.status } },
      el(
        "div",
        { className: "conversion-text" },
        el("p", { className: "conversion-what" }, `${money} · `, el("span", { className: "payout-status" }, statusLabel(payout.status))),
        el("p", { className: "conversion-detail" }, `${earningsAmount(payout.source_amount, payout.source_currency)}${payout.destination ? ` to ${payout.destination}` : ""} · asked ${formatDateTime(payout.created_at)}`),
        why ? el("p", { className: "conversion-detail payout-why" }, why) : null,
        message
      ),
      cancel
    );
  }

  return { element, load };
}
