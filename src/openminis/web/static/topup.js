// Buying coins: the packs, then the provider's checkout. With the sandbox provider the host draws
// the checkout itself (a card form that takes the test cards, the bank's approval step, the wait
// for a delayed confirmation); with Stripe the platform answers a redirect_url and the whole
// page goes there. Runs inside a sheet: on its own from the Me screen, or as steps of the pay
// sheet when the balance is short.
// @ts-check

import { errorMessage } from "./api.js";
import { el } from "./dom.js";
import { icon } from "./icons.js";
import { whileBusy } from "./sheets.js";
import { coinAmount, coinsLabel, formatCoins, formatMoney } from "./wallet.js";

const POLL_EVERY_MS = 1000;
const POLL_FOR_MS = 60_000;

// The sandbox's test cards (payments/providers/sandbox.py), offered as tappable hints.
const TEST_CARDS = [
  { number: "4242424242424242", outcome: "Succeeds" },
  { number: "4000000000000002", outcome: "Declined" },
  { number: "4000000000003220", outcome: "Asks for approval" },
  { number: "4000000000000077", outcome: "Confirms after a few seconds" },
];

const cardGroups = (digits) => digits.replace(/(\d{4})(?=\d)/g, "$1 ");

/**
 * @param {number} ms
 * @param {AbortSignal} signal
 * @returns {Promise<void>}
 */
function sleep(ms, signal) {
  return /** @type {Promise<void>} */ (new Promise((resolve, reject) => {
    const stop = () => {
      clearTimeout(timer);
      reject(new DOMException("the sheet closed", "AbortError"));
    };
    const timer = setTimeout(() => {
      signal.removeEventListener("abort", stop);
      resolve();
    }, ms);
    if (signal.aborted) stop();
    else signal.addEventListener("abort", stop, { once: true });
  }));
}

function sandboxBanner() {
  return el("p", { className: "sandbox-banner" }, icon("shield"), "Sandbox checkout — no real money");
}

export class TopUpFlow {
  /**
   * @param {object} options
   * @param {import("./sheets.js").Sheet} options.sheet the sheet to draw in
   * @param {import("./api.js").Api} options.api
   * @param {import("./wallet.js").Wallet} options.wallet
   * @param {string} options.market
   * @param {(coins: number) => void} options.onDone the coins arrived (the wallet is already refreshed)
   * @param {(() => void) | null} [options.onBack] where Back on the first step goes; null hides it
   */
  constructor({ sheet, api, wallet, market, onDone, onBack = null }) {
    this.sheet = sheet;
    this.api = api;
    this.wallet = wallet;
    this.market = market;
    this.onDone = onDone;
    this.onBack = onBack;
    /** @type {any} */
    this.packs = null;
    this.notice = ""; // said above the packs once, e.g. that a price changed
  }

  async start() {
    const list = el("ul", { className: "pack-list", "aria-busy": "true" }, el("li", { className: "sheet-note" }, "Loading packs…"));
    this.sheet.show({ title: "Top up coins", body: this.packsBody(list), back: this.onBack });
    try {
      this.packs ??= (await this.api.coinPacks(this.market)).items;
    } catch (error) {
      list.replaceChildren(el("li", { className: "form-error", role: "alert" }, errorMessage(error)));
      return;
    }
    list.removeAttribute("aria-busy");
    list.replaceChildren(...this.packs.map((pack) => el("li", {}, this.packButton(pack))));
    if (this.packs.length === 0) list.append(el("li", { className: "sheet-note" }, "No coin packs are sold here yet."));
  }

  packsBody(list) {
    const balance = el("p", { className: "sheet-balance" }, "Balance ", coinAmount(this.wallet.balance ?? 0));
    const notice = this.notice ? el("p", { className: "pay-notice", role: "status" }, this.notice) : null;
    this.notice = "";
    return el("div", { className: "sheet-stack" }, balance, notice, list);
  }

