// Analytics events from the host: exposure, click, launch, ready, session_end, resume (a kept app
// opened again, launcher.js), and for creator posts play (the video started) and complete (it was
// watched to its end).
// Batched to POST /api/events: every 5 s, at 20 events, and when the page goes away.
// @ts-check

const FLUSH_INTERVAL_MS = 5000;
const FLUSH_AT = 20;
const EXPOSURE_RATIO = 0.5;
const EXPOSURE_DWELL_MS = 1000;

export class EventQueue {
  constructor(api) {
    this.api = api;
    this.queue = [];
    this.sent = 0;
    setInterval(() => this.flush(), FLUSH_INTERVAL_MS);
    // pagehide is the last reliable moment on desktop; a hidden page on mobile may never
    // come back, so it is flushed then too. Both must use sendBeacon to survive unload.
    addEventListener("pagehide", () => this.flush({ beacon: true }));
    document.addEventListener("visibilitychange", () => {
      if (document.visibilityState === "hidden") this.flush({ beacon: true });
    });
  }

  track(type, appId, fields = {}) {
    this.queue.push({ type, app_id: appId, ts: Date.now(), ...fields });
    if (this.queue.length >= FLUSH_AT) this.flush();
  }

  flush({ beacon = false } = {}) {
    if (this.queue.length === 0) return;
    const events = this.queue.splice(0);
    this.sent += events.length;
    this.api.sendEvents(events, { beacon }).catch((error) => {
      console.warn("openminis: events not delivered", error);
    });
  }
}

// Reports a card once per page view when at least half of it stays on screen for a second.
// A creator's post is reported once per post: several posts may link to the same app.
export class ExposureTracker {
  constructor(events) {
    this.events = events;
    this.reported = new Set();
    this.timers = new Map(); // element -> timeout id
    this.watched = new WeakMap(); // element -> {key, appId, source, fields}
    this.observer = new IntersectionObserver((entries) => this.onChange(entries), {
      threshold: [EXPOSURE_RATIO],
    });
  }

  /** `fields`: what else the exposure says, `{post_id, creator_id}` for a post. */
  observe(element, appId, source, fields = {}) {
    const key = fields.post_id ? `${source}:${appId}:${fields.post_id}` : `${source}:${appId}`;
    if (this.reported.has(key)) return;
    element.dataset.exposureApp = appId;
    element.dataset.exposureSource = source;
    this.watched.set(element, { key, appId, source, fields });
    this.observer.observe(element);
  }

  onChange(entries) {
    for (const entry of entries) {
      const element = entry.target;
      if (entry.isIntersecting && entry.intersectionRatio >= EXPOSURE_RATIO) {
        if (!this.timers.has(element)) {
          this.timers.set(element, setTimeout(() => this.report(element), EXPOSURE_DWELL_MS));
        }
      } else {
        clearTimeout(this.timers.get(element));
        this.timers.delete(element);
      }
    }
  }

  report(element) {
    this.timers.delete(element);
    this.observer.unobserve(element);
    if (!element.isConnected) return; // re-rendered away while the second ran
    const { key, appId, source, fields } = this.watched.get(element);
    if (this.reported.has(key)) return;
    this.reported.add(key);
    this.events.track("exposure", appId, { source, ...fields });
  }
}
