// The page a sign-in link opens: nothing happens until the person presses the button, which posts
// the link's token with the session's CSRF token (identity/api.py, POST /api/account/link/confirm).
// @ts-check

import { Api, errorMessage } from "./api.js";
import { byId, part } from "./dom.js";
import { coinsLabel } from "./format.js";

// What Me says once, after the redirect (me.js reads and removes it): the answer's news outlives this page.
const ACCOUNT_NOTICE = "minis-account-notice";

const config = JSON.parse(byId("minis-config").textContent);
/** @type {HTMLFormElement | null} */
const form = byId("link-form");

// No button when the page refuses (a guest with coins, a link asked for in another browser).
if (form?.querySelector('button[type="submit"]')) {
  const api = new Api(config.csrfToken);
  const message = byId("link-error");
  /** @type {HTMLButtonElement} */
  const submit = part(form, 'button[type="submit"]');
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    submit.disabled = true;
    message.textContent = "";
    try {
      const keepGuest = Boolean(/** @type {any} */ (form.elements).keep_guest?.checked);
      const answer = await api.request("POST", "/api/account/link/confirm", { body: { token: config.token, keep_guest: keepGuest } });
      if (answer.guest_coins_added > 0) {
        try {
          sessionStorage.setItem(ACCOUNT_NOTICE, `The ${coinsLabel(answer.guest_coins_added)} you had as a guest on this browser were added to your account.`);
        } catch {
          // Storage refused (a private window's quota): the balance on Me shows the coins all the same.
        }
      }
      // The link's token must not stay in the history, nor the page in the back button.
      location.replace("/#/me");
    } catch (error) {
      message.textContent = errorMessage(error);
      submit.disabled = false;
    }
  });
}
