// A refused form field, told where it is: the platform's error envelope names the field
// (`field`) and says what is wrong in words a person reads (web/validation.py); the sentence goes
// right under that field, which is marked invalid (aria-invalid), described by it
// (aria-describedby) and focused. An error about no field in the form stays in the form's message.
// @ts-check

import { errorMessage } from "./api.js";
import { el } from "./dom.js";

/**
 * Shows `error` on `form`: under the field it names, or else in `message`. A null error clears.
 * @param {HTMLElement} form
 * @param {HTMLElement} message the form's own message, for errors about no field of it
 * @param {any} error the ApiError (or `{message, field}`), or null
 */
export function showError(form, message, error) {
  clearFieldErrors(form);
  const field = error?.field ? form.querySelector(`[name="${CSS.escape(error.field)}"]`) : null;
  if (!(field instanceof HTMLElement)) {
    message.textContent = error ? errorMessage(error) : "";
    return;
  }
  message.textContent = "";
  const id = `${field.id || `${form.id || "form"}-${error.field}`}-error`;
  const note = el("p", { className: "form-error field-error", id, role: "alert" }, errorMessage(error));
  (field.closest("label") || field).after(note);
  field.setAttribute("aria-invalid", "true");
  field.setAttribute("aria-describedby", [field.getAttribute("aria-describedby"), id].filter(Boolean).join(" "));
  field.dataset.errorId = id;
  // Typing in the field is fixing it: the note goes then, not at the next submit.
  field.addEventListener("input", () => clearFieldErrors(form), { once: true });
  field.focus();
}

/** @param {HTMLElement} form */
export function clearFieldErrors(form) {
  for (const field of /** @type {NodeListOf<HTMLElement>} */ (form.querySelectorAll("[aria-invalid]"))) {
    field.removeAttribute("aria-invalid");
    const id = field.dataset.errorId;
    if (!id) continue;
    const rest = (field.getAttribute("aria-describedby") || "").split(" ").filter((token) => token && token !== id);
    if (rest.length) field.setAttribute("aria-describedby", rest.join(" "));
    else field.removeAttribute("aria-describedby");
    delete field.dataset.errorId;
  }
  for (const note of form.querySelectorAll(".field-error")) note.remove();
}
