/* Facebook Instant Games' FBInstant 8.0 over minis-sdk.js: docs/compat.md lists each call. */
// @ts-check
(function () {
  "use strict";
  var compat = window.__minisCompat;
  var BOARDS = window.__minisCompatBoards || [];
  var WEEK_SECONDS = 7 * 24 * 3600; // FB's tournament length when the game names no end
  var PLAYER_BYTES = 1000 * 1000; // FB's limit on a player's data
  var UNCONSUMED = "compat.fbinstant.unconsumed";
  /** @type {any} */
  var info = null;
  /** @type {MinisCompatStore | null} */
  var player = null;
  /** @type {Array<Function>} */
  var readyCallbacks = [];
  /** @type {any} the launch's context as minis.context.get() last told it (null: solo) */
  var contextInfo = null;

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
      NETWORK_ERROR: "NETWORK_FAILURE",
      RATE_LIMITED: "RATE_LIMITED",
      CLIENT_SCORES_OFF: "INVALID_OPERATION",
      TOURNAMENT_ENDED: "INVALID_OPERATION",
      NOT_ALLOWED: "INVALID_OPERATION",
    };
    var code = error && /** @type {any} */ (codes)[error.code];
    return fbError(code || "UNKNOWN", String((error && error.message) || error));
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


  // Contexts: the people who came through one share chain, or one tournament (docs/social.md).
  function contextId() {
    var options = minis.getLaunchOptions();
    return options ? options.context : null;
  }

  /** @returns {Promise<any>} the launch's context, asked again (null: solo) */
  function refreshContext() {
    return compat.start().then(function () {
      return minis.context.get();
    }).then(function (found) {
      contextInfo = found;
      return found;
    });
  }

  function contextType() {
    if (!contextId()) return "SOLO";
    return contextInfo && contextInfo.id === contextId() && contextInfo.type === "tournament" ? "GROUP" : "THREAD";
  }

  /**
   * @param {any} data FB's share payload: it reaches whoever opens the link as getEntryPointData()
   * @returns {Record<string, string>}
   */
  function entryQuery(data) {
    if (data === undefined || data === null) return {};
    var text = JSON.stringify(data);
    if (text === undefined) throw fbError("INVALID_PARAM", "data: a JSON value");
    return { entry_data: text };
  }

  /** @param {unknown} text */
  function shareTitle(text) {
    var title = typeof text === "string" && text.trim() ? text.trim() : document.title || "Play with me";
    return title.slice(0, 120);
  }

  /**
   * The host's share sheet for a link into the person's context (a new one when solo); resolves
   * when the sheet closes, the person then in that context.
   * @param {any} options {text?, data?}
   */
  function shareSheet(options) {
    return compat
      .start()
      .then(function () {
        return minis.share({ title: shareTitle(options && options.text), query: entryQuery(options && options.data) });
      })
      .then(refreshContext)
      .then(function () {}, function (error) {
        throw error && error.code && !(error instanceof minis.MinisError) ? error : asFbError(error);
      });
  }

  /** @param {any} entry from minis.leaderboard.getEntries */
  function LeaderboardEntry(entry) {
    return {
      getScore: function () {
        return entry.score;
      },
      getFormattedScore: function () {
        return entry.formatted;
      },
      getTimestamp: function () {
        return 0; // the platform does not say when a score was made
      },
      getRank: function () {
        return entry.rank;
      },
      getExtraData: function () {
        return null;
      },
      getPlayer: function () {
        return {
          getName: function () {
            return entry.name;
          },
          getPhoto: function () {
            return entry.avatarUrl;
          },
          getID: function () {
            return entry.isMe ? openid() : null;
          },
        };
      },
    };
  }

  /**
   * @param {number | undefined} count
   * @param {number | undefined} offset
   */
  function page(count, offset) {
    var size = count === undefined ? 10 : count;
    var skip = offset === undefined ? 0 : offset;
    if (!Number.isInteger(size) || size < 1 || size > 100 || !Number.isInteger(skip) || skip < 0 || size + skip > 100) {
      throw fbError("INVALID_PARAM", "count 1-100 and offset from 0, at most 100 entries in all");
    }
    return { size: size, skip: skip };
  }

  /**
   * FB's Leaderboard over a board of the app; a contextual one (FB's `name.contextID`) reads the
   * people of the launch's context.
   * @param {string} name what the game asked for
   * @param {string} board the board's id
   * @param {string | null} context
   */
  function Leaderboard(name, board, context) {
    /**
     * @param {"global" | "around_me" | "context"} scope
     * @param {number} limit
     * @returns {Promise<any>}
     */
    function entries(scope, limit) {
      if (context && context !== contextId()) {
        return Promise.reject(fbError("LEADERBOARD_WRONG_CONTEXT", name + " belongs to another context"));
      }
      return minis.leaderboard.getEntries(board, { scope: context ? "context" : scope, limit: limit }).catch(leaderboardError);
    }
    function mine() {
      return entries("around_me", context ? 100 : 1).then(function (found) {
        var me = found.entries.filter(function (/** @type {any} */ entry) {
          return entry.isMe;
        })[0];
        return me ? LeaderboardEntry(me) : null;
      });
    }
    return {
      getName: function () {
        return name;
      },
      getContextID: function () {
        return context;
      },
      getEntryCountAsync: function () {
        return entries("global", 1).then(function (found) {
          return found.players;
        });
      },
      setScoreAsync: function (score) {
        if (typeof score !== "number" || !Number.isInteger(score)) {
          return Promise.reject(fbError("INVALID_PARAM", "setScoreAsync: an integer score"));
        }
        if (context && context !== contextId()) {
          return Promise.reject(fbError("LEADERBOARD_WRONG_CONTEXT", name + " belongs to another context"));
        }
        return minis.leaderboard.submit(board, score).catch(leaderboardError).then(mine);
      },
      getPlayerEntryAsync: function () {
        return mine();
      },
      getEntriesAsync: function (count, offset) {
        try {
          var wanted = page(count, offset);
        } catch (error) {
          return Promise.reject(error);
        }
        return entries("global", wanted.size + wanted.skip).then(function (found) {
          return found.entries.slice(wanted.skip).map(LeaderboardEntry);
        });
      },
      getConnectedPlayerEntriesAsync: function (count, offset) {
        try {
          var wanted = page(count, offset);
        } catch (error) {
          return Promise.reject(error);
        }
        // The people the person plays with: the launch's context; solo, the person alone.
        if (!context && !contextId()) {
          return mine().then(function (entry) {
            return entry && wanted.skip === 0 ? [entry] : [];
          });
        }
        var contextual = context ? entries("context", 100) : minis.leaderboard.getEntries(board, { scope: "context", limit: 100 }).catch(leaderboardError);
        return contextual.then(function (found) {
          return found.entries.slice(wanted.skip, wanted.skip + wanted.size).map(LeaderboardEntry);
        });
      },
    };
  }

  /** @param {any} error */
  function leaderboardError(error) {
    if (error && error.code === "NOT_FOUND") throw fbError("LEADERBOARD_NOT_FOUND", String(error.message));
    throw asFbError(error);
  }

  /**
   * @param {any} found a tournament context from minis.context.get()
   * @param {string} [title]
   * @param {unknown} [payload]
   */
  function Tournament(found, title, payload) {
    return {
      getID: function () {
        return found.id;
      },
      getContextID: function () {
        return found.id;
      },
      getEndTime: function () {
        return Math.floor(Date.parse(found.endsAt) / 1000);
      },
      getTitle: function () {
        return title === undefined ? null : title;
      },
      getPayload: function () {
        return payload === undefined ? null : payload;
      },
    };
  }

  /** @returns {Promise<any>} the launch's tournament, else rejects TOURNAMENT_NOT_FOUND */
  function currentTournament() {
    return refreshContext().then(function (found) {
      if (!found || found.type !== "tournament") {
        throw fbError("TOURNAMENT_NOT_FOUND", "the player is in no tournament: create one or open a tournament's link");
      }
      return found;
    }, function (error) {
      throw asFbError(error);
    });
  }

  /** @param {unknown} score */
  function postTournamentScore(score) {
    if (typeof score !== "number" || !Number.isInteger(score)) {
      return Promise.reject(fbError("INVALID_PARAM", "an integer score"));
    }
    return currentTournament().then(function (found) {
      return minis.leaderboard.submit(found.board, score).then(function () {}, function (error) {
        throw asFbError(error);
      });
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
    "context.chooseAsync",
    "context.createAsync",
    "context.switchAsync",
    "context.getPlayersAsync",
    "getLeaderboardAsync",
    "shareAsync",
    "inviteAsync",
    "updateAsync",
    "getTournamentAsync",
    "tournament.createAsync",
    "tournament.postScoreAsync",
    "tournament.shareAsync",
    "tournament.getTournamentsAsync",
    "tournament.joinAsync",
    "canCreateShortcutAsync",
    "createShortcutAsync",
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
        // context.getType and isSizeBetween answer synchronously: the context is read first.
        var context = launch.context ? refreshContext().catch(function () {}) : null;
        return Promise.all([store().loaded, context]).then(function () {});
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
      // Current also for a prewarmed game, which learns its share launch at the tap.
      var options = minis.getLaunchOptions();
      var raw = options && options.query ? options.query.entry_data : null;
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
    getLeaderboardAsync: function (name) {
      if (typeof name !== "string" || !name) return Promise.reject(fbError("INVALID_PARAM", "getLeaderboardAsync: a name"));
      return compat.start().then(function () {
        // FB's contextual boards are `name.contextID`: the board `name` among the context's people.
        var context = contextId();
        var suffix = context ? "." + context : null;
        var contextual = suffix && name.length > suffix.length && name.slice(-suffix.length) === suffix;
        var board = contextual && suffix ? name.slice(0, -suffix.length) : name;
        var leaderboard = Leaderboard(name, board, contextual ? context : null);
        // Whether the board exists: one entry of it.
        return minis.leaderboard.getEntries(board, { limit: 1 }).then(function () {
          return leaderboard;
        }, leaderboardError);
      });
    },
    shareAsync: function (options) {
      if (!options || typeof options !== "object") return Promise.reject(fbError("INVALID_PARAM", "shareAsync: {text, image, data?}"));
      try {
        entryQuery(options.data);
      } catch (error) {
        return Promise.reject(error);
      }
      return shareSheet(options);
    },
    updateAsync: function (payload) {
      if (!payload || typeof payload !== "object") return Promise.reject(fbError("INVALID_PARAM", "updateAsync: a payload"));
      // No custom updates: nothing is posted to the context.
      return Promise.resolve();
    },
    inviteAsync: function (options) {
      if (!options || typeof options !== "object") return Promise.reject(fbError("INVALID_PARAM", "inviteAsync: {text, image, data?}"));
      try {
        entryQuery(options.data);
      } catch (error) {
        return Promise.reject(error);
      }
      return shareSheet(options);
    },
    switchGameAsync: function () {
      return unsupported("switchGameAsync");
    },
    canCreateShortcutAsync: function () {
      return Promise.resolve(minis.canIUse("addToHomeScreen"));
    },
    // Called from the player's tap, as FB requires: minis.addToHomeScreen checks the gesture now.
    createShortcutAsync: function () {
      try {
        initialized();
      } catch (error) {
        return Promise.reject(error);
      }
      return minis.addToHomeScreen().then(
        function (answer) {
          // After the host's guide nobody knows whether the player added it: not a refusal.
          if (!answer.added && !answer.guided) throw fbError("USER_INPUT", "the player did not add the game");
        },
        function (error) {
          throw asFbError(error);
        }
      );
    },
    checkCanPlayerMatchAsync: function () {
      return unsupported("checkCanPlayerMatchAsync: no matchmaking");
    },
    matchPlayerAsync: function () {
      return unsupported("matchPlayerAsync: no matchmaking");
    },
    getTournamentAsync: function () {
      return currentTournament().then(function (found) {
        return Tournament(found);
      });
    },
    tournament: {
      createAsync: function (payload) {
        var config = (payload && payload.config) || {};
        var board = BOARDS[0];
        if (!board) return Promise.reject(fbError("INVALID_OPERATION", "tournaments need a leaderboard of the app (minis.json)"));
        var end = config.endTime === undefined ? Math.floor(Date.now() / 1000) + WEEK_SECONDS : config.endTime;
        if (typeof end !== "number" || !isFinite(end)) return Promise.reject(fbError("INVALID_PARAM", "config.endTime: unix seconds"));
        var initial = payload && payload.initialScore;
        if (initial !== undefined && (typeof initial !== "number" || !Number.isInteger(initial))) {
          return Promise.reject(fbError("INVALID_PARAM", "initialScore: an integer"));
        }
        return compat
          .start()
          .then(function () {
            return minis.tournament.create({ board: board, endsAt: new Date(end * 1000) });
          })
          .then(function () {
            return initial === undefined ? null : minis.leaderboard.submit(board, initial);
          })
          .then(refreshContext)
          .then(function (found) {
            return Tournament(found, config.title, payload && payload.data);
          }, function (error) {
            throw error && error.code && !(error instanceof minis.MinisError) ? error : asFbError(error);
          });
      },
      postScoreAsync: function (score) {
        return postTournamentScore(score);
      },
      shareAsync: function (payload) {
        var options = payload || {};
        var posted = options.score === undefined ? currentTournament() : postTournamentScore(options.score);
        return posted
          .then(function () {
            return minis.tournament.share({ query: entryQuery(options.data) });
          })
          .then(function () {}, function (error) {
            throw error && error.code && !(error instanceof minis.MinisError) ? error : asFbError(error);
          });
      },
      getTournamentsAsync: function () {
        // The tournaments the player is in that the platform tells a game about: the launch's.
        return currentTournament().then(function (found) {
          return [Tournament(found)];
        }, function () {
          return [];
        });
      },
      joinAsync: function (id) {
        return currentTournament().then(function (found) {
          if (found.id !== id) {
            throw fbError("INVALID_OPERATION", "a player joins a tournament through its link (tournament.shareAsync)");
          }
        }, function () {
          throw fbError("INVALID_OPERATION", "a player joins a tournament through its link (tournament.shareAsync)");
        });
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
        return unsupported("player.getConnectedPlayersAsync: there are no friends lists; context.getPlayersAsync names the context's people");
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
        return contextId();
      },
      getType: function () {
        return contextType();
      },
      isSizeBetween: function (min, max) {
        if (!contextId() || !contextInfo || contextInfo.id !== contextId()) return null;
        var size = contextInfo.membersCount;
        var low = typeof min === "number" ? min : null;
        var high = typeof max === "number" ? max : null;
        return { answer: (low === null || size >= low) && (high === null || size <= high), minSize: low, maxSize: high };
      },
      switchAsync: function (id) {
        if (id && id === contextId()) return Promise.reject(fbError("SAME_CONTEXT", "the player is in this context already"));
        // A context the player is in already (an earlier launch's share chain or tournament); FB's
        // switch to a friend's thread has no counterpart: no one joins a context but by its link.
        return compat.start().then(function () {
          return minis.context.switchTo(String(id)).then(
            function (found) {
              contextInfo = found;
            },
            function (error) {
              var code = error && (error.code === "NOT_FOUND" || error.code === "INVALID_ARGUMENT") ? "INVALID_PARAM" : "NETWORK_FAILURE";
              throw fbError(code, String((error && error.message) || error));
            }
          );
        });
      },
      chooseAsync: function (options) {
        return shareSheet(options || {});
      },
      createAsync: function () {
        return shareSheet({});
      },
      getPlayersAsync: function () {
        return compat.start().then(function () {
          return minis.context.getMembers();
        }).then(function (members) {
          return members.map(function (/** @type {any} */ member) {
            return {
              getID: function () {
                return null;
              },
              getName: function () {
                return member.name;
              },
              getPhoto: function () {
                return member.avatarUrl;
              },
            };
          });
        }, function (error) {
          throw asFbError(error);
        });
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
