// The pay sheet: what minis.pay() shows. The host draws it above the app, so the person sees
// the real price, their real balance and who is asking, and nothing is charged until they tap
// "Pay" here. The app only learns the outcome.
//
// One pay() call is one idempotency key: if the confirm is retried after a network error, the
// platform returns the same order instead of charging twice.
//
// The confirm carries the amount the sheet showed. If the developer changed the price while the
// sheet was open, the platform answers PRICE_CHANGED with the new price and charges nothing; the
// sheet then shows the new price, and only a new tap on it pays.
//
// Coupons: the sheet lists the person's coupons for the product (the best first, chosen), shows
// the list price, the coupon's discount and what they pay; a tap pays that, with the coupon. A
// coupon that can no longer be used (used up, ended) is refused with nothing charged, and the
// sheet shows the coupons that are left.
// @ts-check

import { errorMessage } from "./api.js";
import { appIcon } from "./app-tile.js";
import { BridgeError } from "./bridge.js";
import { el } from "./dom.js";
import { randomHex } from "./ids.js";
import { armLater, whileBusy } from "./sheets.js";
import { TopUpFlow } from "./topup.js";
import { coinAmount, coinsLabel, formatCoins } from "./wallet.js";

const PRODUCT_ID = /^(?!\.+$)[A-Za-z0-9_.-]{1,64}$/; // the manifest's ids: not dots alone
const ORDER_ID = /^[A-Za-z0-9_-]{1,32}$/;
// Refusals the app may branch on; anything else the platform says becomes INTERNAL.
const REFUSALS = new Set(["NOT_FOUND", "INVALID_ARGUMENT", "ALREADY_OWNED", "INSUFFICIENT_FUNDS", "PRICE_CHANGED", "NETWORK_ERROR"]);
const COUPON_REFUSALS = new Set(["COUPON_USED_UP", "COUPON_EXHAUSTED", "COUPON_ENDED", "COUPON_EXPIRED", "COUPON_NOT_APPLICABLE", "COUPON_NOT_FOUND"]);

function mintKey() {
  return "pay-" + randomHex(16);
}

/**
 * `{productId, quantity, payload}` or `{orderId}`, checked: a frame can post anything.
 * @param {Record<string, any>} params
 * @returns {{orderId: string, productId?: undefined} | {productId: string, quantity: number, payload: string, orderId?: undefined}}
 */
export function payRequest(params) {
  if (params.orderId !== undefined) {
    if (typeof params.orderId !== "string" || !ORDER_ID.test(params.orderId) || params.productId !== undefined) {
      throw new BridgeError("INVALID_ARGUMENT", "orderId: an order id from your backend, without productId");
    }
    return { orderId: params.orderId };
  }
  const { productId, quantity = 1, payload = "" } = params;
  if (typeof productId !== "string" || !PRODUCT_ID.test(productId)) {
    throw new BridgeError("INVALID_ARGUMENT", "productId: 1-64 characters of A-Z a-z 0-9 _ . -");
  }
  if (!Number.isInteger(quantity) || quantity < 1 || quantity > 99) {
    throw new BridgeError("INVALID_ARGUMENT", "quantity: a whole number from 1 to 99");
  }
  if (typeof payload !== "string" || payload.length > 1024) {
    throw new BridgeError("INVALID_ARGUMENT", "payload: a string of at most 1024 characters");
  }
  return { productId, quantity, payload };
}

/**
 * A product's title in the host's language: exact locale, its language, English, or the first.
 * @param {Record<string, string> | null | undefined} titles
 * @param {string} [locale]
 * @returns {string}
 */
export function localTitle(titles, locale = navigator.language) {
  const entries = Object.entries(titles || {});
  if (entries.length === 0) return "";
  const wanted = locale.toLowerCase();
  const language = wanted.split("-")[0];
  /** @param {(key: string) => boolean} test */
  const find = (test) => entries.find(([key]) => test(key.toLowerCase()))?.[1];
  return (
    find((key) => key === wanted) ??
    find((key) => key === language) ??
    find((key) => key.split("-")[0] === language) ??
    find((key) => key === "en") ??
    entries[0][1]
  );
}

function refusal(error) {
  if (error instanceof BridgeError) return error;
  const code = REFUSALS.has(error?.code) ? error.code : "INTERNAL";
  if (code === "INTERNAL") console.error("openminis: pay failed", error);
  return new BridgeError(code, error?.message || "the payment could not be completed");
}

export class PaySheet {
  /** @type {any} */
  sheet;
  /** @type {(result: {orderId: string, productId: string, quantity: number, status: "paid", amount?: number, couponId?: string, discount?: number}) => void} set by run() */
  resolve;
  /** @type {(error: Error) => void} set by run() */
  reject;
  /**
   * What the sheet shows, once the product or the order is known; its amount is the list price.
   * @type {{productId: string, title: string, quantity: number, amount: number}}
   */
  item;
  /**
   * The person's coupons for it (the platform's quote: id, title, discount, pay), and the chosen one.
   * @type {{id: string, title: string, discount: number, pay: number}[]}
   */
  coupons = [];
  /** @type {string | null} */
  couponId = null;

