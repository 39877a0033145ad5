// The shop: two items sold for the platform's coins (minis.json `products`).
// - "golden-bird" (permanent): Pip turns golden for good. Restored at start from getPurchases().
// - "revive" (consumable): after a crash, continue the run from where it ended.
// minis.pay() shows the host's pay sheet; we only hear how it ended. A cancelled or failed
// payment changes nothing here. Outside the host (opened directly) the shop stays hidden.
// The same continue is also offered for a rewarded ad (ad unit in ads-config.js): the host plays
// it above the game, and only a reward the platform granted continues the run.
// A coupon the person holds for the golden bird (getCoupons) shows its price on the button; the
// host's pay sheet offers the coupon itself: the game never applies one.
(function () {
  "use strict";

  const P = window.Platform;
  const GOLDEN = "golden-bird";
  const REVIVE = "revive";

  const golden = document.getElementById("buy-golden");
  const revive = document.getElementById("buy-revive");
  const watch = document.getElementById("watch-revive");
  const note = document.getElementById("shop-note");

  // Prices and titles as the manifest declares them, until getProducts() answers.
  const products = {
    [GOLDEN]: { title: "Golden bird", price: 300 },
    [REVIVE]: { title: "Second chance", price: 50 },
  };
  const state = { available: false, busy: false, owned: new Set(), place: { golden: null, revive: null }, adReady: false };
  let goldenWithCoupon = null; // the lowest price a coupon of the person's makes the golden bird, if any
  let continueAd = null; // minis.ads rewarded ad, when ads-config.js names a unit
  let adLoading = false;
  let hooks = { onGolden() {}, onRevive() {} };

  function label() {
    golden.textContent = state.owned.has(GOLDEN)
      ? products[GOLDEN].title + " ✓"
      : goldenWithCoupon !== null
        ? products[GOLDEN].title + " — " + goldenWithCoupon + " coins with your coupon"
        : products[GOLDEN].title + " — " + products[GOLDEN].price + " coins";
    revive.textContent = "Continue for " + products[REVIVE].price + " coins";
  }

  function position(button, y) {
    button.hidden = !state.available || y === null;
    if (y !== null) button.style.top = Math.round(y) + "px";
  }

  function render() {
    label();
    position(golden, state.place.golden);
    position(revive, state.place.revive);
    const watchY = state.adReady && state.place.revive !== null ? state.place.revive + 56 : null;
    position(watch, watchY);
    golden.disabled = state.busy || state.owned.has(GOLDEN);
    revive.disabled = state.busy;
    watch.disabled = state.busy;
    note.style.top = Math.round((watchY ?? state.place.revive ?? state.place.golden ?? 0) + 56) + "px";
  }

  function say(text) {
    note.textContent = text;
    clearTimeout(say.timer);
    say.timer = setTimeout(() => (note.textContent = ""), 3000);
  }

  function own(productId) {
    state.owned.add(productId);
    if (productId === GOLDEN) hooks.onGolden();
    render();
  }

  // Runs one pay(); resolves true when paid. Every other ending leaves the game as it was.
  async function buy(productId) {
    if (state.busy) return false;
    state.busy = true;
    render();
    try {
      await P.request("pay", { productId });
      return true;
    } catch (error) {
      const code = error && error.code;
      if (code === "ALREADY_OWNED") own(productId); // bought on another device: restore it
      else if (code === "USER_CANCELLED") say("Maybe next time.");
      else if (code === "INSUFFICIENT_FUNDS") say("Not enough coins.");
      else if (code === "NO_HOST") state.available = false;
      else if (code !== "NOT_ALLOWED") {
        console.warn("[sky] payment failed", error);
        say("The shop is closed right now.");
      }
      return false;
    } finally {
      state.busy = false;
      render();
    }
  }

  async function checkCoupons() {
    const coupons = await P.request("getCoupons", { productId: GOLDEN }).catch(() => []);
    const prices = coupons.map((coupon) => coupon.pay).filter((pay) => typeof pay === "number");
    goldenWithCoupon = prices.length ? Math.min(...prices) : null;
    render();
  }

  golden.addEventListener("click", async (event) => {
    event.stopPropagation();
    if (await buy(GOLDEN)) own(GOLDEN);
    else checkCoupons(); // a coupon may have been used up or ended meanwhile
  });

  revive.addEventListener("click", async (event) => {
    event.stopPropagation();
    if (await buy(REVIVE)) hooks.onRevive();
  });

  // Loads the next ad ahead, so "Watch an ad" only shows when one is ready to play.
  function loadAd() {
    if (!continueAd || state.adReady || adLoading) return;
    adLoading = true;
    continueAd.load().then(
      () => {
        adLoading = false;
        state.adReady = true;
        render();
      },
      (error) => {
        adLoading = false;
        const code = error && error.code;
        if (code === "INVALID_ARGUMENT" || code === "NO_HOST") {
          // A unit this platform does not know (or no host): no ads in this session.
          console.warn("[sky] ads off", error);
          continueAd = null;
        }
        // No ad now (NO_FILL, FREQUENCY_CAPPED) or not open yet: ask again at the next crash.
      }
    );
  }

  function setUpAd() {
    const unit = (window.SKY_RUNNER_AD_UNITS || {}).continue;
    if (!unit || !window.minis || !window.minis.ads) return;
    try {
      continueAd = window.minis.ads.createRewarded(unit);
    } catch (error) {
      console.warn("[sky] ad unit not usable", error);
      return;
    }
    if (P.isVisible()) loadAd();
    P.onShow(loadAd);
  }

  watch.addEventListener("click", async (event) => {
    event.stopPropagation();
    if (state.busy || !state.adReady) return;
    state.busy = true;
    state.adReady = false;
    render();
    try {
      const { rewarded } = await continueAd.show();
      if (rewarded) hooks.onRevive();
      else say("Watch the ad to the end to continue.");
    } catch (error) {
      if (error && error.code !== "NOT_ALLOWED") say("No ad to watch right now.");
    } finally {
      state.busy = false;
      render();
      loadAd();
    }
  });

  window.Shop = {
    /** `onGolden()` when the golden bird is owned (bought or restored); `onRevive()` after a paid continue. */
    async start(gameHooks) {
      hooks = gameHooks;
      state.available = await P.inHost();
      if (!state.available) return render();
      const [owned, sold] = await Promise.all([
        P.request("getPurchases").catch(() => []),
        P.request("getProducts").catch(() => []),
      ]);
      for (const product of sold) if (products[product.id]) products[product.id] = { title: product.title, price: product.price };
      for (const purchase of owned) own(purchase.productId);
      if (!state.owned.has(GOLDEN)) checkCoupons();
      P.onShow(() => state.owned.has(GOLDEN) || checkCoupons()); // claimed while the game was hidden
      setUpAd();
      render();
    },
    /** Where the buttons go (CSS px from the top), or null to hide one. */
    place(goldenY, reviveY) {
      const g = goldenY === null ? null : Math.round(goldenY);
      const r = reviveY === null ? null : Math.round(reviveY);
      if (g === state.place.golden && r === state.place.revive) return;
      state.place = { golden: g, revive: r };
      if (r !== null) loadAd(); // a crash: the moment an ad may be wanted
      render();
    },
    owns: (productId) => state.owned.has(productId),
  };
})();
