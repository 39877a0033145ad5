// The Me screen's wallet history: the person's top-ups still settling at the provider, then every
// coin movement of their wallet, newest first, a page at a time ("Show more"). Both come from the
// platform, so a reload, another tab or another device shows the same thing.
// @ts-check

import { errorMessage } from "./api.js";
import { el } from "./dom.js";
import { formatDateTime } from "./format.js";
import { coinAmount, coinsLabel } from "./wallet.js";

const PAGE = 20;

// The ledger's transfer kinds, as a person would name them.
const KINDS = {
  topup: "Top-up",
  purchase: "Purchase",
  refund: "Refund",
  drama_unlock: "Episode unlock",
  subscription: "Drama pass",
  topup_refund: "Top-up refunded",
  topup_refund_undone: "Top-up refund reversed",
  guest_coins: "Coins from this browser's guest",
};

/**
 * A movement's name. A drama unlock says what it bought: the whole series was "Episode unlock",
 * 200 coins beside episodes of 30 (a probe, player52).
 * @param {{kind: string, what?: string | null}} item
 */
export function movementLabel(item) {
  if (item.kind === "drama_unlock" && item.what === "series") return "Whole series";
  const episode = item.kind === "drama_unlock" && /^episode (\d+)$/.exec(item.what ?? "");
  if (episode) return `Episode ${episode[1]} unlock`;
  return KINDS[/** @type {keyof typeof KINDS} */ (item.kind)] || item.kind;
}

const WAITING = { pending: "Waiting for your bank", requires_action: "Waiting for your approval" };

export class WalletHistory {
  /** @param {import("./api.js").Api} api */
  constructor(api) {
    this.api = api;
    /** @type {any[]} */
    this.items = [];
    /** @type {string | null} */
    this.cursor = null;
    /** @type {any[]} */
    this.unsettled = [];
    this.failed = "";
    this.loaded = false;
    this.generation = 0; // a reload started after a "Show more" wins over it

    this.root = el("section", { className: "access wallet-history", "aria-labelledby": "history-title" });
    this.pendingList = el("ul", { className: "access-list", "aria-label": "Top-ups in progress", dataset: { pendingTopups: "" } });
    this.list = el("ul", { className: "access-list", dataset: { walletHistory: "" } });
    this.more = el("button", { type: "button", className: "button-secondary button-small" }, "Show more");
    this.more.addEventListener("click", () => this.loadMore());
    this.note = el("p", { className: "card-note", role: "status" });
  }

  /** The newest page and the unsettled top-ups again. Resolves to the top-ups' ids that were
   * unsettled before and are not now (settled or failed): their coins may have moved. */
  async reload() {
    const generation = ++this.generation;
    const before = new Set(this.unsettled.map((topUp) => topUp.id));
    try {
      const [page, { items: unsettled }] = await Promise.all([this.api.walletHistory(null, PAGE), this.api.unsettledTopUps()]);
      if (generation !== this.generation) return [];
      this.items = page.items;
      this.cursor = page.next_cursor;
      this.unsettled = unsettled;
      this.failed = "";
      this.loaded = true;
      this.render();
      const now = new Set(unsettled.map((topUp) => topUp.id));
      return [...before].filter((id) => !now.has(id));
    } catch (error) {
      console.error("openminis: wallet history not loaded", error);
      this.failed = errorMessage(error);
      this.render();
      return [];
    }
  }

  async loadMore() {
    if (!this.cursor) return;
    const generation = this.generation;
    this.more.disabled = true;
    try {
      const page = await this.api.walletHistory(this.cursor, PAGE);
      if (generation !== this.generation) return; // reloaded meanwhile: that page is the truth
      this.items = [...this.items, ...page.items];
      this.cursor = page.next_cursor;
      this.render();
    } catch (error) {
      console.error("openminis: wallet history not loaded", error);
      this.note.textContent = errorMessage(error);
    } finally {
      this.more.disabled = false;
    }
  }

  /** Whether a top-up is still settling: what Me polls for. */
  get waiting() {
    return this.unsettled.length > 0;
  }

  render() {
    const title = el("h2", { className: "section-title", id: "history-title" }, "Coin history");
    this.pendingList.replaceChildren(...this.unsettled.map((topUp) => this.pendingItem(topUp)));
    this.pendingList.hidden = this.unsettled.length === 0;
    this.list.replaceChildren(...this.items.map((item) => this.movementItem(item)));
    this.list.hidden = this.items.length === 0;
    this.more.hidden = !this.cursor;
    this.note.textContent = this.failed || (this.loaded && this.items.length === 0 && !this.waiting ? "No coin movements yet." : "");
    this.root.replaceChildren(title, this.pendingList, this.list, this.more, this.note);
  }

  pendingItem(topUp) {
    return el(
      "li",
      { className: "access-item history-item", dataset: { topupId: topUp.id, status: topUp.status } },
      el(
        "div",
        { className: "access-text" },
        el("p", { className: "access-name" }, "Top-up"),
        el("p", { className: "access-detail" }, `${WAITING[topUp.status] || topUp.status} · ${coinsLabel(topUp.coins)}`)
      ),
      el("span", { className: "spinner", "aria-hidden": "true" })
    );
  }

  movementItem(item) {
    const label = movementLabel(item);
    // A purchase with a coupon: what the coupon took off it.
    const coupon = item.discount && item.amount < 0 ? `coupon saved ${coinsLabel(item.discount)}` : null;
    const detail = [item.app_name, coupon, formatDateTime(item.created_at)].filter(Boolean).join(" · ");
    const amount = coinAmount(Math.abs(item.amount), "coin-amount history-amount");
    const sign = item.amount > 0 ? "+" : "−";
    amount.prepend(sign);
    amount.setAttribute("aria-label", `${item.amount > 0 ? "plus" : "minus"} ${coinsLabel(Math.abs(item.amount))}`);
    amount.classList.toggle("is-credit", item.amount > 0);
    return el(
      "li",
      { className: "access-item history-item", dataset: { movementKind: item.kind } },
      el("div", { className: "access-text" }, el("p", { className: "access-name" }, label), el("p", { className: "access-detail" }, detail)),
      amount
    );
  }
}
