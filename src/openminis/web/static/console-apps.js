// The developer's apps: the picker, a new app (its secret shown once), and the app's settings
// (rotating the secret, the old one kept for a grace period; its message templates).
// @ts-check

import { el } from "./dom.js";
import { busy, card, errorLine, field, input, may, note, select } from "./console-ui.js";
import { messageTemplates } from "./console-messages.js";
import { myTakedowns, takedownNotice } from "./takedowns.js";

/**
 * @typedef {{app_id: string, name: string, kind: string, category: string, role: string,
 *   latest_version: string | null, staged_version: string | null, staged_percent: number, icon_url: string | null}} ConsoleApp
 */

/**
 * The row of the developer's apps, one button each (aria-pressed on the one shown).
 * @param {ConsoleApp[]} apps
 * @param {string | null} current
 * @param {(app: ConsoleApp) => void} onPick
 * @param {() => void} onNew
 */
export function appPicker(apps, current, onPick, onNew) {
  return el(
    "nav",
    { className: "console-apps", "aria-label": "Your apps" },
    el(
      "ul",
      {},
      apps.map((app) =>
        el(
          "li",
          {},
          el("button", { type: "button", className: "button-secondary", dataset: { appId: app.app_id }, "aria-pressed": String(app.app_id === current), onclick: () => onPick(app) }, app.name)
        )
      ),
      el("li", {}, el("button", { type: "button", className: "button-secondary console-new-app", "aria-pressed": String(current === null), onclick: onNew }, "+ New app"))
    )
  );
}

/**
 * A secret shown this once, with a button that copies it.
 * @param {string} label
 * @param {string} secret
 * @param {string} explanation
 */
export function secretBox(label, secret, explanation) {
  const value = input({ className: "text-field mono", readOnly: true, value: secret, name: "secret", spellcheck: false, autocomplete: "off" });
  const copied = el("span", { className: "card-note", role: "status" });
  const copy = el("button", { type: "button", className: "button-secondary button-small" }, "Copy");
  copy.addEventListener("click", async () => {
    value.select();
    try {
      await navigator.clipboard.writeText(secret);
      copied.textContent = "Copied.";
    } catch {
      copied.textContent = "Select it and copy it by hand.";
    }
  });
  return el("div", { className: "secret-box", role: "group", "aria-label": `${label}, shown once` }, field(label, value), note(explanation), el("div", { className: "form-actions" }, copy, copied));
}

/**
 * The form for a new app. `onMade()` as soon as the app exists (its secret is shown), `onCreated(appId)`
 * after the person saw its secret.
 * @param {import("./console-api.js").ConsoleApi} api
 * @param {(appId: string) => void} onCreated
 * @param {() => void} [onMade]
 */
export function newAppForm(api, onCreated, onMade = () => {}) {
  const appId = input({ name: "app_id", required: true, maxLength: 40, pattern: "[a-z][a-z0-9\\-]{2,39}", autocomplete: "off", spellcheck: false });
  const name = input({ name: "name", required: true, maxLength: 60 });
  const kind = select("kind", [
    ["game", "Game"],
    ["drama", "Short drama"],
  ]);
  const category = input({ name: "category", maxLength: 32, pattern: "[a-z][a-z0-9\\-]*", placeholder: "puzzle" });
  const message = errorLine();
  const submit = el("button", { type: "submit", className: "button-primary" }, "Create app");
  const form = el(
    "form",
    { className: "card console-form", "aria-labelledby": "new-app-title" },
    el("h2", { className: "section-title", id: "new-app-title" }, "New app"),
    field("App id", appId, "3 to 40 lowercase letters, digits and hyphens, starting with a letter; it is the app's address and cannot change."),
    field("Name", name),
    field("Kind", kind),
    field("Category", category, "Lowercase, like puzzle or arcade."),
    note("The icon comes with the package: minis.json's \"icon\" names an image in it, shown once a version is released."),
    message,
    submit
  );
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const created = await busy(submit, message, () =>
      api.createApp({ app_id: appId.value.trim(), name: name.value.trim(), kind: kind.value, category: category.value.trim() })
    );
    if (!created) return;
    onMade();
    const done = el("button", { type: "button", className: "button-primary", onclick: () => onCreated(created.app_id) }, "I saved it: open the app");
    form.replaceChildren(
      el("h2", { className: "section-title" }, `${created.app_id} is yours`),
      secretBox("App secret", created.app_secret, "Shown this once: the platform keeps only its hash. Your backend uses it to get access tokens for the Open API."),
      done
    );
    done.focus();
  });
  return form;
}

