// The developer's payouts in the console (#payouts): the earnings of every app they own, paid out
// to their payout account. Payouts are the developer's, not an app's, so the screen sits beside the
// apps (a link in the header), not among an app's tabs; the panel itself is payouts-panel.js,
// shared with the creators' payouts on the host's Me screen.
// @ts-check

import { el } from "./dom.js";
import { busy, card, errorLine, field, input, note } from "./console-ui.js";
import { payoutsPanel } from "./payouts-panel.js";

export const PAYOUTS_HASH = "#payouts";

/**
 * The developer's own page: their studio's name, then their earnings and payouts.
 * @param {import("./console-api.js").ConsoleApi} api
 * @param {string} studio the studio's name now
 */
export function payoutsScreen(api, studio) {
  const panel = payoutsPanel("/api/developer/payouts", (method, path, options) => api.request(method, path, options), { title: "Earnings and payouts", className: "console-card" });
  panel.load();
  return el(
    "section",
    { className: "console-app console-payouts", "aria-labelledby": "console-payouts-title" },
    el("h2", { className: "section-title", id: "console-payouts-title" }, "Studio and payouts"),
    studioCard(api, studio),
    note("What your apps earned (sales, episode unlocks, passes and ad revenue, after the platform’s fee and creators’ commissions), paid out to your account."),
    panel.element
  );
}

/**
 * The studio's name, as people read it on its apps and finance on its payouts.
 * @param {import("./console-api.js").ConsoleApi} api
 * @param {string} studio
 */
function studioCard(api, studio) {
  const name = input({ name: "name", required: true, maxLength: 80, autocomplete: "organization", value: studio });
  const message = errorLine();
  const done = note("");
  const save = el("button", { type: "submit", className: "button-secondary" }, "Save");
  const form = el("form", { className: "console-form" }, field("Studio name", name, "Shown on your apps’ About and on your payouts."), message, done, save);
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    done.textContent = "";
    const saved = await busy(save, message, () => api.renameStudio(name.value.trim()));
    if (saved) {
      name.value = saved.name;
      done.textContent = `Saved: your studio is ${saved.name}.`;
    }
  });
  return card("Studio", form);
}

/** The header's way to the payouts, beside the developer's email. */
export function payoutsLink() {
  return el("a", { className: "button-secondary button-small", href: PAYOUTS_HASH }, "Payouts");
}

/** On an app's Money tab: where its earnings are paid out (with the other apps' earnings). */
export function payoutsPointer() {
  return card("Payouts", note("What this app earns is paid out together with your other apps’ earnings, from your payouts."), el("a", { className: "button-secondary", href: PAYOUTS_HASH }, "Earnings and payouts"));
}
