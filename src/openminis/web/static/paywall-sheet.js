// The paywall: what a locked drama episode shows, drawn by the host above the player (or above a
// drama app that called minis.drama.unlock). It offers every way the series allows in: this
// episode for coins, a rewarded ad, the whole series, a pass. Nothing is charged until the
// person taps one of them here; short of coins, they top up on the way and come back to it.
//
// Unlocks are idempotent on the platform (one row per person and episode), but a tap is still
// one request: while one is in flight every option is disabled.
//
// "Watch an ad" plays a rewarded ad of the series' ad unit in the host's ad player: the sheet
// steps aside while it plays, and the platform unlocks the episode for that ad only if it says
// the ad earned its reward.
// @ts-check

import { errorMessage } from "./api.js";
import { appIcon } from "./app-tile.js";
import { BridgeError } from "./bridge.js";
import { el } from "./dom.js";
import { icon } from "./icons.js";
import { armLater } from "./sheets.js";
import { TopUpFlow } from "./topup.js";
import { coinAmount, coinsLabel } from "./wallet.js";

export const UNLOCK_METHODS = ["coins", "ad", "series", "pass"];

const renewal = { 7: "week", 30: "month" };

/** "Episode 4 · Dr. Hale", or just "Episode 4" when the title says nothing more. */
export function episodeLabel(episode) {
  const plain = `Episode ${episode.number}`;
  return episode.title && episode.title !== plain ? `${plain} · ${episode.title}` : plain;
}

/** What to tell the person when no ad could be shown. */
export function adMessage(error) {
  if (error?.code === "NO_FILL") return "No ad is available right now. Try again later.";
  if (error?.code === "FREQUENCY_CAPPED") return "You have seen every ad there is for now. Try again later.";
  return errorMessage(error);
}


/**
 * What the whole series costs beside the episodes still locked, one by one. The series is sold
 * whole at its price, whatever was unlocked before (docs/drama-player.md); a person who unlocked
 * some paid more for the rest than one by one, and the sheet only fell silent about it (a probe,
 * player52: 200 coins for six episodes of 30).
 * @param {number} locked the episodes still locked
 * @param {number} episodePrice
 * @param {number} seriesPrice
 */
export function seriesNote(locked, episodePrice, seriesPrice) {
  const oneByOne = locked * episodePrice;
  if (oneByOne > seriesPrice) return `Save ${coinsLabel(oneByOne - seriesPrice)}`;
  if (oneByOne < seriesPrice) return `${locked === 1 ? "The 1 episode" : `The ${locked} episodes`} still locked: ${coinsLabel(oneByOne)} one by one`;
  return "The whole series, for good";
}

export class PaywallSheet {
  /** @type {any} */
  sheet;
  /** @type {HTMLButtonElement[]} */
  buttons;
  /** @type {(result: {number: number, access: string}) => void} set by run() */
  resolve;
  /** @type {(error: Error) => void} set by run() */
  reject;

  /**
   * @param {object} options
   * @param {import("./sheets.js").Sheets} options.sheets
   * @param {import("./api.js").Api} options.api
   * @param {import("./wallet.js").Wallet} options.wallet
   * @param {string} options.market
   * @param {any} options.series the viewer's series (GET /api/dramas/{id}): prices, passes, episodes
   * @param {any} options.episode the locked episode
   * @param {string[]} [options.methods] the ways in to offer; the bridge's coins-only unlock passes ["coins"]
   * @param {any} [options.app] the card of the app asking, shown when a drama app opened the sheet
   * @param {import("./ad-player.js").AdPlayer | null} [options.ads] the host's ad player (ad-player.js); null until ads exist
   * @param {any} [options.owner] who the sheet belongs to: closing the owner dismisses it (sheets.js)
   * @param {string | null} [options.launchId] the launch the person watches in (the drama player's, or the
   *   drama app's): an unlock carries it, so the platform credits where the person came from
   */
  constructor({ sheets, api, wallet, market, series, episode, methods = UNLOCK_METHODS, app = null, ads = null, owner = null, launchId = null }) {
    this.sheets = sheets;
    this.api = api;
    this.wallet = wallet;
    this.market = market;
    this.series = series;
    this.episode = episode;
    this.methods = new Set(methods);
    this.app = app;
    this.ads = ads;
    this.owner = owner;
    this.launchId = launchId;
    this.busy = false;
    this.notice = "";
    this.error = "";
    // Why the platform last refused, reported if the person then closes the sheet.
    /** @type {string | null} */
    this.refused = null;
  }

