// The drama player's viewing controls: subtitles (CC), playback speed, picture-in-picture, and the
// preview above the scrubber while it is dragged.
//
// Subtitles are the episode's WebVTT files, one <track> per language on the episode's <video>,
// from the same signed, same-origin URLs as its media. They are off until the person picks a
// language; that choice and the speed are remembered on this device (localStorage) and applied to
// every episode after. A track that is not shown is "disabled", so the browser does not fetch it.
// The chosen one is "hidden" and its cues are drawn by the player itself (.drama-subtitles), above
// the title and the scrubber: the browser's own rendering puts them at the video's bottom edge,
// under the player's controls, and a cue's line cannot be moved once the browser has drawn it.
//
// The scrubber's preview is one sprite of small frames made when the episode was transcoded
// (`preview` in the playback answer says its layout): dragging shows the tile for the moment under
// the thumb, with no seeking and no request per frame.
// @ts-check

import { el, part } from "./dom.js";
import { icon } from "./icons.js";
import { formatTime } from "./format.js";

export const SPEEDS = [0.75, 1, 1.25, 1.5, 2];
const SPEED_KEY = "minis.drama.speed";
const CAPTIONS_KEY = "minis.drama.captions";
const OFF = "off";

/** A remembered choice; storage can be unavailable (a privacy mode), and then nothing is remembered. */
function recall(key) {
  try {
    return localStorage.getItem(key);
  } catch {
    return null;
  }
}

function remember(key, value) {
  try {
    localStorage.setItem(key, value);
  } catch {
    // Not remembered: the choice still holds for this page.
  }
}

/** "English", "español (México)": the language's own name where the browser knows it. */
export function languageName(tag) {
  try {
    return new Intl.DisplayNames([tag], { type: "language" }).of(tag) || tag;
  } catch {
    return tag;
  }
}

export class DramaControls {
  /**
   * @param {object} options
   * @param {HTMLElement} options.root the drama player (.drama-player)
   * @param {() => HTMLVideoElement | null} options.video the video of the episode on screen
   * @param {(message: string) => void} options.notify
   */
  constructor({ root, video, notify }) {
    this.root = root;
    this.video = video;
    this.notify = notify;
    this.captionsButton = part(root, ".drama-captions");
    this.speedButton = part(root, ".drama-speed");
    this.pipButton = part(root, ".drama-pip");
    this.menu = part(root, ".drama-menu");
    this.preview = part(root, ".drama-seek-preview");
    this.previewTime = part(root, ".drama-seek-preview-time");
    this.subtitles = part(root, ".drama-subtitles");

    const stored = Number(recall(SPEED_KEY));
    this.speed = SPEEDS.includes(stored) ? stored : 1;
    this.captions = recall(CAPTIONS_KEY) || OFF; // a language tag, or "off"
    /** @type {{every_ms: number, count: number, columns: number, width: number, height: number, url: string} | null} */
    this.sprite = null;
    /** @type {string[]} the languages of the episode on screen */
    this.languages = [];

    this.captionsButton.addEventListener("click", () => this.toggleMenu("captions"));
    this.speedButton.addEventListener("click", () => this.toggleMenu("speed"));
    // Where the browser has no picture-in-picture (or it is turned off), there is no button.
    this.pipButton.hidden = !document.pictureInPictureEnabled;
    this.pipButton.addEventListener("click", () => this.togglePictureInPicture());
    // The menu's own keys: the player's (arrows move between episodes, Escape closes it) wait.
    this.menu.addEventListener("keydown", (event) => {
      const items = /** @type {HTMLElement[]} */ (Array.from(this.menu.querySelectorAll(".drama-menu-item")));
      const at = items.indexOf(/** @type {HTMLElement} */ (document.activeElement));
      const moves = { ArrowDown: at + 1, ArrowUp: at - 1, Home: 0, End: items.length - 1 };
      if (event.key === "Escape" || event.key === "Tab") {
        this.closeMenu();
      } else if (event.key in moves) {
        const next = /** @type {Record<string, number>} */ (moves)[event.key];
        items[(next + items.length) % items.length]?.focus({ preventScroll: true });
        event.preventDefault();
      } else {
        return;
      }
      event.stopPropagation();
    });
    root.addEventListener("pointerdown", (event) => {
      const target = /** @type {Element} */ (event.target);
      if (!this.menu.hidden && !target.closest(".drama-menu, .drama-captions, .drama-speed")) this.closeMenu();
    });
    this.renderSpeed();
    this.renderCaptions();
  }

