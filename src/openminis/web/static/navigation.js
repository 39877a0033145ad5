// The host's history: what opens over the page (a game, a drama episode) gets a history entry with
// a URL of its own, /play/{app} or /watch/{series}/{n}. Back closes it and leaves the page under it
// as it was (the feed at the same item, the hub, search: nothing under an overlay moves); forward
// opens it again; a reload of such a URL opens it at once (pages.py serves the host page there).
//
// The overlay's URL keeps the page's query and hash, so a reload puts the same screen under it and
// going back changes no hash route. A close by the capsule, Escape, a swipe or the app's exit goes
// back too, so that forward can reopen; an entry this document did not push (the page was loaded
// at that URL) is replaced by the page's own URL instead, which keeps the person on openminis.
// @ts-check

/**
 * What is open, as a history entry remembers it: enough to open it again.
 * @typedef {{kind: "play", app_id: string, card: Record<string, any>, source: string, via: Record<string, any>}
 *   | {kind: "watch", series_id: string, app_id: string, title: string, episode: number, source: string, via: Record<string, any>}} Opened
 */

/** The URL path of what is open. @param {Opened} opened */
export function openedPath(opened) {
  if (opened.kind === "play") return `/play/${encodeURIComponent(opened.app_id)}`;
  return `/watch/${encodeURIComponent(opened.series_id)}/${opened.episode}`;
}

/** A swipe down must travel this far from the top edge to close. */
const SWIPE_CLOSE_PX = 64;

/**
 * A swipe down that starts on `strip` (a host-drawn band along the top edge, above the app's frame,
 * which has the touches everywhere else) calls `close`. Pointer events: touch, pen and mouse alike.
 * @param {HTMLElement} strip
 * @param {() => void} close
 */
export function closeOnSwipeDown(strip, close) {
  /** @type {{id: number, y: number} | null} */
  let start = null;
  // While the finger is down the band covers the whole layer: pointer capture alone does not keep
  // a mouse's moves from going to an app frame on another origin under it.
  const end = () => {
    start = null;
    strip.classList.remove("is-tracking");
  };
  strip.addEventListener("pointerdown", (event) => {
    if (event.button !== 0) return;
    start = { id: event.pointerId, y: event.clientY };
    strip.classList.add("is-tracking");
    strip.setPointerCapture(event.pointerId);
  });
  strip.addEventListener("pointerup", (event) => {
    if (!start || event.pointerId !== start.id) return;
    const travelled = event.clientY - start.y;
    end();
    if (travelled >= SWIPE_CLOSE_PX) close();
  });
  strip.addEventListener("pointercancel", end);
}

export class Navigation {
  /**
   * @param {object} options
   * @param {(opened: Opened) => void} options.reopen opens what a history entry says (forward)
   * @param {() => void} options.closeAll closes whatever is open (back)
   */
  constructor({ reopen, closeAll }) {
    this.reopen = reopen;
    this.closeAll = closeAll;
    this.following = false; // opening or closing because history moved: no entry of our own
    this.leaving = false; // a close went back: its popstate has nothing left to close
    // The feed scrolls inside its own element; the window's scroll is never the thing to restore.
    history.scrollRestoration = "manual";
    addEventListener("popstate", (event) => this.onPop(event.state));
  }

  /** Whether the page's own URL is one of what is open (/play, /watch). */
  static isOpenedUrl() {
    return /^\/(play|watch)\//.test(location.pathname);
  }

  /**
   * Opens what the page's URL names, as loaded (a reload, a link): the entry stays the one the
   * browser has, marked as not pushed, so a close replaces it rather than leaving openminis.
   * @param {() => void} open
   */
  openLoaded(open) {
    history.replaceState({ ...history.state, pushed: false }, "");
    this.follow(open);
  }

  /** Something opened over the page. @param {Opened} opened */
  opened(opened) {
    const url = openedPath(opened) + location.search + location.hash;
    if (this.following) {
      history.replaceState({ minis: opened, pushed: Boolean(history.state?.pushed) }, "", url);
    } else {
      history.pushState({ minis: opened, pushed: true }, "", url);
    }
  }

  /** What is open moved on (the next episode): the entry says so, with no new one. @param {Opened} opened */
  moved(opened) {
    const state = history.state;
    if (!state?.minis || state.minis.kind !== opened.kind) return;
    history.replaceState({ ...state, minis: opened }, "", openedPath(opened) + location.search + location.hash);
  }

  /** It closed (the capsule, Escape, a swipe, the app's exit). */
  closed() {
    const state = history.state;
    if (this.following || !state?.minis) return;
    if (state.pushed) {
      this.leaving = true;
      history.back();
    } else {
      history.replaceState(null, "", `/${location.search}${location.hash}`);
    }
  }

  /** @param {any} state */
  onPop(state) {
    if (this.leaving) {
      this.leaving = false;
      if (!state?.minis) return;
    }
    this.follow(() => {
      this.closeAll();
      if (state?.minis) this.reopen(state.minis);
    });
  }

  /** @param {() => void} change */
  follow(change) {
    this.following = true;
    try {
      change();
    } finally {
      this.following = false;
    }
  }
}
