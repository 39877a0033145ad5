// The developer console: sign up or in, become a developer, then for each of the developer's apps
// its versions (upload, checks, review, release), reports, money, ads, team and settings. Each
// screen is a module of its own (console-*.js); this one finds who is here and routes between
// them by the address's hash (#app=ID&tab=NAME, as the platform's emails link to an app).
// @ts-check

import { errorMessage } from "./api.js";
import { byId, el } from "./dom.js";
import { accountForm } from "./console-account.js";
import { ConsoleApi } from "./console-api.js";
import { adsScreen } from "./console-ads.js";
import { appPicker, newAppForm, settingsScreen } from "./console-apps.js";
import { moneyScreen } from "./console-money.js";
import { PAYOUTS_HASH, payoutsLink, payoutsScreen } from "./console-payouts.js";
import { reportsScreen } from "./console-reports.js";
import { myInvitations, teamScreen } from "./console-team.js";
import { busy, errorLine, field, input, note } from "./console-ui.js";
import { versionsScreen } from "./console-versions.js";

/** @typedef {import("./console-apps.js").ConsoleApp} ConsoleApp */
/** @typedef {import("./console-versions.js").Context} Context */

const config = JSON.parse(byId("minis-config").textContent || "{}");
const api = new ConsoleApi(config.csrfToken);
const root = byId("console");
const who = byId("console-who");

/** @type {{id: string, label: string, screen: (context: Context) => Promise<Node[]> | Node[], act?: string}[]} */
const TABS = [
  { id: "versions", label: "Versions", screen: versionsScreen },
  { id: "reports", label: "Reports", screen: reportsScreen },
  { id: "money", label: "Money", screen: moneyScreen },
  { id: "ads", label: "Ads", screen: adsScreen },
  { id: "team", label: "Team", screen: teamScreen },
  { id: "settings", label: "Settings", screen: ({ api, app }) => settingsScreen(api, app) },
];

/** @param {...(Node | null)} children */
function show(...children) {
  root.replaceChildren(...children.filter((child) => child !== null));
  root.setAttribute("aria-busy", "false");
}

function route() {
  const params = new URLSearchParams(location.hash.slice(1));
  return { app: params.get("app"), tab: params.get("tab") || "versions", isNew: params.has("new"), isPayouts: location.hash === PAYOUTS_HASH };
}

/** @param {string | null} appId @param {string} [tab] */
function go(appId, tab = "versions") {
  const hash = appId === null ? "#new" : `#app=${encodeURIComponent(appId)}&tab=${tab}`;
  if (location.hash === hash) render();
  else location.hash = hash; // hashchange draws it
}

/** @type {{apps: ConsoleApp[], invitations: HTMLElement | null, studio: string}} */
const state = { apps: [], invitations: null, studio: "" };

async function start() {
  root.setAttribute("aria-busy", "true");
  try {
    // Asked afresh: signing in or up on this page changed the person after the page was made.
    const { user, csrf_token: csrfToken } = await api.me();
    api.csrfToken = csrfToken;
    showWho(user);
    if (user.kind !== "full") {
      show(accountForm(api, { pendingEmail: user.pending_email, onDone: start }));
      return;
    }
    const [invitations, me] = await Promise.all([myInvitations(api, onAccepted), api.developerMe()]);
    state.invitations = invitations;
    if (!me.id) {
      show(invitations, registration());
      return;
    }
    state.studio = me.name;
    who.prepend(payoutsLink()); // the developer's, not an app's: beside who is signed in
    state.apps = (await api.developerApps()).items;
    render();
  } catch (error) {
    show(el("p", { className: "form-error", role: "alert" }, errorMessage(error)));
  }
}

/** @param {string} appId */
async function onAccepted(appId) {
  await start();
  if (state.apps.some((app) => app.app_id === appId)) go(appId);
}

/** @param {Record<string, any>} user */
function showWho(user) {
  if (user.kind !== "full") {
    who.replaceChildren();
    return;
  }
  const out = el("button", { type: "button", className: "button-secondary button-small" }, "Sign out");
  out.addEventListener("click", async () => {
    await api.signOut().catch(() => undefined);
    location.hash = "";
    location.reload();
  });
  who.replaceChildren(el("span", { className: "console-email" }, user.email || user.display_name), out);
}

function registration() {
  const name = input({ id: "developer-name", name: "name", required: true, maxLength: 80, autocomplete: "organization" });
  const message = errorLine();
  const submit = el("button", { type: "submit", className: "button-primary" }, "Register");
  const form = el(
    "form",
    { className: "card console-form" },
    el("h2", { className: "section-title" }, "Become a developer"),
    note("Publish mini-programs, sell items, show ads, and see how people find and use them."),
    field("Studio name", name),
    message,
    submit
  );
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const done = await busy(submit, message, () => api.becomeDeveloper(name.value.trim()));
    if (done) start();
  });
  return form;
}

