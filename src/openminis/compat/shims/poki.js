/* Poki's PokiSDK (v2) over minis-sdk.js: docs/compat.md lists what each call does here. */
// @ts-check
(function () {
  "use strict";
  var compat = window.__minisCompat;
  var playing = false;

  /** @param {unknown} value */
  function fraction(value) {
    var number = Number(value);
    return isFinite(number) ? Math.min(1, Math.max(0, number)) : 0;
  }

  window.PokiSDK = {
    init: function () {
      return compat.ready().then(function () {});
    },
    setDebug: function () {},
    gameLoadingStart: function () {
      minis.setLoadingProgress(0);
    },
    gameLoadingProgress: function (progress) {
      minis.setLoadingProgress(Math.round(fraction(progress && progress.percentageDone) * 100));
    },
    gameLoadingFinished: function () {
      return compat.ready().then(function () {
        return minis.ready();
      });
    },
    gameplayStart: function () {
      playing = true;
    },
    gameplayStop: function () {
      playing = false;
    },
    // Poki's contract: the promise always resolves, ad or not, and the game resumes after it.
    commercialBreak: function (onStart) {
      if (playing) console.warn("PokiSDK.commercialBreak during gameplay: call gameplayStop first");
      return compat.showAd("interstitial", undefined, onStart).then(
        function () {},
        function () {}
      );
    },
    rewardedBreak: function (options) {
      var onStart = typeof options === "function" ? options : options && options.onStart;
      return compat.showAd("rewarded", undefined, onStart).then(
        function (result) {
          return !!result.rewarded;
        },
        function () {
          return false;
        }
      );
    },
    happyTime: function (intensity) {
      fraction(intensity);
    },
    shareableURL: function (params) {
      return Promise.resolve(compat.shareLink(params));
    },
    getURLParam: function (name) {
      var query = compat.launch().query || {};
      return query[name] || new URLSearchParams(location.search).get(name) || "";
    },
    getLanguage: function () {
      return String(compat.launch().locale || navigator.language).split("-")[0];
    },
    isAdBlocked: function () {
      return false;
    },
    captureError: function (error) {
      console.error("PokiSDK.captureError", error);
    },
    measure: function () {},
    displayAd: function () {},
    destroyAd: function () {},
  };
})();
