// The Money tab of /admin (payments/admin.py): the fee and the creators' commission per app and the
// platform's defaults, each from an effective time; coin packs and their prices per market; a
// person's money records with a refund for each; statements with a CSV download. What a staff
// member sees follows the acts of their role: money (terms, packs, statements), lookup, refund.
// @ts-check

import { errorMessage } from "./api.js";
import { busy } from "./console-ui.js";
import { el } from "./dom.js";
import { formatDateTime, formatMoney } from "./format.js";
import { STATEMENT_LINES } from "./statement-lines.js";

/** @typedef {import("./api.js").Api} Api */
/** @typedef {{key: string, amount: number, status: string, origin: string, coins_unrecovered: number, provider_ref: string | null, reason: string | null, last_error: string | null}} ProviderRefund */
/** @typedef {{item: string, kind: string, app_id: string | null, title: string, currency: string, paid: number, refunded: number, status: string, at: string, provider_refunds?: ProviderRefund[]}} MoneyItem */

// How a top-up's refund came about, as finance reads it.
const ORIGINS = /** @type {Record<string, string>} */ ({ platform: "refunded by staff", provider: "refunded at the provider", dispute: "disputed at the bank" });

const MONEY_ACTS = ["money", "lookup", "refund"];

/**
 * The tab's content, or null when the role may do none of it.
 * @param {Api} api
 * @param {string[]} acts
 * @param {(text: string) => void} tell
 * @returns {HTMLElement | null}
 */
export function moneyTab(api, acts, tell) {
  if (!MONEY_ACTS.some((act) => acts.includes(act))) return null;
  const may = (/** @type {string} */ act) => acts.includes(act);
  return el(
    "div",
    { className: "admin-money" },
    may("money") ? termsPanel(api, tell) : null,
    may("lookup") ? peoplePanel(api, tell, may("refund")) : null,
    may("money") ? statementsPanel(api) : null,
    may("money") ? packsPanel(api, tell) : null
  );
}

/** @param {string} id @param {string} title @param {...(Node | string | null)} children */
function panel(id, title, ...children) {
  return el("section", { className: "card admin-panel", "aria-labelledby": id }, el("h2", { className: "section-title", id }, title), ...children);
}

/** @param {string} id @param {string} label @param {Record<string, any>} [attributes] */
function field(id, label, attributes = {}) {
  const input = el("input", { className: "text-field", id, name: id, ...attributes });
  return { input, row: el("div", { className: "field" }, el("label", { for: id }, label), input) };
}

/** @param {number} bps */
function percentOf(bps) {
  return `${(bps / 100).toLocaleString(undefined, { maximumFractionDigits: 2 })} %`;
}

/** @param {string} value a percentage as typed, like "25" or "12.5" */
function bpsOf(value) {
  return Math.round(Number.parseFloat(value.replace(",", ".")) * 100);
}

// Terms ------------------------------------------------------------------------------------------