  /**
   * @param {any} session the app asking (launcher.js AppSession)
   * @param {ReturnType<typeof payRequest>} request
   */
  constructor(session, request) {
    this.session = session;
    this.request = request;
    this.api = session.api;
    const { sheets, wallet, config } = session.launcher;
    this.sheets = sheets;
    this.wallet = wallet;
    this.market = config.market || "US";
    this.idempotencyKey = mintKey();
    // Why the platform last refused, reported if the person then closes the sheet.
    /** @type {string | null} */
    this.refused = null;
    this.notice = "";
  }

  /** Resolves with the PayResult, or rejects with a BridgeError. */
  run() {
    return new Promise((resolve, reject) => {
      this.resolve = resolve;
      this.reject = reject;
      this.sheet = this.sheets.claim({
        owner: this.session,
        onDismiss: () => reject(new BridgeError(this.refused || "USER_CANCELLED", "the person closed the pay sheet")),
      });
      if (!this.sheet) {
        reject(new BridgeError("NOT_ALLOWED", "another host sheet is open"));
        return;
      }
      this.load().then(
        () => this.showPay(),
        (error) => this.fail(error)
      );
    });
  }

  fail(error) {
    this.sheet.close();
    this.reject(refusal(error));
  }

  // What is being bought, checked before the sheet shows: an unknown product or one the person
  // already owns is refused without bothering them.
  async load() {
    const { appId } = this.session;
    const balance = this.wallet.refresh();
    if (this.request.orderId) {
      const [order, { items }] = await Promise.all([this.api.order(appId, this.request.orderId), this.api.products(appId), balance]);
      if (order.status !== "created") throw new BridgeError("INVALID_ARGUMENT", `order ${order.id} is ${order.status}, not payable`);
      const product = items.find((item) => item.id === order.product_id);
      this.item = {
        productId: order.product_id,
        title: product ? localTitle(product.title) : order.product_id,
        quantity: order.quantity,
        amount: order.amount,
      };
      return;
    }
    const { productId, quantity } = /** @type {{productId: string, quantity: number}} */ (this.request);
    const [{ items }, owned] = await Promise.all([this.api.products(appId), this.api.purchases(appId), balance]);
    const product = items.find((item) => item.id === productId);
    if (!product) throw new BridgeError("NOT_FOUND", `${appId} sells no product ${productId}`);
    if (product.type === "permanent") {
      if (quantity !== 1) throw new BridgeError("INVALID_ARGUMENT", "a permanent product is bought one at a time");
      if (owned.items.some((item) => item.product_id === productId)) {
        throw new BridgeError("ALREADY_OWNED", `${productId} is already owned; restore it with minis.getPurchases()`);
      }
    }
    this.item = { productId, title: localTitle(product.title), quantity, amount: product.price * quantity };
    await this.loadCoupons();
  }

  // The coupons for this product, best first; the best is chosen unless the person chose none.
  async loadCoupons() {
    const { productId, quantity } = this.item;
    let items = [];
    try {
      ({ items } = await this.api.coupons(this.session.appId, { productId, quantity }));
    } catch (error) {
      console.warn("openminis: coupons unavailable", error); // the sheet still sells at the list price
    }
    this.coupons = items.filter((coupon) => Number.isInteger(coupon.discount) && coupon.discount > 0);
    if (this.couponId !== "" && !this.coupons.some((coupon) => coupon.id === this.couponId)) {
      this.couponId = this.coupons[0]?.id ?? null;
    }
  }

  /** The chosen coupon, if any. */
  chosen() {
    return this.coupons.find((coupon) => coupon.id === this.couponId) ?? null;
  }

  /** What the person pays: the list price less the chosen coupon's discount. */
  toPay() {
    const coupon = this.chosen();
    return coupon ? this.item.amount - coupon.discount : this.item.amount;
  }

  couponPicker() {
    if (!this.coupons.length) return null;
    const name = "pay-coupon";
    /** @param {string} value @param {string} label @param {boolean} checked */
    const option = (value, label, checked) => {
      const input = el("input", { type: "radio", name, value, checked });
      input.addEventListener("change", () => {
        this.couponId = value;
        this.showPay();
      });
      return el("label", { className: "pay-coupon-option" }, input, el("span", {}, label));
    };
    return el(
      "fieldset",
      { className: "pay-coupons" },
      el("legend", {}, "Coupons"),
      ...this.coupons.map((coupon) => option(coupon.id, `${coupon.title}: ${formatCoins(coupon.discount)} off`, coupon.id === this.couponId)),
      option("", "No coupon", !this.chosen())
    );
  }

