// Host sheets: the modal panels the host draws above everything, the app included, for what
// spends money or identity (pay, consent, top-up). DESIGN.md: these are never drawn by the app.
//
// One sheet at a time. While it is open the rest of the page (the host's views and the app
// layer with its iframe) is inert: nothing there can be clicked or focused, so an app cannot
// click or type through to the sheet's buttons. Focus stays inside the sheet (Tab wraps), and
// Escape or the close button dismisses it, which its owner treats as a cancel. Taps on the
// backdrop do nothing: a fast tapper in a game must not lose a checkout half way through.
//
// A sheet is made of steps (the pay step, then pack choice, then the card form...): each step
// replaces the sheet's title and body and says where Back goes.
// @ts-check

import { part } from "./dom.js";
import { icon } from "./icons.js";

// Confirm buttons wake up once the page has had no press for this long since their step appeared:
// a tap or a key press meant for the game (made just as the app opened the sheet, or one of a
// stream of them still going) must not land on "Pay" or "Allow".
const ARM_DELAY_MS = 500;
const TOAST_MS = 2600;

export class Sheets {
  /** @type {any} */
  returnFocus;
  /** @type {Array<[HTMLElement, boolean]>} */
  covered;
  /**
   * @param {object} options
   * @param {HTMLElement} options.layer the sheet layer (#sheet-layer) from index.html
   * @param {HTMLElement[]} options.inertRoots everything a sheet covers: made inert while one is open
   * @param {HTMLElement} options.toast the polite live region (#toast) for short confirmations
   */
  constructor({ layer, inertRoots, toast }) {
    this.layer = layer;
    this.inertRoots = inertRoots;
    this.toastElement = toast;
    this.panel = part(layer, ".sheet");
    this.title = part(layer, ".sheet-title");
    this.body = part(layer, ".sheet-body");
    this.backButton = part(layer, ".sheet-back");
    this.closeButton = part(layer, ".sheet-close");
    this.backButton.prepend(icon("back"));
    this.closeButton.prepend(icon("close"));
    /** @type {any} */
    this.current = null;
    /** @type {number | null} */
    this.toastTimer = null;

    this.closeButton.addEventListener("click", () => this.current?.dismiss());
    this.backButton.addEventListener("click", () => this.current?.back?.());
    // On the document, not the sheet: Escape works wherever focus happens to be.
    document.addEventListener("keydown", (event) => this.onKey(event), true);
    // A tap on the backdrop does nothing, and does not take focus out of the sheet either.
    part(layer, ".sheet-backdrop").addEventListener("mousedown", (event) => event.preventDefault());

    // Inert stops an app's frame from getting clicks and keys, but not from calling focus() on
    // itself; focus parked there would swallow the person's Escape and Tab too. Whenever focus
    // leaves the sheet (into a frame: the window blurs), it is taken back.
    /** @type {any} */
    this.lastFocus = null;
    this.panel.addEventListener("focusin", (event) => {
      this.lastFocus = event.target;
    });
    addEventListener("blur", () => setTimeout(() => this.keepFocus()));
    document.addEventListener("focusin", () => this.keepFocus());
  }

  keepFocus() {
    if (this.layer.hidden || this.panel.contains(document.activeElement)) return;
    const target = this.lastFocus?.isConnected && !this.lastFocus.disabled ? this.lastFocus : this.title;
    target.focus({ preventScroll: true });
  }

  get isOpen() {
    return this.current !== null;
  }

  /**
   * Takes the one sheet slot, or returns null when a sheet is already open. Nothing shows until
   * the sheet's first step, so a flow can check things first and give the slot back unseen.
   * `onDismiss` runs when the person closes the sheet (close button or Escape).
   */
  claim({ owner = null, onDismiss = () => {} } = {}) {
    if (this.current) return null;
    this.current = new Sheet(this, { owner, onDismiss });
    return this.current;
  }

  /** The person's app went away (closed, exited) while its sheet was open: treat it as a cancel. */
  dismissOwnedBy(owner) {
    if (this.current && this.current.owner === owner) this.current.dismiss();
  }

  /** A short confirmation over whatever is on screen ("Paid 300 coins"). */
  notify(message) {
    clearTimeout(this.toastTimer ?? undefined);
    this.toastElement.textContent = message;
    this.toastElement.classList.add("is-shown");
    this.toastTimer = setTimeout(() => this.toastElement.classList.remove("is-shown"), TOAST_MS);
  }

  present(sheet, { title, body, back, focus }) {
    if (this.current !== sheet) return;
    if (this.layer.hidden) this.open();
    this.title.textContent = title;
    sheet.back = back || null;
    this.backButton.hidden = !back;
    this.body.replaceChildren(body);
    this.body.scrollTop = 0;
    // The title, not a button, takes focus: Enter or Space held for the game must confirm nothing.
    (focus || this.title).focus({ preventScroll: true });
  }

