/* YouTube Playables' ytgame over minis-sdk.js: docs/compat.md lists what each call does here. */
// @ts-check
(function () {
  "use strict";
  var compat = window.__minisCompat;
  var SAVE_KEY = "compat.playables.save";
  var MAX_SAVE_BYTES = 3 * 1024 * 1024; // Playables' own limit; the platform's cloud save may hold less
  /** @type {Array<(enabled: boolean) => void>} */
  var audioListeners = [];

  compat.ready();

  /**
   * @param {Function} subscribe
   * @param {Function} callback
   */
  function listen(subscribe, callback) {
    if (typeof callback !== "function") throw new TypeError("a callback function is needed");
    return subscribe(function () {
      callback();
    });
  }

  /** @param {boolean} enabled */
  function audio(enabled) {
    audioListeners.slice().forEach(function (listener) {
      listener(enabled);
    });
  }
  minis.onHide(function () {
    audio(false);
  });
  minis.onShow(function () {
    audio(true);
  });

  window.ytgame = {
    SDK_VERSION: "1.0.0-openminis",
    IN_PLAYABLES_ENV: true,
    game: {
      firstFrameReady: function () {
        compat.ready().then(function () {
          minis.setLoadingProgress(100);
        });
      },
      gameReady: function () {
        compat.ready().then(function () {
          return minis.ready();
        });
      },
      loadData: function () {
        return compat
          .start()
          .then(function () {
            return compat.loadText(SAVE_KEY);
          })
          .then(function (text) {
            return text || "";
          });
      },
      saveData: function (data) {
        if (typeof data !== "string") return Promise.reject(new TypeError("saveData: data must be a string"));
        if (compat.bytes(data) > MAX_SAVE_BYTES) {
          return Promise.reject(new minis.MinisError("STORAGE_QUOTA_EXCEEDED", "saveData: over 3 MiB"));
        }
        return compat.ready().then(function () {
          return compat.saveText(SAVE_KEY, data);
        }).then(function () {});
      },
    },
    system: {
      isAudioEnabled: function () {
        return minis.isVisible();
      },
      onAudioEnabledChange: function (callback) {
        if (typeof callback !== "function") throw new TypeError("a callback function is needed");
        audioListeners.push(callback);
        return function () {
          var at = audioListeners.indexOf(callback);
          if (at >= 0) audioListeners.splice(at, 1);
        };
      },
      onPause: function (callback) {
        return listen(minis.onHide, callback);
      },
      onResume: function (callback) {
        return listen(minis.onShow, callback);
      },
      getLanguage: function () {
        return compat.ready().then(function () {
          return String(compat.launch().locale || navigator.language);
        });
      },
    },
    engagement: {
      sendScore: function (score) {
        var value = score && score.value;
        if (typeof value !== "number" || value % 1 !== 0) {
          return Promise.reject(new TypeError("sendScore: {value} must be an integer"));
        }
        var board = (window.__minisCompatBoards || [])[0];
        return compat.ready().then(function () {
          // Also on the app's first leaderboard when it has one (with client_scores, as for any app).
          var posted = board
            ? minis.leaderboard.submit(board, value).catch(function (/** @type {any} */ error) {
                console.warn("ytgame.engagement.sendScore: not on the leaderboard", error);
              })
            : Promise.resolve();
          return posted.then(function () {
            return minis.storage.get("compat.playables.score");
          }).then(function (best) {
            if (typeof best !== "number" || value > best) return minis.storage.set("compat.playables.score", value);
          });
        });
      },
      openYTContent: function () {
        return Promise.reject(new Error("ytgame.engagement.openYTContent is not supported on openminis"));
      },
    },
    health: {
      logError: function () {
        console.error("ytgame.health.logError");
      },
      logWarning: function () {
        console.warn("ytgame.health.logWarning");
      },
    },
    ads: {
      // Playables' contract: resolves once the ad is over, or at once when none could show.
      requestInterstitialAd: function () {
        return compat.showAd("interstitial").then(
          function () {},
          function () {}
        );
      },
    },
  };
})();
