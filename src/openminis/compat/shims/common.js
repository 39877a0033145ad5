/*
 * The part every platform's shim shares: it runs after minis-sdk.js and before the shim itself,
 * in the one script the platform serves at /sdk/compat/<platform>.js (docs/compat.md, "The
 * shims"). The platform puts the app's ad units before it, as window.__minisCompatUnits,
 * because other platforms' games never name an openminis ad unit.
 */
// @ts-check
(function () {
  "use strict";

  var units = window.__minisCompatUnits || {};
  // A cloud-save value holds 64 KiB of JSON: a piece of a long text is at most 60 000 bytes of it.
  var CHUNK_CHARS = 60000;
  var CHUNK_BYTES = 60000;
  var hostMatch = /(?:^#|&)minis-host=([^&]*)/.exec(location.hash);
  var hostOrigin = hostMatch ? decodeURIComponent(hostMatch[1]) : location.origin;
  /** @type {Promise<any> | null} */
  var started = null;

  // The shim starts the SDK itself (other platforms' games never call minis.init), at most once.
  function start() {
    if (!started) {
      started = minis.init();
      started.catch(function () {
        started = null;
      });
    }
    return started;
  }

  function launch() {
    return minis.getLaunchInfo() || { appId: location.hostname.split(".")[0], query: {}, locale: navigator.language, source: "direct" };
  }

  /** @param {Record<string, string>} [params] */
  function shareLink(params) {
    var query = new URLSearchParams(params || {}).toString();
    return hostOrigin + "/play/" + encodeURIComponent(launch().appId) + (query ? "?" + query : "");
  }

  /** @param {string} text */
  function bytes(text) {
    return new TextEncoder().encode(text).length;
  }

  /**
   * Shows an ad of the app's unit of that format (or the unit given) and resolves with the SDK's
   * {rewarded}; rejects NO_FILL when the app has no such unit.
   * @param {"rewarded" | "interstitial"} format
   * @param {string} [unitId]
   * @param {() => void} [onStart] called once the ad is loaded, just before it shows
   */
  function showAd(format, unitId, onStart) {
    var unit = unitId || units[format];
    if (!unit) {
      return Promise.reject(new minis.MinisError("NO_FILL", "the app has no active " + format + " ad unit"));
    }
    var chosen = unit;
    return start().then(function () {
      var ad = format === "rewarded" ? minis.ads.createRewarded(chosen) : minis.ads.createInterstitial(chosen);
      return ad.load().then(function () {
        if (onStart) onStart();
        return ad.show();
      });
    });
  }

  // A text of any length in cloud save: chunks under `key.N`, then `key` = {chunks, bytes}, written
  // last, so a save cut short leaves the previous one readable. Saves of one key run one at a time.
  /** @type {Record<string, Promise<unknown>>} */
  var saving = {};

  /**
   * The text in pieces whose JSON is at most CHUNK_BYTES, never splitting a surrogate pair (the
   * platform refuses a lone surrogate).
   * @param {string} text
   */
  function split(text) {
    var parts = [];
    var at = 0;
    while (at < text.length) {
      var size = CHUNK_CHARS;
      var part = text.slice(at, at + size);
      while (size > 1 && bytes(JSON.stringify(part)) > CHUNK_BYTES) {
        size = Math.ceil(size / 2);
        part = text.slice(at, at + size);
      }
      var last = part.charCodeAt(part.length - 1);
      if (part.length > 1 && last >= 0xd800 && last <= 0xdbff) part = part.slice(0, -1);
      parts.push(part);
      at += part.length;
    }
    return parts;
  }

  /**
   * @param {string} key
   * @param {string} text
   */
  function writeText(key, text) {
    var parts = split(text);
    var writes = parts.map(function (part, index) {
      return minis.storage.set(key + "." + index, part);
    });
    return Promise.all(writes)
      .then(function () {
        return minis.storage.get(key);
      })
      .then(function (/** @type {any} */ previous) {
        return minis.storage.set(key, { chunks: parts.length, bytes: bytes(text) }).then(function () {
          var removes = [];
          for (var index = parts.length; previous && index < previous.chunks; index++) {
            removes.push(minis.storage.remove(key + "." + index));
          }
          return Promise.all(removes);
        });
      })
      .then(function () {});
  }

  /**
   * @param {string} key
   * @param {string} text
   * @returns {Promise<void>}
   */
  function saveText(key, text) {
    var run = (saving[key] || Promise.resolve())
      .catch(function () {})
      .then(function () {
        return writeText(key, text);
      });
    saving[key] = run;
    return run;
  }

  /**
   * @param {string} key
   * @returns {Promise<string | null>}
   */
  function loadText(key) {
    return minis.storage.get(key).then(function (/** @type {any} */ index) {
      if (!index || typeof index.chunks !== "number") return null;
      var reads = [];
      for (var at = 0; at < index.chunks; at++) reads.push(minis.storage.get(key + "." + at));
      return Promise.all(reads).then(function (chunks) {
        return chunks.join("");
      });
    });
  }

  /**
   * Key-value data kept in memory (platforms whose storage reads are synchronous) and saved to
   * cloud save in the background, one save at a time, the newest state winning.
   * @param {string} key
   * @param {number} maxBytes
   */
  function Store(key, maxBytes) {
    /** @type {Record<string, any>} */
    var data = {};
    var writing = Promise.resolve();
    var generation = 0;
    var loaded = start()
      .then(function () {
        return loadText(key);
      })
      .then(function (text) {
        data = text ? JSON.parse(text) : {};
      });

    return {
      loaded: loaded,
      data: function () {
        return data;
      },
      /**
       * Applies `change` to a copy; refuses (throws STORAGE_QUOTA_EXCEEDED) a result over maxBytes.
       * @param {(copy: Record<string, any>) => void} change
       */
      change: function (change) {
        var copy = JSON.parse(JSON.stringify(data));
        change(copy);
        var text = JSON.stringify(copy);
        if (bytes(text) > maxBytes) {
          throw new minis.MinisError("STORAGE_QUOTA_EXCEEDED", "over " + maxBytes + " bytes in all");
        }
        data = copy;
        var mine = ++generation;
        writing = writing
          .catch(function () {})
          .then(function () {
            if (mine === generation) return saveText(key, text);
          });
        return writing;
      },
      flushed: function () {
        return writing;
      },
    };
  }

  // Games for these platforms keep progress in localStorage. In a frame the browser counts as a
  // third party (the apps' domain is not the host's), it may deny storage to the app's origin; the
  // game then gets a localStorage kept in cloud save instead, read before the platform's init
  // resolves. Its methods work (getItem, setItem, removeItem, clear, key, length); reading a key as
  // a property (localStorage.best) does not.
  function localStorageDenied() {
    try {
      return !window.localStorage;
    } catch (error) {
      return true;
    }
  }

  function cloudLocalStorage() {
    var store = Store("compat.localStorage", 1000 * 1000);
    /** @param {Promise<unknown>} saving */
    function logged(saving) {
      saving.catch(function (error) {
        console.error("localStorage: not saved", error);
      });
    }
    var storage = {
      getItem: function (/** @type {string} */ key) {
        var value = store.data()[String(key)];
        return value === undefined ? null : value;
      },
      setItem: function (/** @type {string} */ key, /** @type {unknown} */ value) {
        logged(
          store.change(function (copy) {
            copy[String(key)] = String(value);
          })
        );
      },
      removeItem: function (/** @type {string} */ key) {
        logged(
          store.change(function (copy) {
            delete copy[String(key)];
          })
        );
      },
      clear: function () {
        logged(
          store.change(function (copy) {
            Object.keys(copy).forEach(function (key) {
              delete copy[key];
            });
          })
        );
      },
      key: function (/** @type {number} */ index) {
        var keys = Object.keys(store.data());
        return index >= 0 && index < keys.length ? keys[index] : null;
      },
      get length() {
        return Object.keys(store.data()).length;
      },
    };
    Object.defineProperty(window, "localStorage", { value: storage, configurable: true });
    return store.loaded;
  }

  var localStorageReady = localStorageDenied() ? cloudLocalStorage() : Promise.resolve();

  /** minis.init, and localStorage ready to read: what every platform's init waits for. */
  function ready() {
    return Promise.all([start(), localStorageReady]).then(function (both) {
      return both[0];
    });
  }

  // The runtime log (docs/compat.md, "The runtime log"): the first call in a page of each API the
  // shim supports only partly or not at all writes one console warning, which the platform's
  // checks collect, and tells the host, whose `minis dev` call log shows it.
  var LOG_PREFIX = "[minis compat]";
  var LEVELS = { partly: "partly supported", not: "not supported" };
  /** @type {Record<string, true>} */
  var logged = {};
  // The shim's requests count down from the largest id, so they never meet the SDK's, which count
  // up from 1: the host's answer to one finds no request of the SDK's and is ignored.
  var nextLogId = Number.MAX_SAFE_INTEGER;

  /**
   * @param {string} api the API as the game names it: FBInstant.matchPlayerAsync
   * @param {"partly" | "not"} level
   * @param {string} how what the shim does instead, or why not
   */
  function used(api, level, how) {
    if (logged[api]) return;
    logged[api] = true;
    console.warn(LOG_PREFIX + " " + api + ": " + LEVELS[level] + ": " + how);
    if (!hostMatch || window.parent === window) return;
    try {
      window.parent.postMessage(
        { __minis: 1, type: "request", id: nextLogId--, method: "compat.used", params: { api: api, level: level } },
        hostOrigin
      );
    } catch (error) {
      // A host origin the browser refuses: the console line is the log then.
    }
  }

  /**
   * Puts `used` in front of each listed API of the platform's global (its functions, found by
   * their path under it). An API the shim leaves out (WeChat's wx.request) stays undefined, as the
   * game's feature checks expect, but reading it is logged. The platform serves this call after
   * the shim, from the support levels of its table (origin_sdks.py). Returns the APIs it could
   * not watch (no object to hold them, or a value that is not a function).
   * @param {string} global the platform's global: FBInstant, CrazyGames.SDK
   * @param {Record<string, ["partly" | "not", string]>} apis path under the global -> [level, how]
   * @returns {string[]}
   */
  function watch(global, apis) {
    /** @param {any} from @param {string[]} path */
    function find(from, path) {
      return path.reduce(function (/** @type {any} */ at, /** @type {string} */ name) {
        return at === null || at === undefined ? undefined : at[name];
      }, from);
    }
    var root = find(window, global.split("."));
    var missing = [];
    for (var path in apis) {
      var names = path.split(".");
      var name = /** @type {string} */ (names.pop());
      var owner = find(root, names);
      if (owner === null || typeof owner !== "object" || Object.isFrozen(owner)) {
        missing.push(path);
      } else if (typeof owner[name] === "function") {
        owner[name] = wrapped(global + "." + path, apis[path], owner[name]);
      } else if (!(name in owner)) {
        Object.defineProperty(owner, name, { get: absent(global + "." + path, apis[path]), configurable: true });
      } else {
        missing.push(path);
      }
    }
    return missing;
  }

  /**
   * @param {string} api
   * @param {["partly" | "not", string]} support
   * @param {Function} original
   */
  function wrapped(api, support, original) {
    /** @this {any} */
    return function () {
      used(api, support[0], support[1]);
      return original.apply(this, arguments);
    };
  }

  /**
   * @param {string} api
   * @param {["partly" | "not", string]} support
   */
  function absent(api, support) {
    return function () {
      used(api, support[0], support[1]);
      return undefined;
    };
  }

  window.__minisCompat = Object.freeze({
    used: used,
    watch: watch,
    ready: ready,
    start: start,
    launch: launch,
    shareLink: shareLink,
    showAd: showAd,
    saveText: saveText,
    loadText: loadText,
    bytes: bytes,
    Store: Store,
  });
})();