/**
 * The app's settings: its id and kind, and (for owners) a new secret.
 * @param {import("./console-api.js").ConsoleApi} api
 * @param {ConsoleApp} app
 */
export function settingsScreen(api, app) {
  const about = card(
    "About this app",
    el(
      "dl",
      { className: "console-facts" },
      el("dt", {}, "App id"),
      el("dd", { className: "mono" }, app.app_id),
      el("dt", {}, "Kind"),
      el("dd", {}, app.kind),
      el("dt", {}, "Category"),
      el("dd", {}, app.category || "–"),
      el("dt", {}, "Your role"),
      el("dd", {}, app.role)
    )
  );
  const takedowns = appTakedowns(api, app);
  const templates = messageTemplates(api, app.app_id);
  if (!may(app.role, "secret")) return [about, takedowns, templates];
  const grace = select(
    "grace",
    [
      ["0", "No: stop it now"],
      ["3600", "For 1 hour"],
      ["86400", "For 24 hours"],
      ["604800", "For 7 days"],
    ],
    "86400"
  );
  const message = errorLine();
  const rotate = el("button", { type: "submit", className: "button-primary button-danger" }, "Rotate the secret");
  const shown = el("div", {});
  const form = el("form", { className: "console-form" }, field("Keep the old secret working", grace, "Time to put the new secret in your backend before the old one stops."), message, rotate);
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const seconds = Number(grace.value);
    const answer = await busy(rotate, message, () => api.rotateSecret(app.app_id, seconds));
    if (!answer) return;
    const until = answer.previous_valid_for_seconds
      ? `The previous secret keeps working for ${graceText(answer.previous_valid_for_seconds)}, then stops.`
      : "The previous secret has stopped working.";
    shown.replaceChildren(secretBox("New app secret", answer.app_secret, `Shown this once. ${until}`));
  });
  return [about, takedowns, templates, card("App secret", note("Rotate it when it may have leaked, or as a habit."), form, shown)];
}

/**
 * What the platform took down of this app (the app, its series, their episodes): why, and the
 * team's one appeal of each. Hidden while there is none.
 * @param {import("./console-api.js").ConsoleApi} api
 * @param {ConsoleApp} app
 */
function appTakedowns(api, app) {
  const section = card("Taken down by the platform");
  section.hidden = true;
  const ours = (/** @type {any} */ entry) => entry.item.id === app.app_id || (entry.item.kind !== "app" && entry.item.subtitle === app.app_id);
  myTakedowns(api, (entry) => ["app", "series", "episode"].includes(entry.item.kind) && ours(entry))
    .then((items) => {
      section.hidden = items.length === 0;
      section.append(...items.map((entry) => takedownNotice(api, entry)));
    })
    .catch((error) => console.error("openminis: takedowns not loaded", error));
  return section;
}

/** @param {number} seconds */
export function graceText(seconds) {
  if (seconds % 86_400 === 0) return seconds === 86_400 ? "24 hours" : `${seconds / 86_400} days`;
  if (seconds % 3600 === 0) return seconds === 3600 ? "1 hour" : `${seconds / 3600} hours`;
  return `${Math.round(seconds / 60)} minutes`;
}