  /** Resolves `{number, access}` once the episode is watchable; rejects USER_CANCELLED etc. */
  run() {
    return new Promise((resolve, reject) => {
      this.resolve = resolve;
      this.reject = reject;
      if (!this.claimSheet()) {
        reject(new BridgeError("NOT_ALLOWED", "another host sheet is open"));
        return;
      }
      this.wallet.refresh().then(
        () => this.show(),
        () => this.show() // the balance shows as unknown (0); the platform still decides
      );
    });
  }

  claimSheet() {
    this.sheet = this.sheets.claim({
      owner: this.owner,
      onDismiss: () => this.reject(new BridgeError(this.refused || "USER_CANCELLED", "the person closed the paywall")),
    });
    return this.sheet !== null;
  }

  /** The series' rewarded ad unit, when it has one and the host can play ads. */
  get adUnit() {
    return this.ads && this.series.ad_unit_id ? this.series.ad_unit_id : null;
  }

  get balance() {
    return this.wallet.balance ?? 0;
  }

  /** The locked episodes a series purchase would open, for "save N coins". */
  lockedCount() {
    return this.series.episodes.filter((episode) => !episode.access).length;
  }

  show() {
    const { series, episode } = this;
    const price = series.episode_price;
    const short = Math.max(0, price - this.balance);
    const options = [];
    this.buttons = [];

    if (this.methods.has("coins")) {
      options.push(
        this.option({
          method: "coins",
          glyph: icon("lock"),
          label: `Unlock episode ${episode.number}`,
          note: short ? `You need ${coinsLabel(short)} more` : "Yours to rewatch any time",
          price,
          name: `Unlock episode ${episode.number} for ${coinsLabel(price)}`,
          primary: true,
          action: () => this.unlockWithCoins(price),
          reprice: (amount) => {
            series.episode_price = amount;
          },
        })
      );
    }
    if (this.methods.has("ad") && series.ad_unlock) {
      options.push(this.adOption());
    }
    if (this.methods.has("series") && series.series_price) {
      options.push(
        this.option({
          method: "series",
          glyph: icon("stack"),
          label: `Unlock all ${series.episode_count} episodes`,
          note: seriesNote(this.lockedCount(), price, series.series_price),
          price: series.series_price,
          name: `Unlock all ${series.episode_count} episodes for ${coinsLabel(series.series_price)}`,
          action: () => this.buySeries(series.series_price),
          reprice: (amount) => {
            series.series_price = amount;
          },
        })
      );
    }
    if (this.methods.has("pass")) {
      for (const pass of series.passes || []) {
        const period = renewal[pass.period_days] || `${pass.period_days} days`;
        const scope = pass.series_id ? "this series" : "every series here";
        options.push(
          this.option({
            method: "pass",
            glyph: icon("ticket"),
            label: pass.title,
            note: `Every episode of ${scope}, renews each ${period}`,
            price: pass.price,
            name: `${pass.title}: every episode of ${scope} for a ${period}, ${coinsLabel(pass.price)}`,
            action: () => this.subscribe(pass),
            reprice: (amount) => {
              pass.price = amount;
            },
            dataset: { passId: pass.id },
          })
        );
      }
    }

    const topUp = el("button", { type: "button", className: "button-secondary button-small", onclick: () => this.topUp() }, "Top up");
    const body = el(
      "div",
      { className: "sheet-stack paywall" },
      this.header(),
      el(
        "div",
        { className: `paywall-balance${short ? " is-short" : ""}` },
        el("span", {}, "Your balance"),
        coinAmount(this.balance),
        topUp
      ),
      this.notice ? el("p", { className: "pay-notice", role: "status" }, this.notice) : null,
      el("p", { className: "form-error", role: "alert" }, this.error),
      el("ul", { className: "paywall-options", "aria-label": "Ways to unlock" }, options.map((option) => el("li", {}, option)))
    );
    this.notice = "";
    this.error = "";
    this.sheet.show({ title: `Unlock episode ${episode.number}`, body });
  }