  open() {
    this.returnFocus = document.activeElement;
    this.lastFocus = null;
    this.covered = this.inertRoots.map((root) => [root, root.inert]);
    for (const root of this.inertRoots) root.inert = true;
    this.layer.hidden = false;
  }

  release(sheet) {
    if (this.current !== sheet) return;
    this.current = null;
    if (this.layer.hidden) return; // claimed but never shown
    this.layer.hidden = true;
    this.body.replaceChildren();
    for (const [root, wasInert] of this.covered) root.inert = wasInert;
    this.covered = [];
    if (this.returnFocus?.isConnected) this.returnFocus.focus({ preventScroll: true });
  }

  onKey(event) {
    if (!this.current || this.layer.hidden) return;
    if (event.key === "Escape") {
      event.preventDefault();
      event.stopPropagation();
      this.current.dismiss();
    } else if (event.key === "Tab") {
      this.trapTab(event);
    }
  }

  // Inert covers the page, but Tab could still leave for the browser's own UI: wrap instead.
  trapTab(event) {
    const candidates = /** @type {(HTMLElement & {disabled?: boolean})[]} */ ([...this.panel.querySelectorAll("button, input, select, textarea, a[href], [tabindex]")]);
    const focusable = candidates.filter((element) => !element.disabled && element.tabIndex >= 0 && element.getClientRects().length > 0);
    if (focusable.length === 0) return;
    const first = focusable[0];
    const last = focusable[focusable.length - 1];
    const inside = this.panel.contains(document.activeElement);
    if (event.shiftKey && (document.activeElement === first || !inside)) {
      event.preventDefault();
      last.focus();
    } else if (!event.shiftKey && (document.activeElement === last || !inside)) {
      event.preventDefault();
      first.focus();
    }
  }
}

/** One open sheet: its owner's handle to show steps and to close it. */
export class Sheet {
  constructor(sheets, { owner, onDismiss }) {
    this.sheets = sheets;
    this.owner = owner;
    this.onDismiss = onDismiss;
    this.back = null;
    this.closed = false;
    this.controller = new AbortController();
  }

  /** Aborted when the sheet closes: polls and requests made for it stop. */
  get signal() {
    return this.controller.signal;
  }

  /** Shows a step: `{title, body, back?, focus?}`. The first step opens the sheet. */
  show(step) {
    if (this.closed) return;
    this.sheets.present(this, step);
  }

  /** The person closed the sheet. */
  dismiss() {
    if (this.closed) return;
    this.close();
    this.onDismiss();
  }

  /** The flow is over (paid, allowed, denied): close without calling onDismiss. */
  close() {
    if (this.closed) return;
    this.closed = true;
    this.controller.abort();
    this.sheets.release(this);
  }
}

/**
 * Keeps a confirm button disabled until the page has had no press (a pointer going down, a key
 * other than Tab or Shift) for ARM_DELAY_MS since it appeared. A fixed delay was not enough (a
 * probe): a game whose target sat where Pay appears got paid on the fourth tap of a person tapping
 * every 150 ms, the first tap to come after the delay.
 * @template {HTMLButtonElement | HTMLInputElement} B
 * @param {B} button
 * @returns {B}
 */
export function armLater(button) {
  button.disabled = true;
  /** @type {ReturnType<typeof setTimeout> | undefined} */
  let timer;
  // The delay counts from when the button is drawn, not from when it was made: a sheet built, then
  // shown a moment later, woke its Pay 400 ms after it appeared on a loaded machine (CI). Looked for
  // each frame until then; a button never shown (its sheet given back unseen) stops looking after
  // a while.
  let frames = 0;
  function whenShown() {
    if (button.isConnected && button.checkVisibility()) timer = setTimeout(wake, ARM_DELAY_MS);
    else if (++frames < 1800) requestAnimationFrame(whenShown);
    else wake();
  }
  requestAnimationFrame(whenShown);
  /** @param {Event} event */
  function pressed(event) {
    if (event instanceof KeyboardEvent && (event.key === "Tab" || event.key === "Shift")) return; // moving focus
    if (timer === undefined) return; // not drawn yet: its delay has not begun
    clearTimeout(timer);
    timer = setTimeout(wake, ARM_DELAY_MS);
  }
  function wake() {
    document.removeEventListener("pointerdown", pressed, true);
    document.removeEventListener("keydown", pressed, true);
    if (!button.dataset.busy) button.disabled = false;
  }
  document.addEventListener("pointerdown", pressed, true);
  document.addEventListener("keydown", pressed, true);
  return button;
}

/** Disables a button while `work` runs; returns what work returns. */
export async function whileBusy(button, work) {
  button.dataset.busy = "1";
  button.disabled = true;
  button.setAttribute("aria-busy", "true");
  try {
    return await work();
  } finally {
    delete button.dataset.busy;
    button.disabled = false;
    button.removeAttribute("aria-busy");
  }
}
