// The person's coin balance as the host shows it: in the header, on the Me screen and on the
// pay sheet. One Wallet per page; whoever changes the balance (a top-up, a purchase) refreshes it
// from the platform, which alone knows the truth.
// @ts-check

import { coinsLabel, formatCoins } from "./format.js";
import { part } from "./dom.js";
import { coinIcon } from "./icons.js";

// The formatters live in format.js (pure, tested under node); importers of wallet.js keep theirs.
export { coinsLabel, formatCoins, formatMoney } from "./format.js";

/** A coin glyph and the number beside it, for prices and balances. */
export function coinAmount(coins, className = "coin-amount") {
  const element = document.createElement("span");
  element.className = className;
  const number = document.createElement("span");
  number.textContent = formatCoins(coins);
  element.append(coinIcon(), number);
  element.setAttribute("aria-label", coinsLabel(coins));
  return element;
}

export class Wallet {
  constructor(api) {
    this.api = api;
    /** @type {any} */
    this.balance = null; // unknown until the first answer
    this.listeners = new Set();
    /** @type {any} */
    this.loading = null;
  }

  /** `callback(balance)` now (if known) and on every change; returns an unsubscribe function. */
  watch(callback) {
    this.listeners.add(callback);
    if (this.balance !== null) callback(this.balance);
    return () => this.listeners.delete(callback);
  }

  /** Asks the platform; concurrent callers share one request. Resolves to the balance. */
  refresh() {
    if (!this.loading) {
      this.loading = this.api
        .wallet()
        .then(({ balance }) => {
          this.set(balance);
          return balance;
        })
        .finally(() => {
          this.loading = null;
        });
    }
    return this.loading;
  }

  set(balance) {
    if (balance === this.balance) return;
    this.balance = balance;
    for (const callback of this.listeners) callback(balance);
  }

  /** Keeps the header's coin chips (`[data-coin-balance]`) in step with the balance. */
  bindChips(chips) {
    for (const chip of chips) chip.prepend(coinIcon());
    this.watch((balance) => {
      for (const chip of chips) {
        part(chip, "[data-coin-number]").textContent = formatCoins(balance);
        chip.setAttribute("aria-label", `${coinsLabel(balance)}: open Me`);
        chip.hidden = false;
      }
    });
  }
}