  header() {
    const { series, episode } = this;
    const thumb = episode.thumbnail_url
      ? el("img", { className: "paywall-thumb", src: episode.thumbnail_url, alt: "", decoding: "async" })
      : el("span", { className: "paywall-thumb" });
    const by = this.app ? el("p", { className: "sheet-app-note paywall-app" }, appIcon(this.app, "tiny"), `In ${this.app.name}`) : null;
    return el(
      "div",
      { className: "paywall-episode" },
      thumb,
      el("div", {}, el("p", { className: "sheet-app-name" }, series.title), el("p", { className: "sheet-app-note" }, episodeLabel(episode)), by)
    );
  }

  /** One way in: a row with its icon, what it gives and its price. */
  /**
   * @param {{method: string, glyph: Element, label: string, note: string, price: number | null, name: string,
   *   primary?: boolean, action: () => Promise<unknown>, reprice?: ((amount: number) => void) | null, dataset?: Record<string, string>}} option
   */
  option({ method, glyph, label, note, price, name, primary = false, action, reprice = null, dataset = {} }) {
    const button = el(
      "button",
      { type: "button", className: `paywall-option${primary ? " is-primary" : ""}`, "aria-label": name, dataset: { method, ...dataset } },
      el("span", { className: "paywall-option-icon" }, glyph),
      el("span", { className: "paywall-option-text" }, el("span", { className: "paywall-option-label" }, label), el("span", { className: "paywall-option-note" }, note)),
      price === null ? null : coinAmount(price, "coin-amount paywall-price")
    );
    armLater(button);
    button.addEventListener("click", () => this.attempt(button, price, action, reprice));
    this.buttons.push(button);
    return button;
  }

  adOption() {
    const { number } = this.episode;
    if (this.adUnit) {
      return this.option({
        method: "ad",
        glyph: icon("ad"),
        label: "Watch an ad",
        note: "Free: a short video unlocks this episode",
        price: null,
        name: `Watch an ad to unlock episode ${number}`,
        action: () => this.unlockWithAd(),
      });
    }
    // The platform has no ad to offer for this series: the way is shown, not offered.
    return el(
      "button",
      { type: "button", className: "paywall-option", disabled: true, "aria-label": `Watch an ad to unlock episode ${number}: no ads right now`, dataset: { method: "ad" } },
      el("span", { className: "paywall-option-icon" }, icon("ad")),
      el(
        "span",
        { className: "paywall-option-text" },
        el("span", { className: "paywall-option-label" }, "Watch an ad"),
        el("span", { className: "paywall-option-note" }, "Free: a short video unlocks this episode")
      ),
      el("span", { className: "paywall-soon" }, "No ads right now")
    );
  }

  /**
   * Loads a rewarded ad, steps the sheet aside while the ad player shows it, and unlocks with it if
   * the platform granted its reward. Without the reward the paywall comes back, saying why.
   */
  async unlockWithAd() {
    let decision;
    try {
      decision = await /** @type {import("./ad-player.js").AdPlayer} */ (this.ads).load({ appId: this.series.app_id, unitId: this.adUnit, launchId: this.launchId, format: "rewarded" });
    } catch (error) {
      throw new BridgeError(error.code, adMessage(error));
    }
    this.stepAside();
    let outcome;
    try {
      outcome = await /** @type {import("./ad-player.js").AdPlayer} */ (this.ads).play(decision);
    } catch (error) {
      this.comeBack(adMessage(error));
      return;
    }
    if (!outcome.rewarded) {
      this.comeBack(outcome.reason === "not_visible" ? "The ad left the screen before its end, so it unlocked nothing." : "Watch the ad to its end to unlock the episode.");
      return;
    }
    try {
      const { number, access } = await this.api.unlockEpisode(this.series.id, this.episode.number, {
        method: "ad",
        adId: decision.ad_id,
        launchId: this.launchId,
      });
      this.sheets.notify(`Episode ${number} unlocked`);
      this.resolve({ number, access });
    } catch (failure) {
      this.comeBack(errorMessage(failure));
    }
  }

