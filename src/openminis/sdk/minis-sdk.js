/*
 * minis-sdk.js: the only channel between a mini-program and the openminis host.
 *
 * A classic script that defines the global `minis`. It speaks the postMessage protocol
 * of docs/sdk-protocol.md with the host page (the parent window); the typings for apps
 * are in minis-sdk.d.ts beside this file. Opened as a top-level page, it runs standalone.
 *
 * Type-checked against minis-sdk.d.ts (scripts/check-frontend.sh): the JSDoc below names its
 * types, and the object assigned to window.minis must match the `minis` namespace it declares.
 */
// @ts-check
/** @typedef {minis.ErrorCode} ErrorCode */
/** @typedef {minis.LaunchInfo} LaunchInfo */
/** @typedef {minis.SystemInfo} SystemInfo */
/** @typedef {minis.JSONValue} JSONValue */
/** @typedef {minis.ads.ShowResult} ShowResult */
/** @typedef {typeof minis.MinisError} MinisErrorConstructor */
/** @typedef {{resolve: (value: any) => void, reject: (error: Error) => void, timer: ReturnType<typeof setTimeout>}} Pending */
(function () {
  "use strict";

  var VERSION = "1.6.1";
  var TIMEOUT_MS = 10000;
  // Calls that open a host sheet wait on the person, who may take their time (a top-up with a
  // bank approval, say); the cap only stops a promise from hanging forever.
  var PERSON_TIMEOUT_MS = 10 * 60 * 1000;
  var STORAGE_KEY_PATTERN = /^[A-Za-z0-9_.:-]{1,128}$/;
  var STORAGE_VALUE_MAX_BYTES = 64 * 1024;
  var STANDALONE_PREFIX = "minis:";
  var BOARD_ID_PATTERN = /^[A-Za-z0-9_.-]{1,64}$/;
  var QUERY_KEY_PATTERN = /^[A-Za-z0-9_.-]{1,32}$/;
  var MAX_SAFE = 9007199254740991;

  // Called with `new`, it returns a real Error (with a stack) whose prototype is MinisError's.
  // The host's codes are passed through as they come, hence `ErrorCode` by a cast.
  /** @type {MinisErrorConstructor} */
  var MinisError = /** @type {any} */ (
    /**
     * @param {string} code
     * @param {string} [message]
     */
    function MinisError(code, message) {
      var error = new Error(message || code);
      Object.setPrototypeOf(error, MinisError.prototype);
      Object.defineProperty(error, "code", { value: code, enumerable: true });
      return error;
    }
  );
  /** @type {{prototype: object}} */ (MinisError).prototype = Object.create(Error.prototype, {
    constructor: { value: MinisError, writable: true, configurable: true },
    name: { value: "MinisError", writable: true, configurable: true },
  });

  /**
   * @param {ErrorCode} code
   * @param {string} message
   * @returns {Promise<never>}
   */
  function rejectWith(code, message) {
    return Promise.reject(new MinisError(code, message));
  }

  // The fragment is read once, now, before the app's own code can rewrite location.hash.
  function readFragment() {
    /** @type {Record<string, string>} */
    var fields = {};
    location.hash.replace(/^#/, "").split("&").forEach(function (pair) {
      var at = pair.indexOf("=");
      if (at > 0) {
        try {
          fields[pair.slice(0, at)] = decodeURIComponent(pair.slice(at + 1));
        } catch (error) {
          // A malformed escape leaves that field out; init then reports NO_HOST.
        }
      }
    });
    return fields;
  }

  /** @param {string} value */
  function parseOrigin(value) {
    try {
      var origin = new URL(value).origin;
      return origin === value ? origin : null;
    } catch (error) {
      return null;
    }
  }

  function readQuery() {
    /** @type {Record<string, string>} */
    var query = {};
    new URLSearchParams(location.search).forEach(function (value, key) {
      query[key] = value;
    });
    return query;
  }

  var fragment = readFragment();
  var standalone = window.parent === window;
  var hostOrigin = standalone ? null : parseOrigin(fragment["minis-host"] || "");

  var nextId = 1;
  /** @type {Record<number, Pending>} */
  var pending = {}; // request id -> {resolve, reject, timer}
  /** @type {Promise<LaunchInfo> | null} */
  var initPromise = null;
  var initialized = false;
  /** @type {LaunchInfo | null} */
  var launchInfo = null; // the LaunchInfo init resolved with; `launch` events update it in place
  // A framed app is off screen until the host says otherwise: a prewarmed app starts hidden.
  var visible = standalone ? document.visibilityState === "visible" : false;
  /** @type {Array<() => void>} */
  var showCallbacks = [];
  /** @type {Array<() => void>} */
  var hideCallbacks = [];
  // The host mutes the app while it is hidden and when the person mutes it (docs/social.md).
  var muted = !visible;
  /** @type {Array<(state: {muted: boolean}) => void>} */
  var audioCallbacks = [];

  /**
   * A request to the host; resolves with its result (any: the host's answers are typed where
   * the public methods return them).
   * @param {string} method
   * @param {object} [params]
   * @param {number} [timeoutMs]
   * @returns {Promise<any>}
   */
  function send(method, params, timeoutMs) {
    if (!hostOrigin) {
      return rejectWith("NO_HOST", "not inside an openminis host (no valid #minis-host fragment)");
    }
    var origin = hostOrigin;
    return new Promise(function (resolve, reject) {
      var id = nextId++;
      var timer = setTimeout(function () {
        delete pending[id];
        reject(new MinisError("TIMEOUT", method + ": the host did not answer in time"));
      }, timeoutMs || TIMEOUT_MS);
      pending[id] = { resolve: resolve, reject: reject, timer: timer };
      // includeUserActivation: the browser tells the host whether this frame had a tap or key in
      // the last seconds (Chromium), which the host believes where it would not believe us.
      window.parent.postMessage(
        { __minis: 1, type: "request", id: id, method: method, params: params || {} },
        /** @type {WindowPostMessageOptions} */ ({ targetOrigin: origin, includeUserActivation: true })
      );
    });
  }

  // Every method but init and setLoadingProgress needs init: it waits for an init in flight
  // and fails fast when the app never called it.
  /**
   * @template T
   * @param {() => T | PromiseLike<T>} call
   * @returns {Promise<T>}
   */
  function afterInit(call) {
    if (!initPromise) {
      return rejectWith("NOT_INITIALIZED", "call minis.init() first");
    }
    return initPromise.then(call);
  }

  /**
   * Runs each callback; returns what they returned (a promise, where one was async).
   * @param {Array<() => unknown>} callbacks
   * @returns {unknown[]}
   */
  function runCallbacks(callbacks) {
    return callbacks.slice().map(function (callback) {
      try {
        return callback();
      } catch (error) {
        // One app callback failing must not stop the others; the console still shows it.
        setTimeout(function () {
          throw error;
        });
        return undefined;
      }
    });
  }

  function becomeVisible() {
    if (visible) return;
    visible = true;
    runCallbacks(showCallbacks);
  }

  /**
   * Settles once the onHide callbacks have run and the promises any of them returned (an async
   * callback that awaits, then saves) have settled, fulfilled or not.
   * @returns {Promise<void>}
   */
  function becomeHidden() {
    if (!visible) return Promise.resolve();
    visible = false;
    var pending = runCallbacks(hideCallbacks).map(function (returned) {
      return Promise.resolve(returned).then(
        function () {},
        function (error) {
          // Hidden is said all the same; the console still shows the app's own failure.
          setTimeout(function () {
            throw error;
          });
        }
      );
    });
    return Promise.all(pending).then(function () {});
  }

  // The tap on a prewarmed app: the platform recorded the launch only now, so the LaunchInfo
  // init answered lacks its initData. The host sends this before `show`, so onShow callbacks
  // already see the updated LaunchInfo.
  /** @param {any} data the event's data, from the host: checked field by field */
  function applyLaunch(data) {
    if (!launchInfo || !data || typeof data !== "object") return;
    if (typeof data.initData === "string" || data.initData === null) launchInfo.initData = data.initData;
    if (typeof data.source === "string") launchInfo.source = data.source;
    if (data.query && typeof data.query === "object") launchInfo.query = data.query;
    if (typeof data.context === "string" || data.context === null) launchInfo.context = data.context;
    if (typeof data.referrer === "string" || data.referrer === null) launchInfo.referrer = data.referrer;
  }

  /** @param {any} data the `audio` event's data, from the host */
  function applyAudio(data) {
    var now = !!(data && data.muted);
    if (now === muted) return;
    muted = now;
    runCallbacks(
      audioCallbacks.map(function (callback) {
        return function () {
          callback({ muted: now });
        };
      })
    );
  }

  /**
   * @param {string} name
   * @param {unknown} data
   */
  function onHostEvent(name, data) {
    if (name === "launch") {
      applyLaunch(data);
    } else if (name === "show") {
      becomeVisible();
      // The host times a prewarmed launch to the first frame drawn after it revealed the app.
      if (initialized) {
        requestAnimationFrame(function () {
          send("lifecycle.shown", {}).catch(function () {});
        });
      }
    } else if (name === "hide") {
      var settled = becomeHidden();
      // The host unloading the app removes its frame once it hears this (or after a bounded
      // wait, 3 s). Sent as the callbacks' own calls are (after init), and after them and the
      // promises they returned: what they called, a save, reaches the host first.
      if (initialized) {
        settled
          .then(function () {
            return afterInit(function () {
              return send("lifecycle.hidden", {});
            });
          })
          .catch(function () {});
      }
    } else if (name === "audio") {
      applyAudio(data);
    }
  }

  /** @param {MessageEvent} event */
  function onMessage(event) {
    if (event.source !== window.parent || event.origin !== hostOrigin) return;
    var message = event.data;
    if (!message || typeof message !== "object" || message.__minis !== 1) return;
    if (message.type === "response") {
      var request = pending[message.id];
      if (!request) return;
      delete pending[message.id];
      clearTimeout(request.timer);
      if (message.ok) {
        request.resolve(message.result === undefined ? null : message.result);
      } else {
        var error = message.error || {};
        request.reject(new MinisError(/** @type {ErrorCode} */ (String(error.code || "INTERNAL")), String(error.message || "")));
      }
    } else if (message.type === "event" && typeof message.name === "string") {
      onHostEvent(message.name, message.data);
    }
  }

  if (hostOrigin) {
    window.addEventListener("message", onMessage);
    // Escape closes the app, as it closes what else the host shows; but keys pressed in this frame
    // never reach the host, so the SDK tells it. An app that uses Escape itself (a pause menu, say)
    // calls preventDefault in its own listener, and then the host is not told: the check waits
    // until every listener has had the event.
    window.addEventListener("keydown", function (event) {
      if (event.key !== "Escape" || event.repeat) return;
      setTimeout(function () {
        if (!event.defaultPrevented) send("keys.escape", {}).catch(function () {});
      }, 0);
    });
  }

  if (standalone) {
    // Opened directly, the page's own visibility is the app's visibility.
    document.addEventListener("visibilitychange", function () {
      if (document.visibilityState === "visible") becomeVisible();
      else becomeHidden();
    });
  }

  /** @param {unknown} key */
  function checkStorageKey(key) {
    if (typeof key !== "string" || !STORAGE_KEY_PATTERN.test(key)) {
      throw new MinisError("INVALID_ARGUMENT", "key: 1-128 characters of A-Z a-z 0-9 _ . : -");
    }
  }

  /**
   * @param {unknown} value
   * @param {number} depth
   * @returns {boolean}
   */
  function isJsonValue(value, depth) {
    if (depth > 64) return false;
    if (value === null || typeof value === "string" || typeof value === "boolean") return true;
    if (typeof value === "number") return isFinite(value);
    if (Array.isArray(value)) {
      return value.every(function (item) {
        return isJsonValue(item, depth + 1);
      });
    }
    if (typeof value === "object") {
      var proto = Object.getPrototypeOf(value);
      if (proto !== Object.prototype && proto !== null) return false;
      var record = /** @type {Record<string, unknown>} */ (value);
      return Object.keys(record).every(function (key) {
        return isJsonValue(record[key], depth + 1);
      });
    }
    return false;
  }

  /**
   * Returns the value's JSON text, which is what the platform stores and weighs.
   * @param {unknown} value
   * @returns {string}
   */
  function checkStorageValue(value) {
    if (!isJsonValue(value, 0)) {
      throw new MinisError(
        "INVALID_ARGUMENT",
        "value: must be JSON (null, boolean, finite number, string, array, plain object)"
      );
    }
    var json = JSON.stringify(value);
    if (new TextEncoder().encode(json).length > STORAGE_VALUE_MAX_BYTES) {
      throw new MinisError("STORAGE_QUOTA_EXCEEDED", "value: over 64 KiB once serialized");
    }
    return json;
  }

  // Runs a check that throws MinisError, turning it into a rejected promise.
  /**
   * @template T
   * @param {() => void} check
   * @param {() => Promise<T>} call
   * @returns {Promise<T>}
   */
  function validated(check, call) {
    try {
      check();
    } catch (error) {
      return Promise.reject(error);
    }
    return call();
  }

  var standaloneStorage = {
    /** @param {string} key */
    get: function (key) {
      var text = localStorage.getItem(STANDALONE_PREFIX + key);
      return Promise.resolve(text === null ? null : JSON.parse(text));
    },
    /**
     * @param {string} key
     * @param {string} json
     */
    set: function (key, json) {
      try {
        localStorage.setItem(STANDALONE_PREFIX + key, json);
      } catch (error) {
        return rejectWith("STORAGE_QUOTA_EXCEEDED", "the browser's localStorage is full");
      }
      return Promise.resolve(null);
    },
    /** @param {string} key */
    remove: function (key) {
      localStorage.removeItem(STANDALONE_PREFIX + key);
      return Promise.resolve(null);
    },
  };

  /** @returns {LaunchInfo} */
  function standaloneLaunchInfo() {
    return {
      appId: location.hostname.split(".")[0],
      version: (location.pathname.match(/^\/v\/([^/]+)\//) || ["", ""])[1],
      launchId: fragment["minis-launch"] || "",
      source: "direct",
      visible: visible,
      prewarmed: false,
      locale: navigator.language,
      query: readQuery(),
      initData: null,
      context: null,
      referrer: null,
    };
  }

  /** @param {string} what */
  function noHost(what) {
    return rejectWith("NO_HOST", what + " needs the openminis host; opened directly there is no one to ask");
  }

  // Runs `call` after init, or rejects NO_HOST at once when the app runs standalone.
  /**
   * @template T
   * @param {string} what
   * @param {() => Promise<T>} call
   * @returns {Promise<T>}
   */
  function hostOnly(what, call) {
    return afterInit(function () {
      return standalone ? noHost(what) : call();
    });
  }

  /**
   * @param {any} options what the app passed, checked field by field
   * @returns {{orderId: string} | {productId: string, quantity: number, payload: string}}
   */
  function checkPayParams(options) {
    if (!options || typeof options !== "object" || Array.isArray(options)) {
      throw new MinisError("INVALID_ARGUMENT", "pay: pass {productId, quantity?, payload?} or {orderId}");
    }
    if (options.orderId !== undefined) {
      if (typeof options.orderId !== "string" || !options.orderId || options.productId !== undefined) {
        throw new MinisError("INVALID_ARGUMENT", "orderId: a non-empty string, without productId");
      }
      return { orderId: options.orderId };
    }
    if (typeof options.productId !== "string" || !/^[A-Za-z0-9_.-]{1,64}$/.test(options.productId)) {
      throw new MinisError("INVALID_ARGUMENT", "productId: 1-64 characters of A-Z a-z 0-9 _ . -");
    }
    var quantity = options.quantity === undefined ? 1 : options.quantity;
    if (typeof quantity !== "number" || quantity % 1 !== 0 || quantity < 1 || quantity > 99) {
      throw new MinisError("INVALID_ARGUMENT", "quantity: a whole number from 1 to 99");
    }
    var payload = options.payload === undefined ? "" : options.payload;
    if (typeof payload !== "string" || payload.length > 1024) {
      throw new MinisError("INVALID_ARGUMENT", "payload: a string of at most 1024 characters");
    }
    return { productId: options.productId, quantity: quantity, payload: payload };
  }

  /** @param {unknown} seriesId */
  function checkSeriesId(seriesId) {
    if (typeof seriesId !== "string" || !/^[A-Za-z0-9_-]{1,32}$/.test(seriesId)) {
      throw new MinisError("INVALID_ARGUMENT", "seriesId: a series id from minis.drama.getSeries()");
    }
  }

  /** @param {unknown} number */
  function checkEpisodeNumber(number) {
    if (typeof number !== "number" || number % 1 !== 0 || number < 1 || number > 10000) {
      throw new MinisError("INVALID_ARGUMENT", "number: an episode number from 1 to 10000");
    }
  }

  // A drama call: checked here, answered by the host (there are no dramas without one).
  /**
   * @param {string} method
   * @param {object} params
   * @param {() => void} check
   * @param {number} [timeoutMs]
   * @returns {Promise<any>}
   */
  function dramaCall(method, params, check, timeoutMs) {
    return validated(check, function () {
      return hostOnly("drama." + method, function () {
        return send("drama." + method, params, timeoutMs);
      });
    });
  }

  // An ad object of minis.ads: load() runs the auction and has the host fetch the creative;
  // show() has the host play it above the app (which gets `hide`, then `show`) and resolves when
  // it closes. Each loaded ad shows once: load again for the next one.
  /**
   * @this {minis.ads.Ad}
   * @param {"rewarded" | "interstitial"} format
   * @param {unknown} unitId
   */
  function AdObject(format, unitId) {
    if (typeof unitId !== "string" || !/^[A-Za-z0-9_-]{1,32}$/.test(unitId)) {
      throw new MinisError("INVALID_ARGUMENT", "unitId: an ad unit id of your app (au_...)");
    }
    /** @type {string | null} */
    var adId = null;
    /** @type {Promise<void> | null} */
    var loading = null;
    /** @type {Array<(error: minis.MinisError) => void>} */
    var errorCallbacks = [];
    /** @type {Array<(result: ShowResult) => void>} */
    var closeCallbacks = [];

    /**
     * @param {minis.MinisError} error
     * @returns {never}
     */
    function failed(error) {
      errorCallbacks.slice().forEach(function (callback) {
        try {
          callback(error);
        } catch (thrown) {
          setTimeout(function () {
            throw thrown;
          });
        }
      });
      throw error;
    }

    /**
     * @template {Function} F
     * @param {F[]} list
     * @param {F} callback
     */
    function subscribe(list, callback) {
      list.push(callback);
      return function () {
        var at = list.indexOf(callback);
        if (at >= 0) list.splice(at, 1);
      };
    }

    this.load = function () {
      if (!loading) {
        loading = hostOnly("ads", function () {
          return send("ads.load", { unitId: unitId, format: format });
        }).then(
          function (answer) {
            adId = answer.adId;
            loading = null;
          },
          function (error) {
            loading = null;
            return failed(error);
          }
        );
      }
      return loading;
    };

    this.show = function () {
      if (!adId) {
        return Promise.reject(new MinisError("NOT_READY", "load() the ad, and wait for it, before show()")).catch(failed);
      }
      var id = adId;
      adId = null;
      return send("ads.show", { adId: id }, PERSON_TIMEOUT_MS).then(function (result) {
        /** @type {ShowResult} */
        var outcome = { rewarded: !!(result && result.rewarded) };
        if (result && result.transactionId) outcome.transactionId = result.transactionId;
        runCallbacks(
          closeCallbacks.map(function (callback) {
            return function () {
              callback(outcome);
            };
          })
        );
        return outcome;
      }, failed);
    };

    this.onError = function (callback) {
      return subscribe(errorCallbacks, callback);
    };

    this.onClose = function (callback) {
      return subscribe(closeCallbacks, callback);
    };

    Object.freeze(this);
  }

  /** @returns {SystemInfo} */
  /** @type {new (format: "rewarded" | "interstitial", unitId: unknown) => minis.ads.Ad} */
  var NewAd = /** @type {any} */ (AdObject);

  /**
   * Outside the host, the insets to keep clear are the device's own (a notch, a home bar): what
   * the page's CSS gets from env(safe-area-inset-*), read from a hidden probe at the moment of the
   * call (a phone turned gives others). Set through the CSSOM, which an app's CSP allows.
   */
  function deviceInsets() {
    var probe = document.createElement("div");
    var sides = ["top", "right", "bottom", "left"];
    probe.style.setProperty("position", "fixed");
    probe.style.setProperty("visibility", "hidden");
    probe.style.setProperty("pointer-events", "none");
    sides.forEach(function (side) {
      probe.style.setProperty("padding-" + side, "env(safe-area-inset-" + side + ", 0px)");
    });
    document.documentElement.appendChild(probe);
    var style = getComputedStyle(probe);
    /** @param {string} side */
    var inset = function (side) {
      return Math.max(0, Math.round(parseFloat(style.getPropertyValue("padding-" + side)) || 0));
    };
    var insets = { top: inset("top"), right: inset("right"), bottom: inset("bottom"), left: inset("left") };
    probe.remove();
    return insets;
  }

  function standaloneSystemInfo() {
    return {
      platform: "openminis",
      sdkVersion: VERSION,
      hostVersion: VERSION,
      screenWidth: screen.width,
      screenHeight: screen.height,
      windowWidth: innerWidth,
      windowHeight: innerHeight,
      pixelRatio: devicePixelRatio || 1,
      orientation: innerWidth > innerHeight ? "landscape" : "portrait",
      safeArea: deviceInsets(),
      language: navigator.language,
      theme: matchMedia("(prefers-color-scheme: dark)").matches ? "dark" : "light",
      environment: "standalone",
    };
  }

  /** @param {unknown} id */
  function checkBoardId(id) {
    if (typeof id !== "string" || !BOARD_ID_PATTERN.test(id)) {
      throw new MinisError("INVALID_ARGUMENT", "id: a leaderboard id of your app (1-64 characters of A-Z a-z 0-9 _ . -)");
    }
  }

  /**
   * @param {unknown} query
   * @returns {Record<string, string>}
   */
  function checkQuery(query) {
    if (query === undefined) return {};
    if (!query || typeof query !== "object" || Array.isArray(query) || Object.getPrototypeOf(query) !== Object.prototype) {
      throw new MinisError("INVALID_ARGUMENT", "query: an object of string values");
    }
    var record = /** @type {Record<string, unknown>} */ (query);
    var keys = Object.keys(record);
    if (keys.length > 16) throw new MinisError("INVALID_ARGUMENT", "query: at most 16 keys");
    keys.forEach(function (key) {
      if (!QUERY_KEY_PATTERN.test(key)) throw new MinisError("INVALID_ARGUMENT", "query: keys are 1-32 characters of A-Z a-z 0-9 _ . -");
      if (typeof record[key] !== "string") throw new MinisError("INVALID_ARGUMENT", "query." + key + ": a string");
    });
    if (new TextEncoder().encode(JSON.stringify(record)).length > 1024) {
      throw new MinisError("INVALID_ARGUMENT", "query: at most 1 KiB as JSON");
    }
    return /** @type {Record<string, string>} */ (record);
  }

  // A call answered by the host only: checked here first, then sent after init.
  /**
   * @param {string} method
   * @param {() => object} check returns the params to send, or throws MinisError
   * @param {number} [timeoutMs]
   * @returns {Promise<any>}
   */
  function hostCall(method, check, timeoutMs) {
    /** @type {object} */
    var params = {};
    return validated(
      function () {
        params = check();
      },
      function () {
        return hostOnly(method, function () {
          return send(method, params, timeoutMs);
        });
      }
    );
  }

  /** @param {string} name */
  function canIUse(name) {
    if (typeof name !== "string") return false;
    /** @type {any} */
    var found = minis;
    var parts = name.split(".");
    for (var i = 0; i < parts.length; i++) {
      if (!found || !Object.prototype.hasOwnProperty.call(found, parts[i])) return false;
      found = found[parts[i]];
    }
    if (typeof found !== "function") return false;
    if (name === "vibrate") return typeof navigator.vibrate === "function";
    return true;
  }

  var minis = {
    version: VERSION,
    MinisError: MinisError,

    init: function () {
      if (!initPromise) {
        var connect = standalone
          ? Promise.resolve(standaloneLaunchInfo())
          : send("init", { sdkVersion: VERSION });
        initPromise = connect.then(function (info) {
          initialized = true;
          launchInfo = info;
          // No callbacks here: the app reads `visible` from the LaunchInfo it gets. The host
          // answers init with its state after any show or hide it sent before, so they agree.
          visible = !!info.visible;
          muted = !visible; // the host says otherwise with an `audio` event
          return info;
        });
        // A failed init may be retried (a TIMEOUT while the host was busy, say).
        initPromise.catch(function () {
          initPromise = null;
        });
      }
      return initPromise;
    },

    // Fire and forget: a bad percent throws at once; the host's answer is not worth waiting
    // for (after ready it says NOT_ALLOWED, which changes nothing for the app).
    setLoadingProgress: function (percent) {
      if (typeof percent !== "number" || !(percent >= 0 && percent <= 100)) {
        throw new MinisError("INVALID_ARGUMENT", "percent: a number from 0 to 100");
      }
      if (!standalone) send("setLoadingProgress", { percent: percent }).catch(function () {});
    },

    ready: function () {
      return afterInit(function () {
        if (standalone) return;
        return send("ready", {}).then(function () {});
      });
    },

    onShow: function (callback) {
      showCallbacks.push(callback);
      return function () {
        showCallbacks = showCallbacks.filter(function (item) {
          return item !== callback;
        });
      };
    },

    onHide: function (callback) {
      hideCallbacks.push(callback);
      return function () {
        hideCallbacks = hideCallbacks.filter(function (item) {
          return item !== callback;
        });
      };
    },

    isVisible: function () {
      return visible;
    },

    getLaunchInfo: function () {
      return launchInfo;
    },

    login: function () {
      return hostOnly("login", function () {
        return send("login", {});
      });
    },

    getUserProfile: function () {
      return hostOnly("getUserProfile", function () {
        return send("getUserProfile", {}, PERSON_TIMEOUT_MS);
      });
    },

    getProducts: function () {
      return hostOnly("getProducts", function () {
        return send("getProducts", {});
      });
    },

    getPurchases: function () {
      return hostOnly("getPurchases", function () {
        return send("getPurchases", {});
      });
    },

    getCoupons: function (options) {
      var params = {};
      return validated(
        function () {
          if (options !== undefined && (options === null || typeof options !== "object")) {
            throw new MinisError("INVALID_ARGUMENT", "getCoupons takes {productId} or nothing");
          }
          if (options && options.productId !== undefined) {
            if (typeof options.productId !== "string" || !/^[A-Za-z0-9_.-]{1,64}$/.test(options.productId)) {
              throw new MinisError("INVALID_ARGUMENT", "productId: 1-64 characters of A-Z a-z 0-9 _ . -");
            }
            params = { productId: options.productId };
          }
        },
        function () {
          return hostOnly("getCoupons", function () {
            return send("getCoupons", params);
          });
        }
      );
    },

    pay: function (options) {
      var params;
      return validated(
        function () {
          params = checkPayParams(options);
        },
        function () {
          return hostOnly("pay", function () {
            return send("pay", params, PERSON_TIMEOUT_MS);
          });
        }
      );
    },

    getSystemInfo: function () {
      return afterInit(function () {
        return standalone ? standaloneSystemInfo() : send("getSystemInfo", {});
      });
    },

    exit: function () {
      return afterInit(function () {
        if (standalone) return;
        return send("exit", {}).then(function () {});
      });
    },

    ads: {
      createRewarded: function (unitId) {
        return new NewAd("rewarded", unitId);
      },
      createInterstitial: function (unitId) {
        return new NewAd("interstitial", unitId);
      },
    },

    // Drama apps with a player of their own: their series, what the person may watch, unlocks
    // (always confirmed on a host sheet) and signed media URLs.
    drama: {
      getSeries: function () {
        return dramaCall("getSeries", {}, function () {});
      },
      getEpisodes: function (seriesId) {
        return dramaCall("getEpisodes", { seriesId: seriesId }, function () {
          checkSeriesId(seriesId);
        });
      },
      getEntitlements: function (seriesId) {
        return dramaCall("getEntitlements", { seriesId: seriesId }, function () {
          checkSeriesId(seriesId);
        });
      },
      unlock: function (seriesId, number, method) {
        var params = { seriesId: seriesId, number: number, method: method === undefined ? "coins" : method };
        return dramaCall(
          "unlock",
          params,
          function () {
            checkSeriesId(seriesId);
            checkEpisodeNumber(number);
            if (params.method !== "coins" && params.method !== "ad") {
              throw new MinisError("INVALID_ARGUMENT", 'method: "coins" or "ad"');
            }
          },
          PERSON_TIMEOUT_MS
        );
      },
      getPlaybackUrl: function (seriesId, number) {
        return dramaCall("getPlaybackUrl", { seriesId: seriesId, number: number }, function () {
          checkSeriesId(seriesId);
          checkEpisodeNumber(number);
        });
      },
    },

    getLaunchOptions: function () {
      if (!launchInfo) return null;
      return {
        scene: launchInfo.source,
        query: launchInfo.query,
        context: launchInfo.context,
        referrer: launchInfo.referrer,
      };
    },

    canIUse: canIUse,

    share: function (options) {
      return hostCall(
        "share",
        function () {
          if (!options || typeof options !== "object") throw new MinisError("INVALID_ARGUMENT", "share: pass {title, image?, query?}");
          if (typeof options.title !== "string" || !options.title.trim() || options.title.length > 120) {
            throw new MinisError("INVALID_ARGUMENT", "title: 1-120 characters");
          }
          if (options.image !== undefined && (typeof options.image !== "string" || options.image.length > 200)) {
            throw new MinisError("INVALID_ARGUMENT", "image: a picture file of your package");
          }
          return { title: options.title, image: options.image, query: checkQuery(options.query) };
        },
        PERSON_TIMEOUT_MS
      ).then(function () {});
    },

    onAudioChange: function (callback) {
      audioCallbacks.push(callback);
      return function () {
        audioCallbacks = audioCallbacks.filter(function (item) {
          return item !== callback;
        });
      };
    },

    isMuted: function () {
      return muted;
    },

    gameplayStart: function () {
      return hostCall("gameplay.start", function () {
        return {};
      }).then(function () {});
    },

    gameplayStop: function () {
      return hostCall("gameplay.stop", function () {
        return {};
      }).then(function () {});
    },

    vibrate: function (pattern) {
      return hostCall("vibrate", function () {
        var list = typeof pattern === "number" ? [pattern] : pattern;
        var ok =
          Array.isArray(list) &&
          list.length >= 1 &&
          list.length <= 10 &&
          list.every(function (ms) {
            return typeof ms === "number" && ms % 1 === 0 && ms >= 0 && ms <= 1000;
          }) &&
          (typeof pattern !== "number" || pattern >= 1);
        if (!ok) throw new MinisError("INVALID_ARGUMENT", "pattern: 1-1000 ms, or at most 10 of 0-1000 ms");
        return { pattern: list };
      });
    },

    setClipboardData: function (text) {
      // The gesture is checked now, in the frame: the promise chain below runs after it is spent.
      var activated = !!(navigator.userActivation && navigator.userActivation.isActive);
      return hostCall("setClipboardData", function () {
        if (typeof text !== "string" || text.length > 10000) throw new MinisError("INVALID_ARGUMENT", "text: a string of at most 10000 characters");
        if (!activated) throw new MinisError("NOT_ALLOWED", "setClipboardData: only right after a tap or key in your app");
        return { text: text, activated: true };
      }).then(function () {});
    },

    requestSubscribeMessage: function (templateIds) {
      // The gesture is checked now, in the frame: the promise chain below runs after it is spent.
      var activated = !!(navigator.userActivation && navigator.userActivation.isActive);
      return hostCall(
        "requestSubscribeMessage",
        function () {
          var ids = Array.isArray(templateIds) ? templateIds : [];
          var ok =
            ids.length >= 1 &&
            ids.length <= 10 &&
            ids.every(function (id) {
              return typeof id === "string" && /^[A-Za-z0-9_.-]{1,64}$/.test(id);
            });
          if (!ok) throw new MinisError("INVALID_ARGUMENT", "templateIds: 1-10 of your app's message template ids");
          if (!activated) throw new MinisError("NOT_ALLOWED", "requestSubscribeMessage: only right after a tap or key in your app");
          return { templateIds: ids.slice(), activated: true };
        },
        PERSON_TIMEOUT_MS
      );
    },

    addToHomeScreen: function () {
      // The gesture is checked now, in the frame: the promise chain below runs after it is spent.
      var activated = !!(navigator.userActivation && navigator.userActivation.isActive);
      return hostCall(
        "addToHomeScreen",
        function () {
          if (!activated) throw new MinisError("NOT_ALLOWED", "addToHomeScreen: only right after a tap or key in your app");
          return { activated: true };
        },
        PERSON_TIMEOUT_MS
      ).then(function (answer) {
        return { added: !!(answer && answer.added), guided: !!(answer && answer.guided) };
      });
    },

    setOrientation: function (orientation) {
      return hostCall("setOrientation", function () {
        if (orientation !== "portrait" && orientation !== "landscape") {
          throw new MinisError("INVALID_ARGUMENT", 'orientation: "portrait" or "landscape"');
        }
        return { orientation: orientation };
      }).then(function () {});
    },

    openApp: function (appId, options) {
      return hostCall(
        "openApp",
        function () {
          if (typeof appId !== "string" || !/^[a-z][a-z0-9-]{1,38}[a-z0-9]$/.test(appId)) {
            throw new MinisError("INVALID_ARGUMENT", "appId: a mini-program's id");
          }
          return { appId: appId, query: checkQuery(options && options.query) };
        },
        PERSON_TIMEOUT_MS
      ).then(function () {});
    },

    leaderboard: {
      submit: function (id, score) {
        return hostCall("leaderboard.submit", function () {
          checkBoardId(id);
          if (typeof score !== "number" || score % 1 !== 0 || Math.abs(score) > MAX_SAFE) {
            throw new MinisError("INVALID_ARGUMENT", "score: a whole number");
          }
          return { board: id, score: score };
        });
      },
      getEntries: function (id, options) {
        return hostCall("leaderboard.getEntries", function () {
          checkBoardId(id);
          var scope = (options && options.scope) || "global";
          var limit = options && options.limit !== undefined ? options.limit : 10;
          if (scope !== "global" && scope !== "around_me" && scope !== "context") {
            throw new MinisError("INVALID_ARGUMENT", 'scope: "global", "around_me" or "context"');
          }
          if (typeof limit !== "number" || limit % 1 !== 0 || limit < 1 || limit > 100) {
            throw new MinisError("INVALID_ARGUMENT", "limit: a whole number from 1 to 100");
          }
          return { board: id, scope: scope, limit: limit };
        });
      },
      show: function (id) {
        return hostCall(
          "leaderboard.show",
          function () {
            checkBoardId(id);
            return { board: id };
          },
          PERSON_TIMEOUT_MS
        ).then(function () {});
      },
    },

    context: {
      get: function () {
        return hostCall("context.get", function () {
          return {};
        });
      },
      getMembers: function () {
        return hostCall("context.getMembers", function () {
          return {};
        });
      },
      switchTo: function (id) {
        return hostCall("context.switchTo", function () {
          if (typeof id !== "string" || !id) throw new MinisError("INVALID_ARGUMENT", "id: a context id");
          return { id: id };
        });
      },
    },

    tournament: {
      create: function (options) {
        return hostCall("tournament.create", function () {
          if (!options || typeof options !== "object") throw new MinisError("INVALID_ARGUMENT", "create: pass {board, endsAt}");
          checkBoardId(options.board);
          var ends = options.endsAt instanceof Date ? options.endsAt : new Date(String(options.endsAt));
          if (isNaN(ends.getTime())) throw new MinisError("INVALID_ARGUMENT", "endsAt: a Date or an ISO 8601 time");
          return { board: options.board, endsAt: ends.toISOString() };
        });
      },
      share: function (options) {
        return hostCall(
          "tournament.share",
          function () {
            var title = options && options.title !== undefined ? options.title : "";
            if (typeof title !== "string" || title.length > 120) throw new MinisError("INVALID_ARGUMENT", "title: at most 120 characters");
            return { title: title, query: checkQuery(options && options.query) };
          },
          PERSON_TIMEOUT_MS
        ).then(function () {});
      },
    },

    storage: {
      get: function (key) {
        return validated(
          function () {
            checkStorageKey(key);
          },
          function () {
            return afterInit(function () {
              return standalone ? standaloneStorage.get(key) : send("storage.get", { key: key });
            });
          }
        );
      },
      set: function (key, value) {
        var json;
        return validated(
          function () {
            checkStorageKey(key);
            json = checkStorageValue(value);
          },
          function () {
            return afterInit(function () {
              if (standalone) return standaloneStorage.set(key, json).then(function () {});
              // Send the parsed JSON so the host gets exactly what will be stored.
              return send("storage.set", { key: key, value: JSON.parse(json) }).then(function () {});
            });
          }
        );
      },
      remove: function (key) {
        return validated(
          function () {
            checkStorageKey(key);
          },
          function () {
            return afterInit(function () {
              if (standalone) return standaloneStorage.remove(key).then(function () {});
              return send("storage.remove", { key: key }).then(function () {});
            });
          }
        );
      },
    },
  };

  Object.freeze(minis.storage);
  Object.freeze(minis.leaderboard);
  Object.freeze(minis.context);
  Object.freeze(minis.tournament);
  Object.freeze(minis.drama);
  Object.freeze(minis.ads);
  window.minis = Object.freeze(minis);
})();
