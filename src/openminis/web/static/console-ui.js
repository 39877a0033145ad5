// Small pieces the console's screens share: notes, labelled fields, error lines, buttons that
// show they are busy, and what each team role may do.
// @ts-check

import { errorMessage } from "./api.js";
import { clearFieldErrors, showError } from "./form-errors.js";
import { el } from "./dom.js";

/**
 * What each role may do: developers/team.py's ALLOWED, so that the console offers only what the
 * platform would allow (the platform still decides: a refused act answers 403 ROLE_FORBIDS).
 * @type {Record<string, string[]>}
 */
const ALLOWED = {
  owner: ["see", "preview", "upload", "submit", "sell", "advertise", "notify", "release", "secret", "team"],
  developer: ["see", "preview", "upload", "submit", "sell", "advertise", "notify"],
  viewer: ["see", "preview"],
  tester: ["preview"],
};

/**
 * @param {string | null | undefined} role
 * @param {string} act
 */
export function may(role, act) {
  return Boolean(role && ALLOWED[role]?.includes(act));
}

let ids = 0;

/** A unique id for a label's `for`. @param {string} prefix */
export function uid(prefix) {
  ids += 1;
  return `${prefix}-${ids}`;
}

/**
 * @param {string} text
 * @param {...(Node | string)} more
 */
export function note(text, ...more) {
  return el("p", { className: "card-note" }, text, ...more);
}

/** An empty line where a form's error goes (role=alert reads it out when it is filled). */
export function errorLine() {
  return el("p", { className: "form-error", role: "alert" });
}

/**
 * A labelled control: `<div class="field"><label>…</label>control hint?</div>`.
 * @param {string} label
 * @param {HTMLInputElement | HTMLSelectElement | HTMLTextAreaElement} control
 * @param {string} [hint]
 */
export function field(label, control, hint) {
  if (!control.id) control.id = uid("field");
  const hintLine = hint ? el("p", { className: "field-hint", id: `${control.id}-hint` }, hint) : null;
  if (hintLine) control.setAttribute("aria-describedby", hintLine.id);
  return el("div", { className: "field" }, el("label", { for: control.id }, label), control, hintLine);
}

/**
 * A text input in the host's look.
 * @param {Record<string, any>} [attributes]
 */
export function input(attributes = {}) {
  return el("input", { className: "text-field", type: "text", ...attributes });
}

/**
 * @param {string} name
 * @param {[string, string][]} options value and label
 * @param {string} [value]
 */
export function select(name, options, value) {
  const control = el("select", { className: "text-field", name }, options.map(([optionValue, label]) => el("option", { value: optionValue }, label)));
  if (value !== undefined) control.value = value;
  return control;
}

/**
 * Runs `action` with the button disabled and marked busy; shows its error in `message`, or under
 * the field it names when `message` is in a form.
 * Returns the action's result, or undefined when it failed.
 * @template T
 * @param {HTMLButtonElement | null} button
 * @param {HTMLElement} message
 * @param {() => Promise<T>} action
 * @returns {Promise<T | undefined>}
 */
export async function busy(button, message, action) {
  if (button) {
    button.disabled = true;
    button.setAttribute("aria-busy", "true");
  }
  message.textContent = "";
  const form = message.closest("form");
  if (form) clearFieldErrors(form);
  try {
    return await action();
  } catch (error) {
    // In a form, an error that names one of its fields goes under that field (form-errors.js).
    if (form) showError(form, message, error);
    else message.textContent = errorMessage(error);
    return undefined;
  } finally {
    if (button) {
      button.disabled = false;
      button.removeAttribute("aria-busy");
    }
  }
}

/**
 * A card section with a title.
 * @param {string} title
 * @param {...(Node | string | null | false | undefined)} children
 */
export function card(title, ...children) {
  return el("section", { className: "card console-card", "aria-label": title }, el("h3", { className: "card-title" }, title), ...children);
}

/** Basis points as a percent: 3000 -> "30 %". @param {number} bps */
export function bpsPercent(bps) {
  return `${Number((bps / 100).toFixed(2))} %`;
}
