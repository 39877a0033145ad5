/* Facebook Instant Games' FBInstant 8.0 over minis-sdk.js: docs/compat.md lists each call. */
// @ts-check
(function () {
  "use strict";
  var compat = window.__minisCompat;
  var NOT_YET = "not supported yet on openminis: leaderboards, contexts and sharing are coming to its SDK";
  var PLAYER_BYTES = 1000 * 1000; // FB's limit on a player's data
  var UNCONSUMED = "compat.fbinstant.unconsumed";
  /** @type {any} */
  var info = null;
  /** @type {MinisCompatStore | null} */
  var player = null;
  /** @type {Array<Function>} */
  var readyCallbacks = [];

  /**
   * FB's errors are plain objects {code, message}.
   * @param {string} code
   * @param {string} message
   */
  function fbError(code, message) {
    return { code: code, message: message };
  }

  /** @param {any} error an SDK error */
  function asFbError(error) {
    var codes = {
      USER_CANCELLED: "USER_INPUT",
      USER_DENIED: "USER_INPUT",
      NO_FILL: "ADS_NO_FILL",
      FREQUENCY_CAPPED: "ADS_FREQUENT_LOAD",
      INTERVAL_NOT_ELAPSED: "ADS_FREQUENT_LOAD",
      INVALID_ARGUMENT: "INVALID_PARAM",
      NOT_FOUND: "INVALID_PARAM",
      TIMEOUT: "NETWORK_FAILURE",
    };
    var code = error && /** @type {any} */ (codes)[error.code];
    return fbError(code || "UNKNOWN", String((error && error.message) || error));
  }

  /** @param {string} what */
  function notYet(what) {
    return Promise.reject(fbError("CLIENT_UNSUPPORTED_OPERATION", what + ": " + NOT_YET));
  }

  /** @param {string} what */
  function unsupported(what) {
    return Promise.reject(fbError("CLIENT_UNSUPPORTED_OPERATION", what + " is not supported on openminis"));
  }

  function initialized() {
    if (!info) throw fbError("INVALID_OPERATION", "call FBInstant.initializeAsync() first");
  }

  // The signed launch data is a query string the platform signed; its openid is the player's id.
  function openid() {
    var data = info && info.initData;
    return data ? new URLSearchParams(data).get("openid") : null;
  }

  /** @returns {MinisCompatStore} */
  function store() {
    if (!player) player = compat.Store("compat.fbinstant.player", PLAYER_BYTES);
    return player;
  }

  /**
   * @param {"rewarded" | "interstitial"} format
   * @param {unknown} placementId
   */
  function AdInstance(format, placementId) {
    var loaded = false;
    // A placement id that is one of the app's ad units is used as is; FB's own ids are not.
    var unit = typeof placementId === "string" && /^au_[A-Za-z0-9_-]{1,29}$/.test(placementId) ? placementId : undefined;
    return {
      getPlacementID: function () {
        return String(placementId);
      },
      loadAsync: function () {
        loaded = true;
        return Promise.resolve();
      },
      showAsync: function () {
        if (!loaded) return Promise.reject(fbError("ADS_NOT_LOADED", "call loadAsync() first"));
        loaded = false;
        return compat.showAd(format, unit).then(
          function (result) {
            if (format === "rewarded" && !result.rewarded) {
              throw fbError("USER_INPUT", "the ad was closed before its end: no reward");
            }
          },
          function (error) {
            throw asFbError(error);
          }
        );
      },
    };
  }

  /**
   * @param {any} product from minis.getProducts()
   */
  function catalogItem(product) {
    return {
      productID: product.id,
      title: product.title,
      description: "",
      imageURI: "",
      price: product.price + " coins",
      priceCurrencyCode: "COIN",
      priceAmount: product.price,
    };
  }

  /**
   * @param {string} productId
   * @param {string} orderId
   * @param {string} payload
   * @param {number} time
   */
  function purchase(productId, orderId, payload, time) {
    return {
      productID: productId,
      paymentID: orderId,
      purchaseToken: orderId,
      purchaseTime: String(Math.floor(time / 1000)),
      developerPayload: payload,
      signedRequest: info && info.initData ? info.initData : "",
    };
  }

  /** @returns {Promise<any[]>} */
  function unconsumed() {
    return minis.storage.get(UNCONSUMED).then(function (list) {
      return Array.isArray(list) ? list : [];
    });
  }

  var SUPPORTED = [
    "initializeAsync",
    "setLoadingProgress",
    "startGameAsync",
    "getLocale",
    "getPlatform",
    "getSDKVersion",
    "getSupportedAPIs",
    "getEntryPointData",
    "getEntryPointAsync",
    "setSessionData",
    "onPause",
    "quit",
    "logEvent",
    "getInterstitialAdAsync",
    "getRewardedVideoAsync",
    "player.getID",
    "player.getDataAsync",
    "player.setDataAsync",
    "player.flushDataAsync",
    "player.getSignedPlayerInfoAsync",
    "player.canSubscribeBotAsync",
    "payments.onReady",
    "payments.getCatalogAsync",
    "payments.purchaseAsync",
    "payments.getPurchasesAsync",
    "payments.consumePurchaseAsync",
    "context.getID",
    "context.getType",
    "context.isSizeBetween",
    "canCreateShortcutAsync",
  ];

  window.FBInstant = {
    initializeAsync: function () {
      return compat.ready().then(function (launch) {
        info = launch;
        var callbacks = readyCallbacks;
        readyCallbacks = [];
        callbacks.forEach(function (callback) {
          callback();
        });
        return store().loaded;
      });
    },
    setLoadingProgress: function (percent) {
      var number = Number(percent);
      if (isFinite(number)) minis.setLoadingProgress(Math.min(100, Math.max(0, number)));
    },
    startGameAsync: function () {
      initialized();
      return minis.ready();
    },
    getLocale: function () {
      return info ? String(info.locale || "en-US").replace("-", "_") : null;
    },
    getPlatform: function () {
      return info ? "WEB" : null;
    },
    getSDKVersion: function () {
      return "8.0";
    },
    getSupportedAPIs: function () {
      return SUPPORTED.slice();
    },
    getEntryPointData: function () {
      var raw = info && info.query && info.query.entry_data;
      try {
        return raw ? JSON.parse(raw) : null;
      } catch (error) {
        return null;
      }
    },
    getEntryPointAsync: function () {
      return compat.ready().then(function (launch) {
        return String(launch.source || "");
      });
    },
    setSessionData: function () {},
    onPause: function (callback) {
      minis.onHide(function () {
        callback();
      });
    },
    quit: function () {
      minis.exit();
    },
    logEvent: function (name, value, parameters) {
      if (typeof name !== "string" || !/^[A-Za-z0-9_-]{2,40}$/.test(name)) {
        return fbError("INVALID_PARAM", "logEvent: a name of 2-40 characters of A-Z a-z 0-9 _ -");
      }
      console.info("FBInstant.logEvent", name, value, parameters);
      return null;
    },
    getInterstitialAdAsync: function (placementId) {
      return Promise.resolve(AdInstance("interstitial", placementId));
    },
    getRewardedVideoAsync: function (placementId) {
      return Promise.resolve(AdInstance("rewarded", placementId));
    },
    getRewardedInterstitialAsync: function () {
      return unsupported("getRewardedInterstitialAsync");
    },
    getLeaderboardAsync: function () {
      return notYet("getLeaderboardAsync");
    },
    shareAsync: function () {
      return notYet("shareAsync");
    },
    updateAsync: function () {
      return notYet("updateAsync");
    },
    inviteAsync: function () {
      return notYet("inviteAsync");
    },
    switchGameAsync: function () {
      return unsupported("switchGameAsync");
    },
    canCreateShortcutAsync: function () {
      return Promise.resolve(false);
    },
    createShortcutAsync: function () {
      return unsupported("createShortcutAsync");
    },
    checkCanPlayerMatchAsync: function () {
      return notYet("checkCanPlayerMatchAsync");
    },
    matchPlayerAsync: function () {
      return notYet("matchPlayerAsync");
    },
    getTournamentAsync: function () {
      return notYet("getTournamentAsync");
    },
    tournament: {
      createAsync: function () {
        return notYet("tournament.createAsync");
      },
      postScoreAsync: function () {
        return notYet("tournament.postScoreAsync");
      },
    },
    graphApi: {
      requestAsync: function () {
        return unsupported("graphApi.requestAsync");
      },
    },
    player: {
      getID: function () {
        return openid();
      },
      getName: function () {
        return null;
      },
      getPhoto: function () {
        return null;
      },
      getDataAsync: function (keys) {
        if (!Array.isArray(keys)) return Promise.reject(fbError("INVALID_PARAM", "getDataAsync: an array of keys"));
        return store().loaded.then(function () {
          var data = store().data();
          /** @type {Record<string, any>} */
          var found = {};
          keys.forEach(function (key) {
            if (Object.prototype.hasOwnProperty.call(data, key)) found[key] = data[key];
          });
          return found;
        });
      },
      setDataAsync: function (values) {
        if (!values || typeof values !== "object" || Array.isArray(values)) {
          return Promise.reject(fbError("INVALID_PARAM", "setDataAsync: an object of keys and values"));
        }
        return store().loaded.then(function () {
          try {
            store()
              .change(function (copy) {
                Object.keys(values).forEach(function (key) {
                  copy[key] = values[key];
                });
              })
              .catch(function (error) {
                console.error("FBInstant.player.setDataAsync: not saved", error);
              });
          } catch (error) {
            throw fbError("INVALID_PARAM", "setDataAsync: the player's data would be over 1 MB");
          }
        });
      },
      flushDataAsync: function () {
        return store().loaded.then(function () {
          return store().flushed();
        }).catch(function (error) {
          throw asFbError(error);
        });
      },
      getSignedPlayerInfoAsync: function (payload) {
        return compat.ready().then(function (launch) {
          info = info || launch;
          return {
            getPlayerID: function () {
              return openid();
            },
            getSignature: function () {
              return launch.initData;
            },
            payload: payload === undefined ? null : payload,
          };
        });
      },
      getStatsAsync: function () {
        return unsupported("player.getStatsAsync");
      },
      setStatsAsync: function () {
        return unsupported("player.setStatsAsync");
      },
      incrementStatsAsync: function () {
        return unsupported("player.incrementStatsAsync");
      },
      getConnectedPlayersAsync: function () {
        return notYet("player.getConnectedPlayersAsync");
      },
      canSubscribeBotAsync: function () {
        return Promise.resolve(false);
      },
      subscribeBotAsync: function () {
        return unsupported("player.subscribeBotAsync");
      },
    },
    context: {
      getID: function () {
        return null;
      },
      getType: function () {
        return "SOLO";
      },
      isSizeBetween: function () {
        return null;
      },
      switchAsync: function () {
        return notYet("context.switchAsync");
      },
      chooseAsync: function () {
        return notYet("context.chooseAsync");
      },
      createAsync: function () {
        return notYet("context.createAsync");
      },
      getPlayersAsync: function () {
        return notYet("context.getPlayersAsync");
      },
    },
    payments: {
      onReady: function (callback) {
        if (info) callback();
        else readyCallbacks.push(callback);
      },
      getCatalogAsync: function () {
        return compat.ready().then(function () {
          return minis.getProducts();
        }).then(function (products) {
          return products.map(catalogItem);
        }, function (error) {
          throw asFbError(error);
        });
      },
      purchaseAsync: function (options) {
        if (!options || typeof options.productID !== "string") {
          return Promise.reject(fbError("INVALID_PARAM", "purchaseAsync: {productID, developerPayload?}"));
        }
        var payload = options.developerPayload === undefined ? "" : String(options.developerPayload);
        return compat
          .start()
          .then(function () {
            return Promise.all([minis.pay({ productId: options.productID, payload: payload }), minis.getProducts()]);
          })
          .then(function (answers) {
            var paid = answers[0];
            var made = purchase(paid.productId, paid.orderId, payload, Date.now());
            var product = answers[1].filter(function (/** @type {any} */ item) {
              return item.id === paid.productId;
            })[0];
            if (!product || product.type !== "consumable") return made;
            // FB's consumables wait to be consumed; the platform granted it when it was paid.
            return unconsumed().then(function (list) {
              return minis.storage.set(UNCONSUMED, list.concat([made])).then(function () {
                return made;
              });
            });
          }, function (error) {
            throw asFbError(error);
          });
      },
      getPurchasesAsync: function () {
        return compat
          .start()
          .then(function () {
            return Promise.all([minis.getPurchases(), unconsumed()]);
          })
          .then(function (answers) {
            var owned = answers[0].map(function (/** @type {any} */ item) {
              return purchase(item.productId, item.orderId, "", Date.parse(item.grantedAt) || Date.now());
            });
            return owned.concat(answers[1]);
          }, function (error) {
            throw asFbError(error);
          });
      },
      consumePurchaseAsync: function (token) {
        return compat.ready().then(function () {
          return unconsumed();
        }).then(function (list) {
          var left = list.filter(function (/** @type {any} */ item) {
            return item.purchaseToken !== token;
          });
          if (left.length === list.length) throw fbError("INVALID_PARAM", "no unconsumed purchase with this token");
          return minis.storage.set(UNCONSUMED, left);
        });
      },
      purchaseSubscriptionAsync: function () {
        return unsupported("payments.purchaseSubscriptionAsync");
      },
    },
  };
})();
