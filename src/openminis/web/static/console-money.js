// An app's money: its products (type, price in coins, a title per language), the terms that
// apply (the platform's fee and the creators' commission, set by the operator), where payment
// notifications go, and the log of their deliveries with a resend.
// @ts-check

import { el } from "./dom.js";
import { formatDateTime } from "./format.js";
import { bpsPercent, busy, card, errorLine, field, input, may, note, select } from "./console-ui.js";
import { payoutsPointer } from "./console-payouts.js";
import { STATEMENT_LINES } from "./statement-lines.js";

/** @typedef {import("./console-versions.js").Context} Context */
/** @typedef {{id: string, type: string, price: number, title: Record<string, string>}} Product */

/**
 * @param {Context} context
 * @returns {Promise<Node[]>}
 */
export async function moneyScreen(context) {
  const { api, app } = context;
  const [products, settings, deliveries] = await Promise.all([api.consoleProducts(app.app_id), api.paymentSettings(app.app_id), api.deliveries(app.app_id)]);
  return [termsCard(settings), payoutsPointer(), statementCard(context), productsCard(context, products.items), notifyCard(context, settings), deliveryCard(context, deliveries.items)];
}

/**
 * The app's statement for a period, every figure the ledger's own sum, and its CSV.
 * @param {Context} context
 */
function statementCard(context) {
  const { api, app } = context;
  const today = new Date().toISOString().slice(0, 10);
  const from = input({ type: "date", value: `${today.slice(0, 8)}01` });
  const to = input({ type: "date", value: today });
  const shown = el("dl", { className: "console-facts" });
  const problem = errorLine();
  const csv = el("a", { className: "button-secondary", download: "statement.csv" }, "Download CSV");
  function path(format = "json") {
    const end = new Date(`${to.value}T00:00:00Z`);
    end.setUTCDate(end.getUTCDate() + 1);
    const query = new URLSearchParams({ start: `${from.value}T00:00:00Z`, end: end.toISOString(), format });
    return `/api/developer/apps/${encodeURIComponent(app.app_id)}/statement?${query}`;
  }
  async function load() {
    problem.textContent = "";
    try {
      const line = (await api.request("GET", path())).total;
      csv.href = path("csv");
      const facts = [...STATEMENT_LINES.map(([key, label]) => [label, line[key]]), ["Ad net (USD micros)", line.ad_net]];
      shown.replaceChildren(...facts.flatMap(([label, value]) => [el("dt", {}, String(label)), el("dd", {}, String(value))]));
    } catch (error) {
      problem.textContent = String(/** @type {Error} */ (error).message);
    }
  }
  return card("Statement", field("From", from), field("Until (included)", to), el("button", { type: "button", className: "button-secondary", onclick: load }, "Show statement"), problem, shown, csv);
}

/** @param {{fee_bps: number, creator_commission_bps: number}} settings */
function termsCard(settings) {
  return card(
    "Fee and commission",
    el(
      "dl",
      { className: "console-facts" },
      el("dt", {}, "Platform fee"),
      el("dd", { dataset: { term: "fee" } }, `${bpsPercent(settings.fee_bps)} of each payment`),
      el("dt", {}, "Creator commission"),
      el("dd", { dataset: { term: "commission" } }, `${bpsPercent(settings.creator_commission_bps)} of your net, when a creator's post brought the person`)
    ),
    note("Both are set by the platform's operator.")
  );
}

/**
 * @param {Context} context
 * @param {Product[]} products
 */
function productsCard(context, products) {
  const { api, app } = context;
  const editable = may(app.role, "sell");
  const editor = el("div", { className: "product-editor" });
  const table = el(
    "table",
    { className: "data-table", "aria-label": "Products" },
    el("thead", {}, el("tr", {}, ["Product", "Type", "Price", "Titles", editable ? "" : null].filter((head) => head !== null).map((head) => el("th", { scope: "col" }, head)))),
    el(
      "tbody",
      {},
      products.map((product) =>
        el(
          "tr",
          { dataset: { product: product.id } },
          el("th", { scope: "row", className: "mono" }, product.id),
          el("td", {}, product.type),
          el("td", {}, `${product.price.toLocaleString()} coins`),
          el("td", {}, Object.entries(product.title).map(([language, title]) => el("div", {}, el("span", { className: "mono" }, language), ` ${title}`))),
          editable ? el("td", {}, el("button", { type: "button", className: "button-secondary button-small", onclick: () => edit(product) }, "Edit")) : null
        )
      )
    )
  );

  /** @param {Product | null} product */
  function edit(product) {
    editor.replaceChildren(productForm(context, product));
    editor.querySelector("input")?.focus();
  }

  return card(
    "Products",
    products.length ? el("div", { className: "table-scroll" }, table) : note("Nothing on sale yet. Products in minis.json are put on sale when the version is released."),
    editable ? el("button", { type: "button", className: "button-secondary", onclick: () => edit(null) }, "New product") : null,
    editor
  );
}

/**
 * A product's form: id (fixed once made), type, price and a title per language.
 * @param {Context} context
 * @param {Product | null} product
 */