/** @param {Api} api @param {(text: string) => void} tell */
function termsPanel(api, tell) {
  const app = field("terms-app", "App id (empty: the platform’s defaults)", { autocomplete: "off" });
  const fee = field("terms-fee", "Platform fee (%)", { type: "number", min: "0", max: "100", step: "0.01", required: true });
  const commission = field("terms-commission", "Creator commission (% of the developer’s net)", { type: "number", min: "0", max: "100", step: "0.01", required: true });
  const when = field("terms-when", "Takes effect (empty: now; your local time)", { type: "datetime-local" });
  const reason = field("terms-reason", "Reason", { required: true, maxLength: 2000 });
  const shown = el("div", { className: "admin-terms-now", "aria-live": "polite" });
  const message = el("p", { className: "form-error", role: "alert" });

  async function load() {
    message.textContent = "";
    const appId = app.input.value.trim();
    try {
      const view = await api.request("GET", `/api/admin/money/terms${appId ? `?app_id=${encodeURIComponent(appId)}` : ""}`);
      const now = view.app || view.defaults;
      fee.input.value = String(now.fee_bps / 100);
      commission.input.value = String(now.creator_commission_bps / 100);
      shown.replaceChildren(
        el("p", { dataset: { terms: "now" } }, `${appId || "Platform defaults"}: fee ${percentOf(now.fee_bps)}, creator commission ${percentOf(now.creator_commission_bps)} now`),
        el(
          "ul",
          { className: "admin-terms-history" },
          now.history.map((/** @type {Record<string, any>} */ row) => el("li", {}, `${formatDateTime(row.effective_at)}: fee ${percentOf(row.fee_bps)}, commission ${percentOf(row.creator_commission_bps)} (by ${row.created_by})`))
        )
      );
    } catch (error) {
      message.textContent = errorMessage(error);
    }
  }

  const form = el(
    "form",
    { className: "admin-form", "aria-label": "Money terms" },
    app.row,
    el("div", { className: "form-actions" }, el("button", { type: "button", className: "button-secondary", onclick: load }, "Show terms")),
    shown,
    fee.row,
    commission.row,
    when.row,
    reason.row,
    message,
    el("div", { className: "form-actions" }, el("button", { type: "submit", className: "button-primary" }, "Save terms"))
  );
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    message.textContent = "";
    const appId = app.input.value.trim();
    const body = {
      app_id: appId || null,
      fee_bps: bpsOf(fee.input.value),
      creator_commission_bps: bpsOf(commission.input.value),
      effective_at: when.input.value ? new Date(when.input.value).toISOString() : null,
      reason: reason.input.value.trim(),
    };
    try {
      const saved = await api.request("POST", "/api/admin/money/terms", { body });
      tell(`Saved: ${appId || "the platform defaults"} pay a ${percentOf(saved.fee_bps)} fee from ${formatDateTime(saved.effective_at)}.`);
      reason.input.value = "";
      await load();
    } catch (error) {
      message.textContent = errorMessage(error);
    }
  });
  return panel("money-terms-title", "Fee and commission", form);
}

// People -----------------------------------------------------------------------------------------