  packButton(pack) {
    const total = pack.coins + pack.bonus_coins;
    const price = formatMoney(pack.amount, pack.currency);
    // The big number is what lands in the wallet, the bonus included: "+50 bonus" beside 550 read
    // as 600 (a probe).
    const bonus = pack.bonus_coins ? el("span", { className: "pack-bonus" }, `incl. ${formatCoins(pack.bonus_coins)} bonus`) : null;
    const label = pack.bonus_coins ? `${coinsLabel(total)}, ${formatCoins(pack.bonus_coins)} of them a bonus, for ${price}` : `${coinsLabel(total)} for ${price}`;
    const button = el(
      "button",
      { type: "button", className: "pack", dataset: { packId: pack.id }, "aria-label": label },
      el("span", { className: "pack-coins" }, coinAmount(total), bonus),
      el("span", { className: "pack-price" }, price)
    );
    button.addEventListener("click", () => whileBusy(button, () => this.choose(pack)));
    return button;
  }

  async choose(pack) {
    let topUp;
    try {
      topUp = await this.api.startTopUp(pack, this.market);
    } catch (error) {
      if (error.code === "PRICE_CHANGED") {
        // The pack was repriced while the list was open: nothing was charged; list the packs as
        // they are now, for the person to choose again.
        this.packs = null;
        this.notice = "The price of that pack changed. Nothing was charged: check the new prices and choose again.";
        this.start();
        return;
      }
      this.sheet.show({ title: "Top up coins", body: this.failure(errorMessage(error)), back: () => this.start() });
      return;
    }
    if (topUp.redirect_url) {
      // A hosted checkout (Stripe): the whole host page goes there and comes back to "/".
      location.assign(topUp.redirect_url);
      return;
    }
    this.checkout(pack, topUp);
  }

  failure(message) {
    return el("div", { className: "sheet-stack" }, el("p", { className: "form-error", role: "alert" }, message));
  }

