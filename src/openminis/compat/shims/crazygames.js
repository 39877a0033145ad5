/* CrazyGames' SDK v3 (window.CrazyGames.SDK) over minis-sdk.js: docs/compat.md lists each call. */
// @ts-check
(function () {
  "use strict";
  var compat = window.__minisCompat;
  /** @type {MinisCompatStore | null} */
  var store = null;
  /** @type {Array<Function>} */
  var settingsListeners = [];
  /** @type {Array<Function>} */
  var authListeners = [];

  /** @param {string} what */
  function unsupported(what) {
    return Promise.reject(new Error(what + " is not supported on openminis"));
  }

  // A background save that failed is told on the console; the game's call returned long ago.
  /** @param {Promise<unknown>} saving */
  function logged(saving) {
    saving.catch(function (error) {
      console.error("CrazyGames.SDK.data: not saved", error);
    });
  }

  /** @returns {MinisCompatStore} */
  function data() {
    if (!store) throw new Error("CrazyGames.SDK.data: call and await CrazyGames.SDK.init() first");
    return store;
  }

  /** @param {Array<Function>} list @param {Function} listener */
  function remove(list, listener) {
    var at = list.indexOf(listener);
    if (at >= 0) list.splice(at, 1);
  }

  var SDK = {
    environment: "crazygames",
    isQaTool: false,
    init: function () {
      return compat.ready().then(function () {
        if (!store) store = compat.Store("compat.crazygames", 1000 * 1000);
        return store.loaded;
      });
    },
    ad: {
      requestAd: function (type, callbacks) {
        callbacks = callbacks || {};
        /** @type {"rewarded" | "interstitial"} */
        var format = type === "rewarded" ? "rewarded" : "interstitial";
        function fail(/** @type {any} */ error) {
          if (callbacks.adError) callbacks.adError({ code: error && error.code === "NO_FILL" ? "unfilled" : "other", message: String(error && error.message) });
        }
        return compat.showAd(format, undefined, callbacks.adStarted).then(function (result) {
          if (format === "interstitial" || result.rewarded) {
            if (callbacks.adFinished) callbacks.adFinished();
          } else {
            fail({ code: "other", message: "the ad was closed before its end" });
          }
        }, fail);
      },
      hasAdblock: function () {
        return Promise.resolve(false);
      },
      prefetchAd: function () {},
    },
    banner: {
      requestBanner: function () {
        return unsupported("CrazyGames.SDK.banner.requestBanner");
      },
      requestResponsiveBanner: function () {
        return unsupported("CrazyGames.SDK.banner.requestResponsiveBanner");
      },
      clearBanner: function () {},
      clearAllBanners: function () {},
    },
    game: {
      settings: Object.freeze({ disableChat: false, muteAudio: false }),
      isInstantMultiplayer: false,
      gameplayStart: function () {},
      gameplayStop: function () {},
      loadingStart: function () {
        minis.setLoadingProgress(0);
      },
      loadingStop: function () {
        return compat.ready().then(function () {
          return minis.ready();
        });
      },
      happytime: function () {},
      inviteLink: function (params) {
        return compat.shareLink(params);
      },
      getInviteParam: function (name) {
        return (compat.launch().query || {})[name] || null;
      },
      showInviteButton: function (params) {
        return compat.shareLink(params);
      },
      hideInviteButton: function () {},
      addSettingsChangeListener: function (listener) {
        settingsListeners.push(listener);
      },
      removeSettingsChangeListener: function (listener) {
        remove(settingsListeners, listener);
      },
    },
    user: {
      isUserAccountAvailable: false,
      systemInfo: {
        countryCode: "",
        locale: navigator.language,
        device: { type: matchMedia("(pointer: coarse)").matches ? "mobile" : "desktop" },
        os: { name: navigator.platform, version: "" },
        browser: { name: "", version: "" },
        applicationType: "web",
      },
      getUser: function () {
        return Promise.resolve(null);
      },
      showAuthPrompt: function () {
        return unsupported("CrazyGames.SDK.user.showAuthPrompt (use minis.login)");
      },
      showAccountLinkPrompt: function () {
        return unsupported("CrazyGames.SDK.user.showAccountLinkPrompt");
      },
      getUserToken: function () {
        return unsupported("CrazyGames.SDK.user.getUserToken (use minis.login)");
      },
      getXsollaUserToken: function () {
        return unsupported("CrazyGames.SDK.user.getXsollaUserToken");
      },
      addAuthListener: function (listener) {
        authListeners.push(listener);
      },
      removeAuthListener: function (listener) {
        remove(authListeners, listener);
      },
    },
    // Synchronous, like CrazyGames' own (a localStorage of strings); saved in the background.
    data: {
      getItem: function (key) {
        var value = data().data()[String(key)];
        return value === undefined ? null : value;
      },
      setItem: function (key, value) {
        logged(
          data().change(function (copy) {
            copy[String(key)] = String(value);
          })
        );
      },
      removeItem: function (key) {
        logged(
          data().change(function (copy) {
            delete copy[String(key)];
          })
        );
      },
      clear: function () {
        logged(
          data().change(function (copy) {
            Object.keys(copy).forEach(function (key) {
              delete copy[key];
            });
          })
        );
      },
    },
  };
  window.CrazyGames = { SDK: SDK };
})();