  showPay() {
    const { card } = this.session;
    const { title, quantity } = this.item;
    const listPrice = this.item.amount;
    const coupon = this.chosen();
    const amount = this.toPay();
    const balance = this.wallet.balance ?? 0;
    const short = Math.max(0, amount - balance);

    const pay = el("button", { type: "button", className: "button-primary pay-confirm" }, `Pay ${formatCoins(amount)} coins`);
    pay.setAttribute("aria-label", `Pay ${coinsLabel(amount)}`);
    const error = el("p", { className: "form-error", role: "alert" });
    const actions = [];
    if (short > 0) {
      pay.disabled = true;
      actions.push(el("button", { type: "button", className: "button-primary", onclick: () => this.topUp() }, "Top up"));
    } else {
      armLater(pay);
      pay.addEventListener("click", () => whileBusy(pay, () => this.confirm(error)));
    }

    const body = el(
      "div",
      { className: "sheet-stack" },
      el(
        "div",
        { className: "sheet-app" },
        appIcon(card, "small"),
        el("div", {}, el("p", { className: "sheet-app-name" }, card.name), el("p", { className: "sheet-app-note" }, "In-app purchase"))
      ),
      el(
        "dl",
        { className: "pay-lines" },
        el("div", { className: "pay-line pay-item" }, el("dt", {}, `${title} × ${quantity}`), el("dd", {}, coinAmount(listPrice))),
        coupon
          ? el("div", { className: "pay-line pay-discount" }, el("dt", {}, coupon.title), el("dd", {}, `−${formatCoins(coupon.discount)}`))
          : null,
        coupon ? el("div", { className: "pay-line pay-total" }, el("dt", {}, "You pay"), el("dd", {}, coinAmount(amount))) : null,
        el(
          "div",
          { className: `pay-line pay-balance${short ? " is-short" : ""}` },
          el("dt", {}, "Your balance"),
          el("dd", {}, coinAmount(balance))
        )
      ),
      this.couponPicker(),
      short ? el("p", { className: "pay-short", role: "status" }, `Not enough coins: you need ${coinsLabel(short)} more.`) : null,
      this.notice ? el("p", { className: "pay-notice", role: "status" }, this.notice) : null,
      error,
      pay,
      ...actions
    );
    this.notice = "";
    this.sheet.show({ title: "Confirm purchase", body });
  }

  topUp() {
    const flow = new TopUpFlow({
      sheet: this.sheet,
      api: this.api,
      wallet: this.wallet,
      market: this.market,
      onBack: () => this.showPay(),
      onDone: (coins) => {
        this.refused = null;
        this.notice = `${coinsLabel(coins)} added to your balance.`;
        this.showPay();
      },
    });
    flow.start();
  }

  async confirm(error) {
    // The launch the person is buying in: the platform credits its source (a creator's post...).
    const { appId, card, recordedLaunchId: launchId } = this.session;
    const amount = this.toPay(); // what the person just confirmed
    const couponId = this.chosen()?.id;
    let order;
    try {
      order = this.request.orderId
        ? await this.api.payOrder(appId, this.request.orderId, { launchId, amount })
        : await this.api.purchase(appId, { ...this.request, idempotencyKey: this.idempotencyKey, launchId, amount, couponId });
    } catch (failure) {
      if (COUPON_REFUSALS.has(failure.code)) {
        // Nothing was charged: the coupon went (used up elsewhere, ended); show what is left.
        // A new key: the next tap is another purchase (at another price), not a retry of this one.
        this.idempotencyKey = mintKey();
        this.couponId = null;
        await this.loadCoupons();
        this.notice = `That coupon can no longer be used: ${failure.message || failure.code}. Nothing was charged.`;
        this.showPay();
      } else if (failure.code === "PRICE_CHANGED" && failure.price) {
        // Nothing was charged: show the price now, for a new confirmation (armLater keeps the
        // tap that was meant for the old price from landing on the new button).
        this.refused = "PRICE_CHANGED";
        if (couponId) {
          // The list price or the terms changed: quote the coupons again for the new price.
          this.idempotencyKey = mintKey();
          const { items } = await this.api.products(appId).catch(() => ({ items: [] }));
          const product = items.find((item) => item.id === this.item.productId);
          if (product) this.item = { ...this.item, amount: product.price * this.item.quantity };
          await this.loadCoupons();
        } else {
          this.item = { ...this.item, amount: failure.price.amount };
        }
        this.notice = `The price changed from ${coinsLabel(amount)} to ${coinsLabel(this.toPay())}. Nothing was charged: pay the new price, or close.`;
        await this.wallet.refresh().catch(() => {});
        this.showPay();
      } else if (failure.code === "INSUFFICIENT_FUNDS") {
        // The balance changed while the sheet was open: show it, and offer the top-up again.
        this.refused = "INSUFFICIENT_FUNDS";
        await this.wallet.refresh().catch(() => {});
        this.showPay();
      } else if (failure.code === "NETWORK_ERROR") {
        error.textContent = errorMessage(failure); // a retry reuses the idempotency key
      } else {
        this.fail(failure);
      }
      return;
    }
    this.sheet.close();
    this.wallet.refresh().catch(() => {});
    this.sheets.notify(`Paid ${coinsLabel(order.amount)} to ${card.name}`);
    const result = { orderId: order.id, productId: order.product_id, quantity: order.quantity, status: /** @type {"paid"} */ ("paid") };
    this.resolve(order.coupon_id ? { ...result, amount: order.amount, couponId: order.coupon_id, discount: order.discount } : result);
  }
}