function productForm(context, product) {
  const { api, app } = context;
  const id = input({ name: "product_id", required: true, maxLength: 64, pattern: "[A-Za-z0-9_.\\-]+", value: product?.id || "", readOnly: Boolean(product), spellcheck: false });
  const type = select(
    "type",
    [
      ["consumable", "Consumable (bought again and again)"],
      ["permanent", "Permanent (bought once)"],
    ],
    product?.type || "consumable"
  );
  const price = input({ type: "number", name: "price", required: true, min: 1, max: 1_000_000, step: 1, inputMode: "numeric", value: product ? String(product.price) : "" });
  const titles = el("div", { className: "title-rows", role: "group", "aria-label": "Titles per language" });
  const message = errorLine();

  /** @param {string} language @param {string} title */
  function titleRow(language, title) {
    const languageInput = input({ name: "language", required: true, maxLength: 16, value: language, "aria-label": "Language", placeholder: "en", className: "text-field title-language" });
    const titleInput = input({ name: "title", required: true, maxLength: 80, value: title, "aria-label": "Title", className: "text-field" });
    const row = el("div", { className: "title-row" }, languageInput, titleInput);
    row.append(el("button", { type: "button", className: "button-secondary button-small", "aria-label": "Remove this language", onclick: () => titles.children.length > 1 && row.remove() }, "×"));
    titles.append(row);
  }
  for (const [language, title] of Object.entries(product?.title || { en: "" })) titleRow(language, title);

  const save = el("button", { type: "submit", className: "button-primary" }, product ? "Save" : "Add product");
  const retire = product ? el("button", { type: "button", className: "button-secondary" }, "Take off sale") : null;
  const form = el(
    "form",
    { className: "console-form", "aria-label": product ? `Edit ${product.id}` : "New product" },
    field("Product id", id, product ? undefined : "Letters, digits, '_', '.' or '-': the id your game asks for."),
    field("Type", type),
    field("Price in coins", price),
    el("div", { className: "field" }, el("span", { className: "field-label" }, "Title per language"), titles, el("button", { type: "button", className: "button-secondary button-small", onclick: () => titleRow("", "") }, "Add a language")),
    message,
    el("div", { className: "form-actions" }, save, retire)
  );
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    /** @type {Record<string, string>} */
    const title = {};
    for (const row of titles.querySelectorAll(".title-row")) {
      const [language, text] = [...row.querySelectorAll("input")].map((control) => control.value.trim());
      if (language) title[language] = text;
    }
    const saved = await busy(save, message, () => api.putProduct(app.app_id, id.value.trim(), { type: type.value, price: Number(price.value), title }));
    if (saved) context.reload();
  });
  retire?.addEventListener("click", async () => {
    const done = await busy(retire, message, () => api.retireProduct(app.app_id, id.value));
    if (done) context.reload();
  });
  return form;
}

/**
 * @param {Context} context
 * @param {{notify_url: string | null}} settings
 */
function notifyCard(context, settings) {
  const { api, app } = context;
  if (!may(app.role, "notify")) {
    return card("Notify URL", el("p", { className: "mono notify-url" }, settings.notify_url || "Not set: paid and refunded orders are not sent anywhere."));
  }
  const url = input({ type: "url", name: "notify_url", maxLength: 500, value: settings.notify_url || "", placeholder: "https://your-backend.example/minis/notify", spellcheck: false });
  const message = errorLine();
  const saved = el("p", { className: "card-note", role: "status" });
  const save = el("button", { type: "submit", className: "button-primary" }, "Save");
  const form = el("form", { className: "console-form" }, field("Notify URL", url, "Paid and refunded orders are sent here, signed with the app secret. https, to a public address; empty: none."), message, saved, save);
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const answer = await busy(save, message, () => api.setNotifyUrl(app.app_id, url.value.trim() || null));
    if (answer) saved.textContent = answer.notify_url ? "Saved." : "Saved: notifications go nowhere.";
  });
  return card("Notify URL", form);
}

/**
 * @param {Context} context
 * @param {any[]} attempts
 */
function deliveryCard(context, attempts) {
  const { api, app } = context;
  const resendable = may(app.role, "notify");
  const message = errorLine();
  const done = el("p", { className: "card-note", role: "status" });
  const rows = attempts.map((attempt) => {
    const outcome = attempt.status_code ? `HTTP ${attempt.status_code}` : attempt.error || "no answer";
    const resend = resendable ? el("button", { type: "button", className: "button-secondary button-small" }, "Resend") : null;
    resend?.addEventListener("click", async () => {
      const queued = await busy(resend, message, () => api.resend(app.app_id, attempt.event_id));
      if (queued) done.textContent = `${attempt.event_id} is being sent again.`;
    });
    return el(
      "tr",
      { dataset: { event: attempt.event_id } },
      el("th", { scope: "row" }, formatDateTime(attempt.at)),
      el("td", {}, attempt.event_type, attempt.order_id ? el("div", { className: "mono card-note" }, attempt.order_id) : null),
      el("td", {}, `#${attempt.attempt}`),
      el("td", { className: attempt.status_code && attempt.status_code < 300 ? "delivered" : "undelivered" }, outcome),
      el("td", {}, `${attempt.duration_ms} ms`),
      el("td", {}, attempt.next_attempt_at ? formatDateTime(attempt.next_attempt_at) : "–"),
      resendable ? el("td", {}, resend) : null
    );
  });
  const heads = ["When", "Event", "Try", "Answer", "Took", "Next try", resendable ? "" : null].filter((head) => head !== null);
  return card(
    "Deliveries",
    attempts.length
      ? el(
          "div",
          { className: "table-scroll" },
          el("table", { className: "data-table", "aria-label": "Delivery log" }, el("thead", {}, el("tr", {}, heads.map((head) => el("th", { scope: "col" }, head)))), el("tbody", {}, rows))
        )
      : note("No notifications sent yet."),
    message,
    done,
    el("button", { type: "button", className: "button-secondary button-small", onclick: () => context.reload() }, "Refresh")
  );
}
