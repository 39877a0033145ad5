// The developer's payouts in the console (#payouts): the earnings of every app they own, paid out
// to their payout account. Payouts are the developer's, not an app's, so the screen sits beside the
// apps (a link in the header), not among an app's tabs; the panel itself is payouts-panel.js,
// shared with the creators' payouts on the host's Me screen.
// @ts-check

import { el } from "./dom.js";
import { card, note } from "./console-ui.js";
import { payoutsPanel } from "./payouts-panel.js";

export const PAYOUTS_HASH = "#payouts";

/** @param {import("./console-api.js").ConsoleApi} api */
export function payoutsScreen(api) {
  const panel = payoutsPanel("/api/developer/payouts", (method, path, options) => api.request(method, path, options), { title: "Earnings and payouts", className: "console-card" });
  panel.load();
  return el(
    "section",
    { className: "console-app console-payouts", "aria-labelledby": "console-payouts-title" },
    el("h2", { className: "section-title", id: "console-payouts-title" }, "Payouts"),
    note("What your apps earned (sales, episode unlocks, passes and ad revenue, after the platform’s fee and creators’ commissions), paid out to your account."),
    panel.element
  );
}

/** The header's way to the payouts, beside the developer's email. */
export function payoutsLink() {
  return el("a", { className: "button-secondary button-small", href: PAYOUTS_HASH }, "Payouts");
}

/** On an app's Money tab: where its earnings are paid out (with the other apps' earnings). */
export function payoutsPointer() {
  return card("Payouts", note("What this app earns is paid out together with your other apps’ earnings, from your payouts."), el("a", { className: "button-secondary", href: PAYOUTS_HASH }, "Earnings and payouts"));
}
