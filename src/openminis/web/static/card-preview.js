// An app card's looping preview (minis.json `preview`: a short video or an animated image inside
// the package). It plays muted and inline only while its card is the one in view, and the icon
// shows until it plays, and for good if it fails to load, or if the person asked their system for
// less motion (a loop that plays by itself is motion they did not start; decoding it also cost a
// third of a core for as long as the card stayed in view).
// @ts-check

const VIDEO = /\.(mp4|webm)$/i;
const LESS_MOTION = window.matchMedia("(prefers-reduced-motion: reduce)");

export class CardPreview {
  /**
   * @param {string} url the card's preview_url
   * @param {HTMLElement} icon the app's icon, which the preview covers while it plays
   */
  constructor(url, icon) {
    this.url = url;
    this.icon = icon;
    this.failed = false;
    this.isVideo = VIDEO.test(url);
    /** @type {HTMLVideoElement | HTMLImageElement} */
    this.element = this.isVideo ? this.video() : document.createElement("img");
    this.element.className = "feed-card-preview";
    this.element.hidden = true;
    this.element.setAttribute("aria-hidden", "true");
    this.element.addEventListener("error", () => this.fail());
  }

  video() {
    const video = document.createElement("video");
    video.muted = true;
    video.loop = true;
    video.playsInline = true;
    video.preload = "none";
    video.disableRemotePlayback = true;
    // Autoplay policies read the attributes, not the properties.
    video.setAttribute("muted", "");
    video.setAttribute("playsinline", "");
    video.addEventListener("playing", () => this.shown(true));
    return video;
  }

  /** The card came into view: load and play. */
  start() {
    if (this.failed || LESS_MOTION.matches) return;
    if (!this.element.getAttribute("src")) this.element.setAttribute("src", this.url);
    if (this.element instanceof HTMLVideoElement) {
      this.element.play().catch(() => {}); // a refused autoplay leaves the icon, which is fine
    } else {
      this.element.addEventListener("load", () => this.shown(true), { once: true });
      if (this.element.complete && this.element.naturalWidth) this.shown(true);
    }
  }

  /** The card left the view: stop, and let go of an animated image (it would keep animating). */
  stop() {
    if (this.element instanceof HTMLVideoElement) this.element.pause();
    else this.element.removeAttribute("src");
    this.shown(false);
  }

  get playing() {
    return !this.element.hidden;
  }

  shown(on) {
    this.element.hidden = !on;
    this.icon.hidden = on;
  }

  fail() {
    this.failed = true;
    this.shown(false);
  }
}
