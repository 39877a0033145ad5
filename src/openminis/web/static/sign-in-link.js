// The page a sign-in link opens: nothing happens until the person presses the button, which posts
// the link's token with the session's CSRF token (identity/api.py, POST /api/account/link/confirm).

import { Api, errorMessage } from "./api.js";

const config = JSON.parse(document.getElementById("minis-config").textContent);
const form = document.getElementById("link-form");

if (form) {
  const api = new Api(config.csrfToken);
  const message = document.getElementById("link-error");
  const submit = form.querySelector('button[type="submit"]');
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    submit.disabled = true;
    message.textContent = "";
    try {
      const keepGuest = Boolean(form.elements.keep_guest?.checked);
      await api.request("POST", "/api/account/link/confirm", { body: { token: config.token, keep_guest: keepGuest } });
      // The link's token must not stay in the history, nor the page in the back button.
      location.replace("/#/me");
    } catch (error) {
      message.textContent = errorMessage(error);
      submit.disabled = false;
    }
  });
}