  // The episode on screen ----------------------------------------------------------------------

  /**
   * An episode's video with its playback answer: its tracks, and the speed and captions chosen.
   * @param {HTMLVideoElement} video
   * @param {{subtitles?: {language: string, url: string}[]}} answer
   */
  attach(video, answer) {
    for (const track of video.querySelectorAll("track")) track.remove();
    for (const { language, url } of answer.subtitles || []) {
      const track = el("track", { kind: "subtitles", srclang: language, label: languageName(language), src: url });
      track.track.addEventListener("cuechange", () => {
        if (video === this.video()) this.renderCue();
      });
      video.append(track);
    }
    this.apply(video);
  }

  /**
   * The choices, on a video (the one on screen, or one loaded ahead): speed and which track shows.
   * @param {HTMLVideoElement} video
   */
  apply(video) {
    // The default rate too: loading a new source resets the rate to it.
    video.defaultPlaybackRate = this.speed;
    video.playbackRate = this.speed;
    for (const track of Array.from(video.textTracks)) {
      track.mode = track.language === this.captions ? "hidden" : "disabled";
    }
    if (video === this.video()) this.renderCue();
  }

  /** The chosen track of the video on screen, if it has one. */
  shownTrack() {
    const video = this.video();
    return (video && Array.from(video.textTracks).find((track) => track.mode === "hidden")) || null;
  }

  /** The cues on screen now, as the WebVTT markup allows (italics, bold, voices): never raw HTML. */
  renderCue() {
    const cues = Array.from(this.shownTrack()?.activeCues || []).filter((cue) => cue instanceof VTTCue);
    this.subtitles.replaceChildren(
      ...cues.map((cue) => el("span", { className: "drama-cue" }, /** @type {VTTCue} */ (cue).getCueAsHTML()))
    );
    this.subtitles.hidden = cues.length === 0;
  }

  /**
   * The episode now on screen: its languages for the CC button, its preview sprite for the scrubber.
   * @param {HTMLVideoElement | null} video
   * @param {any} answer its playback answer, or null before it came (or when it is locked)
   */
  show(video, answer) {
    this.closeMenu();
    this.languages = (answer?.subtitles || []).map((/** @type {{language: string}} */ track) => track.language);
    this.sprite = answer?.preview && answer.urls?.preview ? { ...answer.preview, url: answer.urls.preview } : null;
    this.preview.style.backgroundImage = this.sprite ? `url(${JSON.stringify(this.sprite.url)})` : "";
    if (video) this.apply(video);
    else this.renderCue();
    this.renderCaptions();
  }

  close() {
    this.closeMenu();
    this.hidePreview();
    this.subtitles.replaceChildren();
    this.subtitles.hidden = true;
    if (document.pictureInPictureElement) document.exitPictureInPicture().catch(() => {});
  }

  // Menus: captions and speed -------------------------------------------------------------------

  /** @param {"captions" | "speed"} kind */
  toggleMenu(kind) {
    if (!this.menu.hidden && this.menu.dataset.kind === kind) {
      this.closeMenu();
      return;
    }
    const button = kind === "captions" ? this.captionsButton : this.speedButton;
    const options =
      kind === "captions"
        ? [{ value: OFF, label: "Off" }, ...this.languages.map((language) => ({ value: language, label: languageName(language) }))]
        : SPEEDS.map((speed) => ({ value: String(speed), label: speed === 1 ? "Normal" : `${speed}×` }));
    const current = kind === "captions" ? this.captions : String(this.speed);
    const items = options.map(({ value, label }) =>
      el(
        "button",
        {
          type: "button",
          role: "menuitemradio",
          className: "drama-menu-item",
          "aria-checked": String(value === current),
          onclick: () => (kind === "captions" ? this.setCaptions(value) : this.setSpeed(Number(value))),
        },
        icon("check"),
        label
      )
    );
    this.menu.dataset.kind = kind;
    this.menu.setAttribute("aria-label", kind === "captions" ? "Subtitles" : "Playback speed");
    this.menu.replaceChildren(...items);
    this.menu.hidden = false;
    button.setAttribute("aria-expanded", "true");
    const checked = items.find((item) => item.getAttribute("aria-checked") === "true");
    (checked || items[0]).focus({ preventScroll: true });
  }

