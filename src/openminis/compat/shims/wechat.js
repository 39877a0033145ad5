/*
 * WeChat mini games' `wx` over minis-sdk.js, for canvas games: docs/compat.md lists each call.
 * `minis import` writes the page: a canvas, minis-sdk.js, this shim, then wx.__start("game.js"),
 * which runs the game once its storage (synchronous in WeChat) is read from cloud save.
 */
// @ts-check
(function () {
  "use strict";
  var compat = window.__minisCompat;
  var SCENE = 1001; // WeChat's "opened from the list of mini programs"
  var store = compat.Store("compat.wechat", 1000 * 1000);
  var screenCanvas = /** @type {HTMLCanvasElement | null} */ (document.getElementById("wx-canvas"));
  var handedOut = false;
  /** @type {Record<string, Array<Function>>} */
  var touchListeners = { start: [], move: [], end: [], cancel: [] };
  /** @type {Record<number, any>} */
  var active = {};
  /** @type {Array<[Function, Function]>} */
  var showListeners = [];
  /** @type {Array<[Function, Function]>} */
  var hideListeners = [];

  /**
   * WeChat's callback style: success or fail, then complete, each with errMsg.
   * @param {string} name
   * @param {any} options
   * @param {Promise<any>} work
   */
  function callbacks(name, options, work) {
    options = options || {};
    return work.then(
      function (result) {
        var answer = Object.assign({ errMsg: name + ":ok" }, result || {});
        if (options.success) options.success(answer);
        if (options.complete) options.complete(answer);
        return answer;
      },
      function (error) {
        var answer = { errMsg: name + ":fail " + String((error && error.message) || error) };
        if (options.fail) options.fail(answer);
        if (options.complete) options.complete(answer);
      }
    );
  }

  /** @param {Array<Function>} list @param {Function} [listener] */
  function off(list, listener) {
    if (!listener) list.length = 0;
    var at = list.indexOf(/** @type {Function} */ (listener));
    if (at >= 0) list.splice(at, 1);
  }

  /** @param {PointerEvent} event */
  function touch(event) {
    return {
      identifier: event.pointerId,
      clientX: event.clientX,
      clientY: event.clientY,
      pageX: event.pageX,
      pageY: event.pageY,
      force: event.pressure,
    };
  }

  /**
   * @param {string} kind
   * @param {PointerEvent} event
   */
  function dispatch(kind, event) {
    var changed = touch(event);
    if (kind === "start" || kind === "move") active[event.pointerId] = changed;
    else delete active[event.pointerId];
    var message = {
      touches: Object.keys(active).map(function (id) {
        return active[Number(id)];
      }),
      changedTouches: [changed],
      timeStamp: event.timeStamp,
    };
    touchListeners[kind].slice().forEach(function (listener) {
      listener(message);
    });
  }

  if (screenCanvas) {
    var target = screenCanvas;
    target.addEventListener("pointerdown", function (event) {
      target.setPointerCapture(event.pointerId);
      dispatch("start", event);
    });
    target.addEventListener("pointermove", function (event) {
      if (active[event.pointerId]) dispatch("move", event);
    });
    target.addEventListener("pointerup", function (event) {
      dispatch("end", event);
    });
    target.addEventListener("pointercancel", function (event) {
      dispatch("cancel", event);
    });
  }

  function systemInfo() {
    return {
      brand: "openminis",
      model: "web",
      pixelRatio: window.devicePixelRatio || 1,
      screenWidth: screen.width,
      screenHeight: screen.height,
      windowWidth: innerWidth,
      windowHeight: innerHeight,
      statusBarHeight: 0,
      language: String(compat.launch().locale || navigator.language),
      version: "8.0.0",
      system: navigator.platform,
      platform: "openminis",
      SDKVersion: "3.0.0",
      safeArea: { left: 0, right: innerWidth, top: 0, bottom: innerHeight, width: innerWidth, height: innerHeight },
    };
  }

  function launchOptions() {
    return { scene: SCENE, query: compat.launch().query || {}, referrerInfo: {} };
  }

  /** @param {any} key */
  function storageKey(key) {
    if (typeof key !== "string" || !key) throw new Error("key: a non-empty string");
    return key;
  }

  /**
   * A WeChat ad object over the app's unit of `format` (WeChat's adUnitId is not one of ours).
   * @param {"rewarded" | "interstitial"} format
   */
  function Ad(format) {
    /** @type {Record<string, Array<Function>>} */
    var listeners = { load: [], error: [], close: [] };
    /** @param {string} kind @param {any} [data] */
    function emit(kind, data) {
      listeners[kind].slice().forEach(function (listener) {
        listener(data);
      });
    }
    return {
      load: function () {
        emit("load");
        return Promise.resolve();
      },
      show: function () {
        return compat.showAd(format).then(
          function (result) {
            emit("close", format === "rewarded" ? { isEnded: !!result.rewarded } : undefined);
          },
          function (error) {
            var answer = { errMsg: String(error && error.message), errCode: error && error.code === "NO_FILL" ? 1004 : 1000 };
            emit("error", answer);
            throw answer;
          }
        );
      },
      onLoad: function (/** @type {Function} */ listener) {
        listeners.load.push(listener);
      },
      offLoad: function (/** @type {Function} */ listener) {
        off(listeners.load, listener);
      },
      onError: function (/** @type {Function} */ listener) {
        listeners.error.push(listener);
      },
      offError: function (/** @type {Function} */ listener) {
        off(listeners.error, listener);
      },
      onClose: function (/** @type {Function} */ listener) {
        listeners.close.push(listener);
      },
      offClose: function (/** @type {Function} */ listener) {
        off(listeners.close, listener);
      },
      destroy: function () {
        listeners = { load: [], error: [], close: [] };
      },
    };
  }

  function InnerAudioContext() {
    var audio = new Audio();
    /** @type {Record<string, Array<Function>>} */
    var listeners = { play: [], pause: [], stop: [], ended: [], error: [], canplay: [], timeUpdate: [] };
    /** @param {string} kind @param {any} [data] */
    function emit(kind, data) {
      listeners[kind].slice().forEach(function (listener) {
        listener(data);
      });
    }
    audio.addEventListener("play", function () {
      emit("play");
    });
    audio.addEventListener("pause", function () {
      emit("pause");
    });
    audio.addEventListener("ended", function () {
      emit("ended");
    });
    audio.addEventListener("canplay", function () {
      emit("canplay");
    });
    audio.addEventListener("timeupdate", function () {
      emit("timeUpdate");
    });
    audio.addEventListener("error", function () {
      emit("error", { errMsg: "audio error", errCode: 10001 });
    });
    /** @type {any} */
    var context = {
      play: function () {
        audio.play().catch(function (error) {
          emit("error", { errMsg: String(error), errCode: 10001 });
        });
      },
      pause: function () {
        audio.pause();
      },
      stop: function () {
        audio.pause();
        audio.currentTime = 0;
        emit("stop");
      },
      seek: function (/** @type {number} */ seconds) {
        audio.currentTime = seconds;
      },
      destroy: function () {
        audio.pause();
        audio.removeAttribute("src");
      },
    };
    ["src", "loop", "volume", "autoplay", "playbackRate"].forEach(function (name) {
      Object.defineProperty(context, name, {
        get: function () {
          return /** @type {any} */ (audio)[name];
        },
        set: function (value) {
          /** @type {any} */ (audio)[name] = value;
        },
      });
    });
    ["currentTime", "duration", "paused"].forEach(function (name) {
      Object.defineProperty(context, name, {
        get: function () {
          return /** @type {any} */ (audio)[name];
        },
      });
    });
    Object.keys(listeners).forEach(function (kind) {
      var title = kind.charAt(0).toUpperCase() + kind.slice(1);
      context["on" + title] = function (/** @type {Function} */ listener) {
        listeners[kind].push(listener);
      };
      context["off" + title] = function (/** @type {Function} */ listener) {
        off(listeners[kind], listener);
      };
    });
    return context;
  }

  /**
   * @param {Array<[Function, Function]>} list
   * @param {(callback: () => void) => () => void} subscribe
   * @param {Function} listener
   */
  function lifecycle(list, subscribe, listener) {
    var unsubscribe = subscribe(function () {
      listener(launchOptions());
    });
    list.push([listener, unsubscribe]);
  }

  /**
   * @param {Array<[Function, Function]>} list
   * @param {Function} [listener]
   */
  function unlifecycle(list, listener) {
    for (var index = list.length - 1; index >= 0; index--) {
      if (!listener || list[index][0] === listener) {
        list[index][1]();
        list.splice(index, 1);
      }
    }
  }

  /** @param {Promise<unknown>} saving */
  function logged(saving) {
    saving.catch(function (error) {
      console.error("wx storage: not saved", error);
    });
    return saving;
  }

  // WeChat games split their code into CommonJS modules (`require("./js/main")`): each is fetched
  // from the package, synchronously as WeChat's loader is, and run once.
  /** @type {Record<string, {exports: any}>} */
  var modules = {};

  /**
   * @param {string} from the requiring module's path in the package
   * @param {string} name what it asked for
   */
  function resolve(from, name) {
    var parts = from.split("/").slice(0, -1);
    name.split("/").forEach(function (part) {
      if (part === "..") parts.pop();
      else if (part && part !== ".") parts.push(part);
    });
    var path = parts.join("/");
    return /\.js$/.test(path) ? path : path + ".js";
  }

  /** @param {string} path */
  function load(path) {
    if (modules[path]) return modules[path].exports;
    var request = new XMLHttpRequest();
    request.open("GET", path, false);
    request.send();
    if (request.status !== 200) throw new Error("require: no module " + path + " in the package");
    var module = { exports: {} };
    modules[path] = module;
    var run = new Function("require", "module", "exports", request.responseText + "\n//# sourceURL=" + path);
    run(requireFrom(path), module, module.exports);
    return module.exports;
  }

  /** @param {string} from */
  function requireFrom(from) {
    return function (/** @type {string} */ name) {
      return load(resolve(from, name));
    };
  }

  /** @type {any} */ (window).require = requireFrom("game.js");

  var wx = {
    __start: function (/** @type {string} */ src) {
      compat
        .ready()
        .then(function () {
          return store.loaded;
        })
        .then(function () {
          minis.setLoadingProgress(90);
          var script = document.createElement("script");
          script.src = src;
          script.onload = function () {
            requestAnimationFrame(function () {
              minis.ready();
            });
          };
          document.body.appendChild(script);
        });
    },
    createCanvas: function () {
      var canvas = !handedOut && screenCanvas ? screenCanvas : document.createElement("canvas");
      handedOut = true;
      canvas.width = innerWidth;
      canvas.height = innerHeight;
      return canvas;
    },
    getSystemInfoSync: systemInfo,
    getSystemInfo: function (/** @type {any} */ options) {
      return callbacks("getSystemInfo", options, Promise.resolve(systemInfo()));
    },
    getLaunchOptionsSync: launchOptions,
    onTouchStart: function (/** @type {Function} */ listener) {
      touchListeners.start.push(listener);
    },
    onTouchMove: function (/** @type {Function} */ listener) {
      touchListeners.move.push(listener);
    },
    onTouchEnd: function (/** @type {Function} */ listener) {
      touchListeners.end.push(listener);
    },
    onTouchCancel: function (/** @type {Function} */ listener) {
      touchListeners.cancel.push(listener);
    },
    offTouchStart: function (/** @type {Function} */ listener) {
      off(touchListeners.start, listener);
    },
    offTouchMove: function (/** @type {Function} */ listener) {
      off(touchListeners.move, listener);
    },
    offTouchEnd: function (/** @type {Function} */ listener) {
      off(touchListeners.end, listener);
    },
    offTouchCancel: function (/** @type {Function} */ listener) {
      off(touchListeners.cancel, listener);
    },
    getStorageSync: function (/** @type {string} */ key) {
      var value = store.data()[storageKey(key)];
      return value === undefined ? "" : value;
    },
    setStorageSync: function (/** @type {string} */ key, /** @type {any} */ data) {
      storageKey(key);
      logged(
        store.change(function (copy) {
          copy[key] = data;
        })
      );
    },
    removeStorageSync: function (/** @type {string} */ key) {
      storageKey(key);
      logged(
        store.change(function (copy) {
          delete copy[key];
        })
      );
    },
    clearStorageSync: function () {
      logged(
        store.change(function (copy) {
          Object.keys(copy).forEach(function (key) {
            delete copy[key];
          });
        })
      );
    },
    getStorage: function (/** @type {any} */ options) {
      return callbacks(
        "getStorage",
        options,
        store.loaded.then(function () {
          var value = store.data()[storageKey(options && options.key)];
          if (value === undefined) throw new Error("data not found");
          return { data: value };
        })
      );
    },
    setStorage: function (/** @type {any} */ options) {
      return callbacks(
        "setStorage",
        options,
        store.loaded.then(function () {
          var key = storageKey(options && options.key);
          return store.change(function (copy) {
            copy[key] = options.data;
          });
        })
      );
    },
    removeStorage: function (/** @type {any} */ options) {
      return callbacks(
        "removeStorage",
        options,
        store.loaded.then(function () {
          var key = storageKey(options && options.key);
          return store.change(function (copy) {
            delete copy[key];
          });
        })
      );
    },
    login: function (/** @type {any} */ options) {
      return callbacks(
        "login",
        options,
        compat.ready().then(function () {
          return minis.login();
        })
      );
    },
    shareAppMessage: function (/** @type {any} */ options) {
      // WeChat's query is a string ("level=3&from=share"); whoever opens the link gets it back.
      var given = options && typeof options.query === "string" ? options.query : "";
      /** @type {Record<string, string>} */
      var query = {};
      new URLSearchParams(given).forEach(function (value, key) {
        query[key] = value;
      });
      var title = options && typeof options.title === "string" && options.title.trim() ? options.title.trim() : document.title || "Play with me";
      compat
        .start()
        .then(function () {
          return minis.share({ title: title.slice(0, 120), query: query });
        })
        .catch(function (/** @type {any} */ error) {
          console.error("wx.shareAppMessage: not shared", error);
        });
    },
    showShareMenu: function (/** @type {any} */ options) {
      return callbacks("showShareMenu", options, Promise.resolve());
    },
    createRewardedVideoAd: function () {
      return Ad("rewarded");
    },
    createInterstitialAd: function () {
      return Ad("interstitial");
    },
    createInnerAudioContext: InnerAudioContext,
    onShow: function (/** @type {Function} */ listener) {
      lifecycle(showListeners, minis.onShow, listener);
    },
    onHide: function (/** @type {Function} */ listener) {
      lifecycle(hideListeners, minis.onHide, listener);
    },
    offShow: function (/** @type {Function} */ listener) {
      unlifecycle(showListeners, listener);
    },
    offHide: function (/** @type {Function} */ listener) {
      unlifecycle(hideListeners, listener);
    },
    exitMiniProgram: function (/** @type {any} */ options) {
      return callbacks("exitMiniProgram", options, minis.exit());
    },
    setTimeout: window.setTimeout.bind(window),
    clearTimeout: window.clearTimeout.bind(window),
    setInterval: window.setInterval.bind(window),
    clearInterval: window.clearInterval.bind(window),
    requestAnimationFrame: window.requestAnimationFrame.bind(window),
    cancelAnimationFrame: window.cancelAnimationFrame.bind(window),
  };

  /** @type {any} */ (window).wx = wx;
  /** @type {any} */ (window).GameGlobal = window;
})();