/** The developer's apps and the one the address names (or the first), or the new-app form. */
function render() {
  const { apps } = state;
  const { app: wanted, tab, isNew, isPayouts } = route();
  const created = (/** @type {string} */ appId) => {
    state.apps = [];
    api.developerApps().then(({ items }) => {
      state.apps = items;
      go(appId);
    });
  };
  if (isPayouts) return show(state.invitations, appPicker(apps, "", (picked) => go(picked.app_id), () => go(null)), payoutsScreen(api, state.studio));
  if (apps.length === 0) {
    const empty = note("No apps yet. Create your first one: then upload a version of it.");
    show(state.invitations, empty, newAppForm(api, created, () => empty.remove()));
    return;
  }
  const app = isNew ? null : apps.find((candidate) => candidate.app_id === wanted) || apps[0];
  const picker = appPicker(apps, app ? app.app_id : null, (picked) => go(picked.app_id, tab), () => go(null));
  if (!app) {
    show(state.invitations, picker, newAppForm(api, created));
    return;
  }
  show(state.invitations, picker, appView(app, TABS.some((candidate) => candidate.id === tab) ? tab : "versions"));
}

/**
 * @param {ConsoleApp} app
 * @param {string} tab
 */
function appView(app, tab) {
  const panel = el("div", { className: "console-panel", role: "tabpanel", id: "console-panel", tabIndex: 0 });
  const header = el("header", { className: "console-app-header" });
  const tabs = el(
    "div",
    { className: "tabs console-tabs", role: "tablist", "aria-label": `${app.name} screens` },
    TABS.map((candidate) =>
      el(
        "button",
        {
          type: "button",
          role: "tab",
          id: `tab-${candidate.id}`,
          "aria-selected": String(candidate.id === tab),
          "aria-controls": "console-panel",
          tabIndex: candidate.id === tab ? 0 : -1,
          onclick: () => go(app.app_id, candidate.id),
        },
        candidate.label
      )
    )
  );
  // Arrow keys move between tabs, as in any tab list.
  tabs.addEventListener("keydown", (event) => {
    const keys = { ArrowRight: 1, ArrowLeft: -1 };
    const step = keys[/** @type {"ArrowRight" | "ArrowLeft"} */ (event.key)];
    if (!step) return;
    const index = TABS.findIndex((candidate) => candidate.id === tab);
    const next = TABS[(index + step + TABS.length) % TABS.length];
    go(app.app_id, next.id);
    requestAnimationFrame(() => byId(`tab-${next.id}`)?.focus());
  });
  panel.setAttribute("aria-labelledby", `tab-${tab}`);
  const screen = /** @type {(typeof TABS)[number]} */ (TABS.find((candidate) => candidate.id === tab));

  /** @type {Context} */
  const context = { api, app, reload: () => draw(true) };

  /** @param {boolean} fresh whether to ask for the app again (a release changed its versions) */
  async function draw(fresh) {
    panel.setAttribute("aria-busy", "true");
    try {
      if (fresh) Object.assign(app, await api.app(app.app_id));
      header.replaceChildren(...appHeader(app));
      const nodes = await screen.screen(context);
      panel.replaceChildren(...nodes);
    } catch (error) {
      panel.replaceChildren(el("p", { className: "form-error", role: "alert" }, errorMessage(error)));
    } finally {
      panel.setAttribute("aria-busy", "false");
    }
  }
  panel.append(note("Loading…"));
  draw(false);
  return el("section", { className: "console-app", "aria-labelledby": "app-title" }, header, tabs, panel);
}

/** @param {ConsoleApp} app */
function appHeader(app) {
  const icon = app.icon_url
    ? el("img", { className: "app-icon app-icon-medium", src: app.icon_url, alt: "" })
    : el("span", { className: "app-icon app-icon-medium app-icon-monogram", "aria-hidden": "true" }, app.name.slice(0, 1).toUpperCase());
  const released = app.latest_version
    ? `released ${app.latest_version}${app.staged_version ? `, ${app.staged_version} to ${app.staged_percent} %` : ""}`
    : "not released yet";
  return [
    icon,
    el(
      "div",
      { className: "console-app-title" },
      el("h2", { className: "section-title", id: "app-title" }, app.name),
      el("p", { className: "card-note" }, el("span", { className: "mono" }, app.app_id), ` · ${released} · `, el("span", { className: "role-badge" }, `you: ${app.role}`))
    ),
  ];
}

window.addEventListener("hashchange", () => {
  if (state.apps.length || route().isNew || route().isPayouts) render();
});

start();