/** @param {Api} api @param {(text: string) => void} tell @param {boolean} mayRefund */
function peoplePanel(api, tell, mayRefund) {
  const query = field("people-query", "Email or display name", { autocomplete: "off" });
  const app = field("people-app", "or app id", { autocomplete: "off" });
  const openid = field("people-openid", "and openid", { autocomplete: "off" });
  const found = el("ul", { className: "admin-people" });
  const records = el("div", { className: "admin-person", "aria-live": "polite" });
  const message = el("p", { className: "form-error", role: "alert" });

  /** @param {string} userId */
  async function open(userId) {
    try {
      const person = await api.request("GET", `/api/admin/money/people/${encodeURIComponent(userId)}`);
      records.replaceChildren(
        el("h3", {}, `${person.person.display_name} ${person.person.email ? `(${person.person.email})` : ""}`),
        el("p", { dataset: { balance: "" } }, `Wallet: ${person.balance} coins`),
        // A guest that signed in to an account: its coins, and what reaches it since, are there.
        ...(person.signed_in_to ? [el("p", { className: "card-note", dataset: { signedInTo: person.signed_in_to } }, "Signed in to an account, where its coins went: ", openButton(person.signed_in_to))] : []),
        ...[["Orders", person.orders], ["Unlocks", person.unlocks], ["Passes", person.passes], ["Top-ups", person.topups]].map(([title, items]) =>
          el("section", {}, el("h4", {}, title), items.length ? el("ul", { className: "admin-money-items" }, items.map((/** @type {MoneyItem} */ item) => moneyItem(item))) : el("p", { className: "card-note" }, "None."))
        )
      );
    } catch (error) {
      message.textContent = errorMessage(error);
    }
  }

  /** A button that opens another person's records. @param {string} userId */
  function openButton(userId) {
    const button = el("button", { type: "button", className: "button-secondary button-small" }, userId);
    button.addEventListener("click", () => open(userId));
    return button;
  }

  /** @param {MoneyItem} item */
  function moneyItem(item) {
    // Money in the currency's units ("paid 4999 USD" was $49.99, a probe, dev53); a top-up has no app.
    /** @param {number} amount */
    const amount = (amount) => (item.currency === "COIN" ? `${amount} coins` : formatMoney(amount, item.currency));
    const facts = [item.title, item.app_id, `paid ${amount(item.paid)}, refunded ${amount(item.refunded)}`, item.status, formatDateTime(item.at)];
    const row = el("li", { dataset: { item: item.item } }, facts.filter(Boolean).join(" · "));
    // Refunds the provider made unasked, coins the person had spent before they were taken back,
    // and refunds the provider has not answered yet (with why), which may be asked again.
    const told = (item.provider_refunds || []).filter((r) => r.origin !== "platform" || r.coins_unrecovered || r.status === "failed" || (r.status === "requested" && r.last_error));
    if (told.length) {
      row.append(
        el(
          "ul",
          { className: "admin-provider-refunds" },
          told.map((r) =>
            el(
              "li",
              { dataset: { origin: r.origin } },
              `${ORIGINS[r.origin] || r.origin}: ${r.amount} · ${r.status}${r.provider_ref ? ` · ${r.provider_ref}` : ""}${r.coins_unrecovered ? ` · ${r.coins_unrecovered} coins spent, not recovered` : ""}${r.status === "requested" && r.last_error ? ` · not answered: ${r.last_error}` : ""}`,
              mayRefund && r.status === "requested" ? askAgainForm(r, () => open(records.dataset.userId || "")) : null
            )
          )
        )
      );
    }
    if (mayRefund && item.paid > item.refunded) row.append(refundForm(item, () => open(records.dataset.userId || "")));
    return row;
  }

  /** @param {ProviderRefund} refund @param {() => void} done */
  function askAgainForm(refund, done) {
    const why = el("input", { className: "text-field", required: true, maxLength: 200, placeholder: "reason", "aria-label": `Reason for asking the provider again for ${refund.key}` });
    const form = el("form", { className: "admin-refund" }, why, el("button", { type: "submit", className: "button-secondary button-small" }, "Ask the provider again"));
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      try {
        await api.request("POST", `/api/admin/money/refunds/${encodeURIComponent(refund.key)}/retry`, { body: { reason: why.value.trim() } });
        tell(`Asked the provider again for the refund of ${refund.amount}.`);
        done();
      } catch (error) {
        message.textContent = errorMessage(error);
      }
    });
    return form;
  }

  /** @param {MoneyItem} item @param {() => void} done */
  function refundForm(item, done) {
    // One key per form: a second tap, or a retry after a lost answer, refunds once.
    const key = `admin-${crypto.randomUUID()}`;
    const amount = el("input", { className: "text-field", type: "number", min: "1", max: String(item.paid - item.refunded), placeholder: "all that is left", "aria-label": `Amount to refund of ${item.title}` });
    const why = el("input", { className: "text-field", required: true, maxLength: 200, placeholder: "reason", "aria-label": `Reason for refunding ${item.title}` });
    const button = el("button", { type: "submit", className: "button-secondary button-small" }, "Refund");
    const form = el("form", { className: "admin-refund" }, amount, why, button);
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      // The button waits for the answer: a double click sent the form twice, and the second answer
      // (the same key, nothing more refunded) replaced "Refunded 100" with "Refunded 0" (a probe).
      if (button.disabled) return;
      const body = { item: item.item, reason: why.value.trim(), idempotency_key: key, amount: amount.value ? Number(amount.value) : null };
      const done_ = await busy(button, message, () => api.request("POST", "/api/admin/money/refunds", { body }));
      if (!done_) return;
      tell(
        done_.amount
          ? `Refunded ${done_.amount} of ${item.title}: ${done_.refunded} of ${done_.paid} in all.`
          : `This refund was made already: ${done_.refunded} of ${done_.paid} of ${item.title} refunded in all.`
      );
      done();
    });
    return form;
  }

  const form = el(
    "form",
    { className: "admin-form", "aria-label": "Look a person up" },
    query.row,
    app.row,
    openid.row,
    message,
    el("div", { className: "form-actions" }, el("button", { type: "submit", className: "button-primary" }, "Look up"))
  );
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    message.textContent = "";
    const text = query.input.value.trim();
    const params = new URLSearchParams();
    if (app.input.value.trim() && openid.input.value.trim()) {
      params.set("app_id", app.input.value.trim());
      params.set("openid", openid.input.value.trim());
    } else if (text.includes("@")) params.set("email", text);
    else params.set("name", text);
    try {
      const answer = await api.request("GET", `/api/admin/money/people?${params}`);
      found.replaceChildren(
        ...answer.items.map((/** @type {Record<string, any>} */ person) =>
          el("li", {}, el("button", { type: "button", className: "button-secondary button-small", onclick: () => { records.dataset.userId = person.user_id; open(person.user_id); } }, `${person.display_name}${person.email ? ` · ${person.email}` : ""}`))
        )
      );
      if (!answer.items.length) found.replaceChildren(el("li", { className: "card-note" }, "Nobody found."));
    } catch (error) {
      message.textContent = errorMessage(error);
    }
  });
  return panel("money-people-title", "People and their money", form, found, records);
}