  closeMenu() {
    if (this.menu.hidden) return;
    const button = this.menu.dataset.kind === "captions" ? this.captionsButton : this.speedButton;
    this.menu.hidden = true;
    this.menu.replaceChildren();
    this.captionsButton.setAttribute("aria-expanded", "false");
    this.speedButton.setAttribute("aria-expanded", "false");
    if (this.root.contains(document.activeElement) || document.activeElement === document.body) button.focus({ preventScroll: true });
  }

  /** @param {string} language a tag, or "off" */
  setCaptions(language) {
    this.captions = language;
    remember(CAPTIONS_KEY, language);
    const video = this.video();
    if (video) this.apply(video);
    this.renderCaptions();
    this.closeMenu();
  }

  /** @param {number} speed */
  setSpeed(speed) {
    if (!SPEEDS.includes(speed)) return;
    this.speed = speed;
    remember(SPEED_KEY, String(speed));
    const video = this.video();
    if (video) this.apply(video);
    this.renderSpeed();
    this.closeMenu();
  }

  renderCaptions() {
    const on = this.captions !== OFF && this.languages.includes(this.captions);
    // An episode without subtitles has no CC button; the choice waits for the next one that has.
    this.captionsButton.hidden = this.languages.length === 0;
    this.captionsButton.setAttribute("aria-pressed", String(on));
    this.captionsButton.setAttribute("aria-label", on ? `Subtitles: ${languageName(this.captions)}` : "Subtitles: off");
    this.captionsButton.replaceChildren(icon("captions"), el("span", {}, on ? this.captions.toUpperCase() : "CC"));
  }

  renderSpeed() {
    this.speedButton.setAttribute("aria-label", `Playback speed: ${this.speed === 1 ? "normal" : `${this.speed}×`}`);
    this.speedButton.replaceChildren(icon("speed"), el("span", {}, `${this.speed}×`));
  }

  // Picture-in-picture --------------------------------------------------------------------------

  async togglePictureInPicture() {
    try {
      if (document.pictureInPictureElement) await document.exitPictureInPicture();
      else await this.video()?.requestPictureInPicture();
    } catch (error) {
      // Refused (no frame yet, or the browser's own rules): say so rather than nothing happening.
      this.notify("Picture-in-picture is not available right now.");
      console.warn("openminis: picture-in-picture refused", error);
    }
  }

  /**
   * A new episode starts playing while the last one is in picture-in-picture: the window follows
   * it (allowed without a tap while a picture-in-picture window is open).
   * @param {HTMLVideoElement} video
   */
  followPictureInPicture(video) {
    const shown = document.pictureInPictureElement;
    if (shown && shown !== video) video.requestPictureInPicture().catch((error) => console.warn("openminis: picture-in-picture not moved", error));
  }

  // The scrubber's preview ----------------------------------------------------------------------

  /**
   * The frame at `seconds` above the scrubber, at the thumb's place along it (`fraction`, 0 to 1).
   * @param {number} seconds
   * @param {number} fraction
   */
  showPreview(seconds, fraction) {
    const sprite = this.sprite;
    this.previewTime.textContent = formatTime(seconds);
    this.preview.hidden = false;
    this.preview.classList.toggle("has-frame", Boolean(sprite));
    if (sprite) {
      const tile = Math.max(0, Math.min(sprite.count - 1, Math.floor((seconds * 1000) / sprite.every_ms)));
      this.preview.dataset.tile = String(tile);
      this.preview.style.backgroundPosition = `${-(tile % sprite.columns) * sprite.width}px ${-Math.floor(tile / sprite.columns) * sprite.height}px`;
    }
    // Kept inside the scrubber's ends, so the picture is never cut off at the screen's edge.
    const track = /** @type {HTMLElement} */ (this.preview.parentElement);
    const half = this.preview.offsetWidth / 2;
    const x = Math.max(half, Math.min(track.clientWidth - half, fraction * track.clientWidth));
    this.preview.style.left = `${x}px`;
  }

  hidePreview() {
    this.preview.hidden = true;
  }
}