  /** The sandbox card form. `error` is why the last attempt failed, shown above the field. */
  checkout(pack, topUp, { error = "", card = "" } = {}) {
    const price = formatMoney(pack.amount, pack.currency);
    const input = el("input", {
      id: "card-number",
      className: "text-field mono",
      inputmode: "numeric",
      autocomplete: "cc-number",
      placeholder: "4242 4242 4242 4242",
      maxlength: "23",
      required: true,
      "aria-describedby": "card-error",
      "aria-invalid": error ? "true" : null,
    });
    input.value = card;
    input.addEventListener("input", () => {
      input.value = cardGroups(input.value.replace(/\D/g, "").slice(0, 19));
    });
    const message = el("p", { className: "form-error", id: "card-error", role: "alert" }, error);
    const hints = TEST_CARDS.map(({ number, outcome }) =>
      el(
        "button",
        {
          type: "button",
          className: "test-card",
          onclick: () => {
            input.value = cardGroups(number);
            input.focus();
          },
        },
        el("span", { className: "mono" }, cardGroups(number)),
        el("span", { className: "test-card-outcome" }, outcome)
      )
    );
    const pay = el("button", { type: "submit", className: "button-primary" }, `Pay ${price}`);
    const form = el(
      "form",
      { className: "sheet-stack", novalidate: true },
      sandboxBanner(),
      el("p", { className: "checkout-summary" }, el("span", { className: "checkout-coins" }, coinAmount(topUp.coins), " coins"), el("span", {}, price)),
      el("div", { className: "field" }, el("label", { for: "card-number" }, "Card number"), input, message),
      el("fieldset", { className: "test-cards" }, el("legend", {}, "Test cards: tap one"), hints),
      pay
    );
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      const digits = input.value.replace(/\D/g, "");
      if (digits.length < 12) {
        message.textContent = "Enter a card number, or tap a test card.";
        input.setAttribute("aria-invalid", "true");
        input.focus();
        return;
      }
      whileBusy(pay, () => this.payWithCard(pack, topUp, digits));
    });
    this.sheet.show({ title: "Checkout", body: form, back: () => this.start(), focus: error ? input : undefined });
  }

  async payWithCard(pack, topUp, digits) {
    const retry = (error) => this.checkout(pack, topUp, { error, card: cardGroups(digits) });
    try {
      // A declined or refused top-up is over: another card needs a new one.
      if (topUp.status === "failed") topUp = await this.api.startTopUp(pack, this.market);
      topUp = await this.api.sandboxPay(topUp.id, digits);
    } catch (error) {
      if (error.code === "PAYMENT_DECLINED") {
        topUp.status = "failed";
        retry("Your card was declined. Try another card.");
      } else {
        retry(errorMessage(error));
      }
      return;
    }
    await this.follow(pack, topUp);
  }

  /** Where a top-up goes next, by its status. */
  async follow(pack, topUp) {
    if (this.sheet.closed) return;
    if (topUp.status === "succeeded") {
      await this.wallet.refresh().catch(() => {});
      this.onDone(topUp.coins);
    } else if (topUp.status === "requires_action") {
      this.approval(pack, topUp);
    } else if (topUp.status === "failed" || topUp.status === "expired") {
      this.checkout(pack, topUp, { error: "The payment did not go through. Try another card." });
    } else {
      await this.waitForConfirmation(pack, topUp);
    }
  }

  /** The bank's approval step (3-D Secure in real life), drawn by the host in the sandbox. */
  approval(pack, topUp) {
    const price = formatMoney(pack.amount, pack.currency);
    const decide = (approve, button) =>
      whileBusy(button, async () => {
        try {
          await this.follow(pack, await this.api.sandboxChallenge(topUp.id, approve));
        } catch (error) {
          this.checkout(pack, topUp, { error: errorMessage(error) });
        }
      });
    const decline = el("button", { type: "button", className: "button-secondary" }, "Decline");
    const approve = el("button", { type: "button", className: "button-primary" }, "Approve");
    decline.addEventListener("click", () => decide(false, decline));
    approve.addEventListener("click", () => decide(true, approve));
    const body = el(
      "div",
      { className: "sheet-stack" },
      sandboxBanner(),
      el("p", { className: "approval-bank" }, icon("card"), "Sandbox Bank"),
      el("p", {}, `Your bank asks you to approve a payment of ${price} to openminis for ${coinsLabel(topUp.coins)}.`),
      el("div", { className: "sheet-actions" }, decline, approve)
    );
    this.sheet.show({ title: "Approve payment", body });
  }

  /** A delayed confirmation: poll every second for up to a minute. */
  async waitForConfirmation(pack, topUp) {
    const status = el("p", { className: "waiting", role: "status" }, el("span", { className: "spinner", "aria-hidden": "true" }), "Waiting for confirmation…");
    const note = el("p", { className: "sheet-note" }, "Your bank is confirming the payment. This usually takes a few seconds.");
    this.sheet.show({ title: "Checkout", body: el("div", { className: "sheet-stack" }, sandboxBanner(), status, note) });
    const deadline = performance.now() + POLL_FOR_MS;
    while (performance.now() < deadline) {
      try {
        await sleep(POLL_EVERY_MS, this.sheet.signal);
        topUp = await this.api.topUp(topUp.id, { signal: this.sheet.signal });
      } catch (error) {
        if (error.name === "AbortError") return; // the person closed the sheet
        continue; // a lost poll is retried on the next tick
      }
      if (topUp.status !== "pending" && topUp.status !== "created") {
        await this.follow(pack, topUp);
        return;
      }
    }
    status.replaceChildren("Still waiting for your bank.");
    note.textContent = "Your coins arrive as soon as the payment is confirmed; you can close this now.";
  }
}

/** The top-up flow in a sheet of its own (the Me screen's Top up button). */
/**
 * @param {object} options
 * @param {any} options.sheets
 * @param {any} options.api
 * @param {any} options.wallet
 * @param {string} options.market
 * @param {() => void} [options.onClosed] the sheet closed, however the top-up went (Me lists what is settling)
 */
export function openTopUpSheet({ sheets, api, wallet, market, onClosed }) {
  const sheet = sheets.claim();
  if (!sheet) return;
  if (onClosed) sheet.signal.addEventListener("abort", onClosed, { once: true });
  const flow = new TopUpFlow({
    sheet,
    api,
    wallet,
    market,
    onDone: (coins) => {
      const done = el("button", { type: "button", className: "button-primary", onclick: () => sheet.close() }, "Done");
      const body = el(
        "div",
        { className: "sheet-stack sheet-success" },
        el("p", { className: "success-mark" }, icon("check")),
        el("p", { className: "success-title" }, `${coinsLabel(coins)} added`),
        el("p", { className: "sheet-balance" }, "Balance ", coinAmount(wallet.balance ?? 0)),
        done
      );
      sheet.show({ title: "Top up complete", body, focus: done });
    },
  });
  flow.start();
}
