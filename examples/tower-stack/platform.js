// platform.js: a small defensive layer over the openminis SDK (the global `minis`
// defined by /minis-sdk.js), plus canvas sizing and tiny WebAudio sound effects.
// Every SDK call is wrapped: a missing SDK, a host error or a failed cloud save only
// logs a warning, the game keeps running and merely loses persistence.
(function () {
  "use strict";

  const sdk = window.minis || null;

  function warn(what, err) {
    const detail = err && (err.code ? err.code + ": " + err.message : err.message || String(err));
    console.warn("[minis] " + what + " failed" + (detail ? " (" + detail + ")" : ""));
  }

  // One pending write per key: a burst of saves becomes one bridge call.
  const pendingSaves = new Map();

  // What to keep text and buttons clear of, in CSS pixels from each edge of the window: the
  // device's notch and home bar and the host's close capsule (getSystemInfo().safeArea; outside
  // the host, the device's alone). Also --safe-top/right/bottom/left on <html>, for HTML over the
  // canvas (which falls back to env(safe-area-inset-*) until they are set).
  const SIDES = ["top", "right", "bottom", "left"];
  let insets = null; // until the host says
  const insetListeners = [];

  async function readSafeArea() {
    try {
      const info = await sdk.getSystemInfo();
      if (!info.safeArea) return;
      const next = {};
      for (const side of SIDES) next[side] = Math.max(0, Number(info.safeArea[side]) || 0);
      if (insets && SIDES.every((side) => next[side] === insets[side])) return;
      const changed = insets !== null;
      insets = next;
      for (const side of SIDES) document.documentElement.style.setProperty("--safe-" + side, next[side] + "px");
      if (changed) for (const cb of insetListeners) cb({ ...next });
    } catch (e) {
      warn("getSystemInfo", e);
    }
  }

  const Platform = {
    // Sensible defaults for when init fails (e.g. the page was opened without a host).
    launch: { visible: true, prewarmed: false, source: "direct", query: {} },

    async init() {
      if (!sdk) {
        warn("init", new Error("minis SDK not loaded"));
        return this.launch;
      }
      try {
        this.launch = await sdk.init();
        // The host's mute, which a game must honour: its menu's toggle, and while it hides the app.
        Sound.setHostMuted(sdk.isMuted());
        sdk.onAudioChange((audio) => Sound.setHostMuted(audio.muted));
      } catch (e) {
        warn("init", e);
        return this.launch;
      }
      await readSafeArea();
      window.addEventListener("resize", readSafeArea); // a phone turned: other insets, maybe
      return this.launch;
    },

    safeArea() {
      return { top: 0, right: 0, bottom: 0, left: 0, ...insets };
    },

    // Runs `cb(insets)` when the safe area changed after init (a phone turned, the frame laid out again).
    onSafeAreaChange(cb) {
      insetListeners.push(cb);
    },

    progress(percent) {
      if (!sdk) return;
      try {
        const pct = Math.max(0, Math.min(100, Math.round(percent)));
        Promise.resolve(sdk.setLoadingProgress(pct)).catch((e) => warn("setLoadingProgress", e));
      } catch (e) {
        warn("setLoadingProgress", e);
      }
    },

    ready() {
      if (!sdk) return;
      try {
        Promise.resolve(sdk.ready()).catch((e) => warn("ready", e));
      } catch (e) {
        warn("ready", e);
      }
    },

    // A short buzz where the device can (minis.canIUse("vibrate")); nothing elsewhere.
    vibrate(pattern) {
      if (!sdk || !sdk.canIUse || !sdk.canIUse("vibrate")) return;
      try {
        Promise.resolve(sdk.vibrate(pattern)).catch(() => {});
      } catch (e) {
        warn("vibrate", e);
      }
    },

    isVisible() {
      if (!sdk) return true;
      try {
        return sdk.isVisible() !== false;
      } catch (e) {
        return this.launch.visible !== false;
      }
    },

    onShow(cb) {
      if (sdk) try { sdk.onShow(cb); } catch (e) { warn("onShow", e); }
    },

    onHide(cb) {
      if (sdk) try { sdk.onHide(cb); } catch (e) { warn("onHide", e); }
    },

    // Resolves to the stored value, or null when unset or on any error.
    async load(key) {
      if (!sdk) return null;
      try {
        const v = await sdk.storage.get(key);
        return v === undefined ? null : v;
      } catch (e) {
        warn("storage.get(" + key + ")", e);
        return null;
      }
    },

    // Waits for `promise` at most `ms`; resolves to `fallback` after that. The promise
    // keeps running, so a late answer can still be applied by whoever holds it.
    within(promise, ms, fallback = null) {
      return Promise.race([promise, new Promise((r) => setTimeout(() => r(fallback), ms))]);
    },

    save(key, value) {
      const pending = pendingSaves.get(key);
      if (pending) clearTimeout(pending.timer); // this write supersedes a debounced one
      pendingSaves.delete(key);
      if (!sdk) return;
      try {
        Promise.resolve(sdk.storage.set(key, value)).catch((e) => warn("storage.set(" + key + ")", e));
      } catch (e) {
        warn("storage.set(" + key + ")", e);
      }
    },

    // Debounced save: only the last value within `ms` is written.
    saveLater(key, value, ms = 600) {
      const prev = pendingSaves.get(key);
      if (prev) clearTimeout(prev.timer);
      const timer = setTimeout(() => this.save(key, value), ms);
      pendingSaves.set(key, { timer, value });
    },

    // Write every debounced save now (called when the app is hidden).
    flush() {
      for (const [key, p] of [...pendingSaves]) {
        clearTimeout(p.timer);
        this.save(key, p.value);
      }
    },

    // The LaunchInfo as it is now: for a prewarmed app the host fills in initData at the tap.
    launchInfo() {
      try {
        return (sdk && sdk.getLaunchInfo && sdk.getLaunchInfo()) || this.launch;
      } catch (e) {
        return this.launch;
      }
    },

    // Whether the host is there to sign in and take payments (not when opened directly).
    async inHost() {
      if (!sdk || !sdk.login) return false;
      try {
        return (await sdk.getSystemInfo()).environment === "host";
      } catch (e) {
        return false;
      }
    },

    // Host calls whose failure the game handles itself (a cancelled payment, a denied
    // profile): they reject with the SDK's MinisError, or NO_HOST without an SDK.
    request(method, ...args) {
      if (!sdk || typeof sdk[method] !== "function") {
        return Promise.reject(Object.assign(new Error("the openminis SDK is not loaded"), { code: "NO_HOST" }));
      }
      try {
        return Promise.resolve(sdk[method](...args));
      } catch (e) {
        return Promise.reject(e);
      }
    },

    // Sizes the canvas backing store to the window at the device pixel ratio and
    // returns the size in CSS pixels; draw in CSS pixels afterwards.
    fitCanvas(canvas, ctx) {
      const dpr = Math.min(window.devicePixelRatio || 1, 3);
      const w = Math.max(1, window.innerWidth);
      const h = Math.max(1, window.innerHeight);
      canvas.width = Math.round(w * dpr);
      canvas.height = Math.round(h * dpr);
      canvas.style.width = w + "px";
      canvas.style.height = h + "px";
      ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
      return { w, h, dpr };
    },
  };

  // Tiny synth: the AudioContext is created on the first user gesture (browsers
  // refuse to start audio before one) and suspended whenever the app is hidden or the
  // host mutes it (its menu's Mute: minis.onAudioChange). The two are kept apart, so that
  // showing the app again does not unmute what the person muted.
  const Sound = {
    ctx: null,
    hidden: false,
    hostMuted: false,

    get muted() {
      return this.hidden || this.hostMuted;
    },

    unlock() {
      if (this.muted) return;
      try {
        if (!this.ctx) {
          const AC = window.AudioContext || window.webkitAudioContext;
          if (!AC) return;
          this.ctx = new AC();
        }
        if (this.ctx.state === "suspended") this.ctx.resume().catch(() => {});
      } catch (e) {
        this.ctx = null;
      }
    },

    // A single enveloped oscillator note; `to` glides the pitch.
    tone(freq, dur, opts = {}) {
      const ac = this.ctx;
      if (!ac || this.muted || ac.state !== "running") return;
      const { type = "sine", vol = 0.12, to = null, delay = 0 } = opts;
      const t0 = ac.currentTime + delay;
      const osc = ac.createOscillator();
      const gain = ac.createGain();
      osc.type = type;
      osc.frequency.setValueAtTime(freq, t0);
      if (to) osc.frequency.exponentialRampToValueAtTime(to, t0 + dur);
      gain.gain.setValueAtTime(0.0001, t0);
      gain.gain.exponentialRampToValueAtTime(vol, t0 + 0.01);
      gain.gain.exponentialRampToValueAtTime(0.0001, t0 + dur);
      osc.connect(gain).connect(ac.destination);
      osc.start(t0);
      osc.stop(t0 + dur + 0.02);
    },

    apply() {
      if (this.ctx) (this.muted ? this.ctx.suspend() : this.ctx.resume()).catch(() => {});
    },

    suspend() {
      this.hidden = true;
      this.apply();
    },

    resume() {
      this.hidden = false;
      this.apply();
    },

    setHostMuted(muted) {
      this.hostMuted = !!muted;
      this.apply();
    },
  };

  window.Platform = Platform;
  window.Sound = Sound;
})();