// Statements -------------------------------------------------------------------------------------

// The statement's lines (statement-lines.js), gross split by what was sold, and the ad revenue.
const [GROSS, ...AFTER_GROSS] = STATEMENT_LINES.map(([name, , heading]) => [name, heading]);
const STATEMENT_COLUMNS = [
  GROSS,
  ["purchases_gross", "Purchases"],
  ["unlocks_gross", "Unlocks"],
  ["passes_gross", "Passes"],
  ...AFTER_GROSS,
  ["ad_revenue", "Ad revenue (USD micros)"],
  ["ad_commission", "Ad commission"],
  ["ad_net", "Ad net"],
];

/** @param {Api} api */
function statementsPanel(api) {
  const owner = field("statement-owner", "App id, or developer id", { autocomplete: "off", required: true });
  const today = new Date();
  const monthAgo = new Date(today.getTime() - 30 * 24 * 3600 * 1000);
  const from = field("statement-from", "From", { type: "date", value: monthAgo.toISOString().slice(0, 10), required: true });
  const to = field("statement-to", "Until (included)", { type: "date", value: today.toISOString().slice(0, 10), required: true });
  const table = el("div", { className: "admin-statement" });
  const message = el("p", { className: "form-error", role: "alert" });
  const byDeveloper = el("input", { type: "checkbox", id: "statement-developer" });

  function query(format = "json") {
    const end = new Date(`${to.input.value}T00:00:00Z`);
    end.setUTCDate(end.getUTCDate() + 1);
    const params = new URLSearchParams({ start: `${from.input.value}T00:00:00Z`, end: end.toISOString(), format });
    params.set(byDeveloper.checked ? "developer_id" : "app_id", owner.input.value.trim());
    return `/api/admin/money/statements?${params}`;
  }

  const form = el(
    "form",
    { className: "admin-form", "aria-label": "Statement" },
    owner.row,
    el("div", { className: "field" }, el("label", { for: "statement-developer" }, byDeveloper, " It is a developer id (all their apps)")),
    from.row,
    to.row,
    message,
    el("div", { className: "form-actions" }, el("button", { type: "submit", className: "button-primary" }, "Show statement"))
  );
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    message.textContent = "";
    try {
      const statement = await api.request("GET", query());
      const rows = [...statement.lines, statement.total];
      table.replaceChildren(
        el(
          "table",
          { className: "admin-table" },
          el("thead", {}, el("tr", {}, el("th", {}, "App"), STATEMENT_COLUMNS.map(([, label]) => el("th", { scope: "col" }, label)))),
          el("tbody", {}, rows.map((line) => el("tr", {}, el("th", { scope: "row" }, line.app_id), STATEMENT_COLUMNS.map(([name]) => el("td", { dataset: { column: name } }, String(line[name]))))))
        ),
        el("a", { className: "button-secondary", href: query("csv"), download: "statement.csv" }, "Download CSV")
      );
    } catch (error) {
      message.textContent = errorMessage(error);
    }
  });
  return panel("money-statements-title", "Statements", form, table);
}

