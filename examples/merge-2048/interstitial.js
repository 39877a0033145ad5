// An interstitial ad between rounds: when a round is over and the player starts the next one,
// the host shows an ad above the game (the game gets onHide, then onShow when it closes). One is
// loaded ahead during the round, and never sooner than the unit's interval after the last, so the
// platform's INTERVAL_NOT_ELAPSED is the exception, not the rule. Without a unit, or outside the
// host, nothing happens.
(function () {
  "use strict";

  const P = window.Platform;
  const config = window.MERGE_AD_UNITS || {};
  const gapMs = Math.max(0, Number(config.minIntervalSeconds) || 0) * 1000;
  let ad = null;
  let ready = false;
  let loading = false;
  let notBefore = 0; // no ad is asked for before this time (Date.now())

  function setUp() {
    if (!config.betweenRounds || !window.minis || !window.minis.ads) return;
    try {
      ad = window.minis.ads.createInterstitial(config.betweenRounds);
    } catch (error) {
      console.warn("[2048] ad unit not usable", error);
      return;
    }
    P.onShow(loadAhead);
    if (P.isVisible()) loadAhead();
  }

  function loadAhead() {
    if (!ad || ready || loading) return;
    const wait = notBefore - Date.now();
    if (wait > 0) {
      clearTimeout(loadAhead.timer);
      loadAhead.timer = setTimeout(loadAhead, wait);
      return;
    }
    loading = true;
    ad.load().then(
      () => {
        loading = false;
        ready = true;
      },
      (error) => {
        loading = false;
        const code = error && error.code;
        // Too soon for the platform (another device, a reload): ask again later, quietly.
        if (code === "INTERVAL_NOT_ELAPSED") notBefore = Date.now() + Math.max(gapMs, 30000);
        else if (code === "NO_FILL" || code === "FREQUENCY_CAPPED") notBefore = Date.now() + 60000;
        else if (code === "INVALID_ARGUMENT" || code === "NO_HOST") {
          console.warn("[2048] ads off", error); // a unit this platform does not know
          ad = null;
        }
      }
    );
  }

  window.Interstitials = {
    /** Called when the player starts a new round after the last one ended. */
    atBreak() {
      if (!ready) return loadAhead();
      ready = false;
      notBefore = Date.now() + gapMs;
      ad.show()
        .catch((error) => {
          if (error && error.code !== "NOT_ALLOWED") console.warn("[2048] ad not shown", error);
        })
        .then(loadAhead);
    },
  };

  // After boot: the SDK's init has run and Platform knows whether the app is on screen.
  window.addEventListener("minis-game-booted", setUp, { once: true });
})();
