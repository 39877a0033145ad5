// Signing up or in on the console page itself, with the host's account API (identity/api.py): a
// new account is an email and a password, then the 6-digit code mailed there; an existing one
// signs in with its password. The same account is the person on openminis.
// @ts-check

import { el } from "./dom.js";
import { busy, errorLine, field, input, note } from "./console-ui.js";
import { coinsLabel } from "./format.js";

/**
 * @param {import("./console-api.js").ConsoleApi} api
 * @param {{pendingEmail?: string | null, onDone: () => void}} options
 */
export function accountForm(api, { pendingEmail = null, onDone }) {
  const root = el("section", { className: "card console-account", "aria-labelledby": "account-title" });
  /** @type {"register" | "sign-in"} */
  let mode = "register";

  const segment = (value, label) =>
    el("button", { type: "button", className: "segment", "aria-pressed": String(mode === value), onclick: () => show(value) }, label);

  /** @param {"register" | "sign-in"} next */
  function show(next) {
    mode = next;
    root.replaceChildren(
      el("h2", { className: "section-title", id: "account-title" }, "Sign up or sign in"),
      note("The developer console runs on your openminis account."),
      el("div", { className: "segmented", role: "group", "aria-label": "Account" }, segment("register", "New account"), segment("sign-in", "Existing account")),
      mode === "register" ? registerForm() : signInForm()
    );
  }

  function credentials(autocomplete) {
    const email = input({ type: "email", name: "email", required: true, maxLength: 254, autocomplete: "email" });
    const password = input({ type: "password", name: "password", required: true, maxLength: 256, autocomplete });
    return { email, password };
  }

  function registerForm() {
    const { email, password } = credentials("new-password");
    const message = errorLine();
    const submit = el("button", { type: "submit", className: "button-primary" }, "Sign up");
    const form = el("form", { className: "console-form" }, field("Email", email), field("Password", password, "At least 8 characters."), message, submit);
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      const sent = await busy(submit, message, () => api.register(email.value.trim(), password.value));
      if (sent) root.replaceChildren(codeForm(sent.email));
    });
    return form;
  }

  /** @param {string} address */
  function codeForm(address) {
    const code = input({ name: "code", inputMode: "numeric", autocomplete: "one-time-code", required: true, maxLength: 20, pattern: "[0-9 ]*" });
    const message = errorLine();
    const submit = el("button", { type: "submit", className: "button-primary" }, "Verify");
    const again = el("button", { type: "button", className: "button-secondary" }, "Send another code");
    const form = el(
      "form",
      { className: "console-form", "aria-labelledby": "code-title" },
      el("h2", { className: "section-title", id: "code-title" }, "Check your email"),
      note(`We sent a 6-digit code to ${address}.`),
      field("Code from the email", code),
      message,
      el("div", { className: "form-actions" }, submit, again)
    );
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      const done = await busy(submit, message, () => api.verifyEmail(code.value.replace(/\s/g, "")));
      if (done) onDone();
    });
    again.addEventListener("click", async () => {
      const sent = await busy(again, message, () => api.resendCode());
      if (sent) message.textContent = `Another code is on its way to ${sent.email}.`;
    });
    return form;
  }

  function signInForm() {
    const { email, password } = credentials("current-password");
    const message = errorLine();
    const submit = el("button", { type: "submit", className: "button-primary" }, "Sign in");
    const form = el(
      "form",
      { className: "console-form" },
      field("Email", email),
      field("Password", password),
      note("Coins this browser has as a guest are added to the account you sign in to."),
      message,
      submit
    );
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      // signIn keeps the new session's CSRF token in the Api for the calls that follow.
      const done = await busy(submit, message, () => api.signIn(email.value.trim(), password.value));
      if (!done) return;
      if (!(done.guest_coins_added > 0)) return onDone();
      // The guest's coins went to the account (identity/api.py): said before the console takes over.
      const next = el("button", { type: "button", className: "button-primary", onclick: () => onDone() }, "Continue");
      root.replaceChildren(
        el("h2", { className: "section-title", id: "account-title" }, "Signed in"),
        el("p", { className: "card-note", role: "status" }, `The ${coinsLabel(done.guest_coins_added)} you had as a guest on this browser were added to your account.`),
        next
      );
      next.focus();
    });
    return form;
  }

  if (pendingEmail) root.replaceChildren(codeForm(pendingEmail));
  else show("register");
  return root;
}