// Coin packs -------------------------------------------------------------------------------------

/** @param {Record<string, {currency: string, amount: number}>} prices */
function pricesText(prices) {
  return Object.entries(prices).map(([market, price]) => `${market} ${price.currency} ${price.amount}`).join(", ");
}

/** @param {string} text "US USD 499, EU EUR 499" */
function pricesOf(text) {
  /** @type {Record<string, {currency: string, amount: number}>} */
  const prices = {};
  for (const part of text.split(",").map((s) => s.trim()).filter(Boolean)) {
    const [market, currency, amount] = part.split(/\s+/);
    prices[market.toUpperCase()] = { currency: (currency || "").toUpperCase(), amount: Number(amount) };
  }
  return prices;
}

/** @param {Api} api @param {(text: string) => void} tell */
function packsPanel(api, tell) {
  const list = el("div", { className: "admin-packs" });
  const message = el("p", { className: "form-error", role: "alert" });

  /** @param {Record<string, any>} pack */
  function packForm(pack) {
    // Each field labelled on screen, and a reason the member writes for the audit log: the fields
    // had only aria-labels, and every change was logged "edited in /admin" (a probe).
    const id = (/** @type {string} */ name) => `pack-${pack.id}-${name}`;
    const coins = field(id("coins"), "Coins", { name: "coins", type: "number", min: "1", value: String(pack.coins) });
    const bonus = field(id("bonus"), "Bonus coins", { name: "bonus_coins", type: "number", min: "0", value: String(pack.bonus_coins) });
    const prices = field(id("prices"), "Prices: market, currency, amount", { name: "prices", value: pricesText(pack.prices) });
    const reason = field(id("reason"), "Why (for the audit log)", { name: "reason", required: true, maxLength: 2000 });
    const active = el("input", { type: "checkbox", id: id("active"), name: "active", checked: pack.active });
    const onSale = el("div", { className: "field-check" }, active, el("label", { for: id("active") }, "On sale"));
    const save = el("button", { type: "submit", className: "button-secondary button-small" }, "Save");
    const said = el("p", { className: "form-error", role: "alert" });
    const form = el(
      "form",
      { className: "admin-pack", dataset: { pack: pack.id }, "aria-label": `Pack ${pack.id}` },
      el("h3", { className: "admin-pack-title" }, pack.id),
      coins.row,
      bonus.row,
      prices.row,
      onSale,
      reason.row,
      save,
      said
    );
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      if (save.disabled) return;
      const body = {
        coins: Number(coins.input.value),
        bonus_coins: Number(bonus.input.value),
        prices: pricesOf(prices.input.value),
        active: active.checked,
        sort: pack.sort,
        reason: reason.input.value.trim(),
      };
      const saved = await busy(save, said, () => api.request("PUT", `/api/admin/money/packs/${encodeURIComponent(pack.id)}`, { body }));
      if (!saved) return;
      reason.input.value = "";
      tell(`Saved pack ${pack.id}.`);
    });
    return form;
  }

  api
    .request("GET", "/api/admin/money/packs")
    .then((answer) => list.replaceChildren(...answer.items.map(packForm)))
    .catch((error) => {
      message.textContent = errorMessage(error);
    });
  return panel("money-packs-title", "Coin packs", el("p", { className: "card-note" }, "Prices per market: market, currency, amount in minor units, e.g. “US USD 499, JP JPY 800”. A top-up opened at an old price is refused and shown the new one."), message, list);
}