  // While the ad plays, the sheet is released (the ad covers everything) without a cancel.
  stepAside() {
    this.sheet.close();
  }

  comeBack(message) {
    if (!this.claimSheet()) {
      this.reject(new BridgeError("NOT_ALLOWED", "another host sheet is open"));
      return;
    }
    this.error = message;
    this.show();
  }

  /**
   * Runs one option's request, once: every option is disabled until it answers. A price changed
   * since the sheet was drawn comes back as PRICE_CHANGED, nothing charged: `reprice` puts the new
   * price on the option and the sheet is drawn again for a new confirmation.
   */
  /**
   * @param {HTMLButtonElement} button
   * @param {number | null} price
   * @param {() => Promise<unknown>} action
   * @param {((amount: number) => void) | null} [reprice]
   */
  async attempt(button, price, action, reprice = null) {
    if (this.busy) return;
    if (price !== null && price > this.balance) {
      this.topUp(`You need ${coinsLabel(price - this.balance)} more for this.`);
      return;
    }
    this.busy = true;
    for (const option of this.buttons) {
      option.dataset.busy = "1"; // keeps armLater from waking it up mid-request
      option.disabled = true;
    }
    button.setAttribute("aria-busy", "true");
    try {
      await action();
    } catch (failure) {
      if (this.sheet.closed) return; // the person closed it meanwhile, or an ad took over
      if (failure.code === "PRICE_CHANGED" && failure.price && reprice) {
        this.refused = "PRICE_CHANGED";
        reprice(failure.price.amount);
        this.notice = `The price changed from ${coinsLabel(/** @type {number} */ (price))} to ${coinsLabel(failure.price.amount)}. Nothing was charged: tap again to pay the new price.`;
        await this.wallet.refresh().catch(() => {});
      } else if (failure.code === "INSUFFICIENT_FUNDS") {
        // The balance changed under the open sheet: show the new one, and the top-up with it.
        this.refused = "INSUFFICIENT_FUNDS";
        await this.wallet.refresh().catch(() => {});
      } else {
        // Said on the sheet, which stays open: the person may try another way, or close it.
        this.error = errorMessage(failure);
      }
      this.show();
    } finally {
      this.busy = false;
    }
  }

  // Each carries the price the option showed: the platform charges that, or nothing.

  async unlockWithCoins(amount) {
    const { number, access } = await this.api.unlockEpisode(this.series.id, this.episode.number, { method: "coins", launchId: this.launchId, amount });
    this.done({ number, access }, `Episode ${number} unlocked`);
  }

  async buySeries(amount) {
    await this.api.buySeries(this.series.id, { launchId: this.launchId, amount });
    this.done({ number: this.episode.number, access: "series" }, `All of ${this.series.title} unlocked`);
  }

  async subscribe(pass) {
    await this.api.subscribe(pass.id, { launchId: this.launchId, amount: pass.price });
    this.done({ number: this.episode.number, access: "pass" }, `${pass.title} is active`);
  }

  done(result, message) {
    this.sheet.close();
    this.wallet.refresh().catch(() => {});
    this.sheets.notify(message);
    this.resolve(result);
  }

  topUp(reason = "") {
    const flow = new TopUpFlow({
      sheet: this.sheet,
      api: this.api,
      wallet: this.wallet,
      market: this.market,
      onBack: () => this.show(),
      onDone: (coins) => {
        this.refused = null;
        this.notice = `${coinsLabel(coins)} added to your balance.`;
        this.show();
      },
    });
    flow.start();
    if (reason) this.sheets.notify(reason);
  }
}
