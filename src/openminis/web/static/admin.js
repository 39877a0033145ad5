// The reviewers' page (/admin): the queue of submitted versions, each with its check report,
// screenshots and changes from the released version, a one-click preview, and the decision
// (approve, at once released to a share of people if wanted, or reject with a reason); and,
// for any app, a release's share and a rollback. The review API (catalog/admin.py) decides who
// is staff: anyone else signs in here, or is told they are not staff. The page has a tab per act the
// staff member's role allows (TABS): review here, message templates in admin-templates.js, moderation
// and the audit log in admin-moderation.js.
// @ts-check

import { Api, errorMessage } from "./api.js";
import { byId, el } from "./dom.js";
import { auditScreen, moderationScreen } from "./admin-moderation.js";
import { moneyTab } from "./admin-money.js";
import { payoutsTab } from "./admin-payouts.js";
import { templatesScreen } from "./admin-templates.js";
import { formatDateTime } from "./format.js";
import { formatBytes } from "./console-problems.js";
import { changes, checkReport, history, screenshots, stateLabel } from "./review-item.js";

/** @typedef {import("./review-item.js").ReviewItem} ReviewItem */

const SHARES = [1, 10, 50, 100];

const config = JSON.parse(byId("minis-config").textContent);
const api = new Api(config.csrfToken);
const root = byId("admin");
const who = byId("admin-who");
const status = byId("admin-status");

/** @param {...(Node | string | null)} children */
function show(...children) {
  root.replaceChildren(...children.filter((child) => child !== null));
  root.setAttribute("aria-busy", "false");
}

/** @param {string} text */
function note(text) {
  return el("p", { className: "card-note" }, text);
}

/** @param {string} text */
function tell(text) {
  status.textContent = text;
}

/** @param {string} app @param {string} version */
function reviewPath(app, version) {
  return `/api/admin/review/${encodeURIComponent(app)}/${encodeURIComponent(version)}`;
}

/** @param {string} app */
function appPath(app) {
  return `/api/admin/apps/${encodeURIComponent(app)}`;
}

async function start() {
  root.setAttribute("aria-busy", "true");
  const me = await api.request("GET", "/api/me");
  api.csrfToken = me.csrf_token;
  const user = me.user;
  if (user.kind !== "full") {
    who.replaceChildren();
    show(signInForm());
    return;
  }
  who.replaceChildren(el("span", { className: "admin-email" }, user.email || user.display_name), el("button", { type: "button", className: "button-secondary button-small", onclick: signOut }, "Sign out"));
  const staff = await api.request("GET", "/api/admin/staff/me");
  const tabs = TABS.filter((tab) => staff.acts.includes(tab.act));
  if (!tabs.length) {
    show(notStaff(user));
    return;
  }
  show(...(await tabbed(tabs)));
}

// The tabs: each shown to the roles whose acts include its `act` (GET /api/admin/staff/me). A
// screen returns what the tab shows.
/** @typedef {{id: string, label: string, act: string, screen: () => Promise<Node[]> | Node[]}} Tab */
/** @type {Tab[]} */
const TABS = [
  { id: "review", label: "Review", act: "review", screen: async () => desk((await api.request("GET", "/api/admin/review")).items) },
  { id: "templates", label: "Message templates", act: "review", screen: () => [templatesScreen(api, tell)] },
  { id: "moderation", label: "Moderation", act: "moderate", screen: () => [moderationScreen(api, tell)] },
  // Shown for "lookup" (support, finance, admins); what it holds follows the role's other acts.
  { id: "money", label: "Money", act: "lookup", screen: async () => [moneyTab(api, (await api.request("GET", "/api/admin/staff/me")).acts, tell) ?? note("Nothing here for this role.")] },
  { id: "payouts", label: "Payouts", act: "payouts", screen: () => [payoutsTab(api, tell)] },
  { id: "audit", label: "Audit log", act: "audit", screen: () => [auditScreen(api)] },
];

/**
 * The tab bar (only with more than one tab) and the picked tab's screen; the hash keeps the pick.
 * @param {Tab[]} tabs
 * @returns {Promise<Node[]>}
 */
async function tabbed(tabs) {
  const panel = el("div", { className: "admin-panel", role: tabs.length > 1 ? "tabpanel" : null });
  const bar = el("nav", { className: "admin-tabs", role: "tablist", "aria-label": "Admin" });
  /** @type {Tab | null} */
  let picked = null;
  let picks = 0;
  /** @param {Tab} tab */
  async function pick(tab) {
    // The tab on screen stays as it is (with what was typed in it); and of two picks in flight,
    // the later one is shown, however their screens' loading ends.
    if (picked === tab) return;
    picked = tab;
    const mine = ++picks;
    for (const button of bar.querySelectorAll("button")) button.setAttribute("aria-selected", String(button.dataset.tab === tab.id));
    if (tabs.length > 1) window.history.replaceState(null, "", `#${tab.id}`);
    /** @type {Node[]} */
    let screen;
    try {
      screen = await tab.screen();
    } catch (error) {
      screen = [el("p", { className: "form-error", role: "alert" }, errorMessage(error))];
    }
    if (mine === picks) panel.replaceChildren(...screen);
  }
  bar.append(...tabs.map((tab) => el("button", { type: "button", role: "tab", className: "admin-tab", dataset: { tab: tab.id }, "aria-selected": "false", onclick: () => pick(tab) }, tab.label)));
  await pick(tabs.find((tab) => `#${tab.id}` === location.hash) ?? tabs[0]);
  return tabs.length > 1 ? [bar, panel] : [panel];
}

async function signOut() {
  await api.request("POST", "/api/account/sign-out").catch(() => null);
  location.reload();
}

// Signing in ----------------------------------------------------------------------------------

function signInForm() {
  const email = el("input", { className: "text-field", id: "admin-email", name: "email", type: "email", required: true, autocomplete: "username" });
  const password = el("input", { className: "text-field", id: "admin-password", name: "password", type: "password", autocomplete: "current-password" });
  const message = el("p", { className: "form-error", role: "alert" });
  const sent = el("div", { className: "card-note admin-link-sent", role: "status" });
  const linkButton = el("button", { type: "button", className: "button-secondary" }, "Email me a sign-in link");
  const form = el(
    "form",
    { className: "card admin-sign-in", "aria-labelledby": "sign-in-title" },
    el("h2", { className: "section-title", id: "sign-in-title" }, "Sign in to review"),
    note("The review queue is for the platform’s staff. Sign in with your openminis account: with its password, or with a link sent to its email."),
    el("div", { className: "field" }, el("label", { for: "admin-email" }, "Email"), email),
    el("div", { className: "field" }, el("label", { for: "admin-password" }, "Password"), password),
    message,
    sent,
    el("div", { className: "form-actions" }, linkButton, el("button", { type: "submit", className: "button-primary" }, "Sign in"))
  );
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    message.textContent = "";
    if (!password.value) {
      message.textContent = "Enter the password, or ask for a sign-in link.";
      return;
    }
    try {
      const answer = await api.request("POST", "/api/account/sign-in", { body: { email: email.value.trim(), password: password.value } });
      api.csrfToken = answer.csrf_token;
      await start();
    } catch (error) {
      message.textContent = errorMessage(error);
    }
  });
  linkButton.addEventListener("click", async () => {
    message.textContent = "";
    if (!email.reportValidity()) return;
    try {
      const answer = await api.request("POST", "/api/account/link", { body: { email: email.value.trim() } });
      const where = answer.delivery === "log" ? " (without a mail server, the link is printed in the server’s log)" : "";
      sent.replaceChildren(
        el("p", {}, `We sent a sign-in link to ${email.value.trim()}${where}. Open it in this browser and confirm, then come back here.`),
        el("button", { type: "button", className: "button-secondary button-small", onclick: () => start() }, "I’ve signed in")
      );
    } catch (error) {
      message.textContent = errorMessage(error);
    }
  });
  return form;
}

/** @param {Record<string, any>} user */
function notStaff(user) {
  return el(
    "section",
    { className: "card admin-not-staff", "aria-labelledby": "not-staff-title" },
    el("h2", { className: "section-title", id: "not-staff-title" }, "Not staff"),
    note(`${user.email || user.display_name} is not staff of openminis: only the platform’s reviewers see the review queue. Sign in with another account, or ask an operator to add you (minis staff add).`),
    el("div", { className: "form-actions" }, el("a", { className: "button-secondary", href: "/" }, "Go to openminis"), el("button", { type: "button", className: "button-primary", onclick: signOut }, "Sign out"))
  );
}

// The desk: queue, the version picked, releases ------------------------------------------------

/** @param {ReviewItem[]} items */
function desk(items) {
  const detail = el("section", { className: "review-detail", id: "review-detail", "aria-live": "polite" });
  const list = el("ul", { className: "review-queue-list" });
  const releases = releasePanel();
  /** @type {HTMLButtonElement[]} */
  const entries = [];

  /** @param {ReviewItem} item */
  function pick(item) {
    for (const button of entries) button.setAttribute("aria-pressed", String(button.dataset.appId === item.app_id && button.dataset.version === item.version.version));
    detail.replaceChildren(...reviewView(item, decided));
  }

  /** @param {ReviewItem} item what the decision left the version at */
  async function decided(item) {
    if (item.version.state !== "rejected") releases.load(item.app_id, item.version.version);
    const fresh = (await api.request("GET", "/api/admin/review")).items;
    fillQueue(fresh);
    if (fresh.length) pick(fresh[0]); // the next one waiting; the status line says what was decided
  }

  /** @param {ReviewItem[]} queued */
  function fillQueue(queued) {
    entries.length = 0;
    count.textContent = String(queued.length);
    list.replaceChildren(
      ...queued.map((item) => {
        const passed = item.version.check_report?.passed;
        const button = el(
          "button",
          { type: "button", className: "review-entry", dataset: { appId: item.app_id, version: item.version.version }, "aria-pressed": "false", onclick: () => pick(item) },
          el("span", { className: "review-entry-name" }, item.app_name, " ", el("span", { className: "review-entry-version" }, item.version.version)),
          el("span", { className: "review-entry-meta" }, `${item.app_id} · ${item.released_version ? `after ${item.released_version}` : "first version"} · ${formatDateTime(item.version.created_at)}`),
          el("span", { className: "review-badge", dataset: { passed: String(Boolean(passed)) } }, passed ? "checks passed" : "checks failed")
        );
        entries.push(button);
        return el("li", {}, button);
      })
    );
    if (!queued.length) {
      list.replaceChildren(el("li", {}, note("Nothing is waiting for review.")));
      detail.replaceChildren();
    }
  }

  const count = el("span", { className: "review-count" }, "0");
  const queue = el("nav", { className: "review-queue card", "aria-labelledby": "queue-title" }, el("h2", { className: "section-title", id: "queue-title" }, "Waiting for review ", count), list);
  fillQueue(items);
  if (items.length) pick(items[0]);
  return [el("div", { className: "admin-desk" }, queue, detail), releases.element];
}

/**
 * A version under review: what it is, a preview, the decision, then what the checks found and
 * what it changes.
 * @param {ReviewItem} item
 * @param {(item: ReviewItem) => Promise<void>} decided
 */
function reviewView(item, decided) {
  const version = item.version;
  const title = `${item.app_name} ${version.version}`;
  return [
    el(
      "article",
      { className: "card review-item", "aria-labelledby": "review-title", dataset: { appId: item.app_id, version: version.version } },
      el(
        "header",
        { className: "review-item-header" },
        el("h2", { className: "section-title", id: "review-title" }, title),
        el("p", { className: "card-note" }, `${item.app_id} · ${item.kind} · ${stateLabel(version.state)} · ${formatBytes(version.size_bytes)} in ${version.file_count} files · released now: ${item.released_version ?? "none"}`),
        el("a", { className: "button-secondary review-preview", href: version.preview_url, target: "_blank", rel: "noopener" }, "Open preview")
      ),
      version.state === "in_review" ? decision(item, decided) : note(`This version is ${stateLabel(version.state)}.`),
      checkReport(version.check_report),
      screenshots(item),
      ...changes(item),
      history(version.history)
    ),
  ];
}

/**
 * Approve (optionally released at once to a share) or reject with a reason.
 * @param {ReviewItem} item
 * @param {(item: ReviewItem) => Promise<void>} decided
 */
function decision(item, decided) {
  const id = "decision-note";
  const text = el("textarea", { className: "text-field text-area", id, name: "note", maxLength: 2000, rows: 3 });
  // Without a released version there is nothing to stage from: only everyone, or not yet.
  const shares = item.released_version ? SHARES : [100];
  const share = el(
    "select",
    { className: "text-field", id: "decision-share", name: "percent" },
    el("option", { value: "" }, "Not yet"),
    shares.map((percent) => el("option", { value: String(percent) }, `${percent} % of people`))
  );
  const message = el("p", { className: "form-error", role: "alert" });
  const approve = el("button", { type: "button", className: "button-primary" }, "Approve");
  const reject = el("button", { type: "button", className: "button-secondary review-reject" }, "Reject");

  /** @param {"approve" | "reject"} action @param {Record<string, any>} body */
  async function send(action, body) {
    message.textContent = "";
    approve.disabled = reject.disabled = true;
    try {
      const after = await api.request("POST", `${reviewPath(item.app_id, item.version.version)}/${action}`, { body });
      const released = after.version.share ? `, released to ${after.version.share} % of people` : "";
      tell(action === "approve" ? `Approved ${item.app_name} ${item.version.version}${released}.` : `Rejected ${item.app_name} ${item.version.version}.`);
      await decided(after);
    } catch (error) {
      message.textContent = errorMessage(error);
      approve.disabled = reject.disabled = false;
    }
  }

  approve.addEventListener("click", () => {
    /** @type {Record<string, any>} */
    const body = { note: text.value.trim() };
    if (share.value) body.percent = Number(share.value);
    send("approve", body);
  });
  reject.addEventListener("click", () => {
    const why = text.value.trim();
    if (why.length < 3) {
      message.textContent = "Say why the version is rejected: the developer reads it.";
      text.setAttribute("aria-invalid", "true");
      text.focus();
      return;
    }
    text.removeAttribute("aria-invalid");
    send("reject", { note: why });
  });
  return el(
    "div",
    { className: "review-decision", role: "group", "aria-label": "Decision" },
    el("div", { className: "field" }, el("label", { for: id }, "Note to the developer (the reason, to reject)"), text),
    el("div", { className: "field" }, el("label", { for: "decision-share" }, "Release on approval"), share),
    message,
    el("div", { className: "form-actions" }, reject, approve)
  );
}

/**
 * Any app's release: look a version up, set its share, or roll everyone back to it.
 * @returns {{element: HTMLElement, load: (app: string, version: string) => void}}
 */
function releasePanel() {
  const app = el("input", { className: "text-field", id: "release-app", name: "app_id", required: true, maxLength: 40, autocomplete: "off", spellcheck: false });
  const version = el("input", { className: "text-field", id: "release-version", name: "version", required: true, maxLength: 64, autocomplete: "off", spellcheck: false });
  const message = el("p", { className: "form-error", role: "alert" });
  const found = el("div", { className: "release-found", "aria-live": "polite" });
  const form = el(
    "form",
    { className: "release-lookup" },
    el("div", { className: "field" }, el("label", { for: "release-app" }, "App id"), app),
    el("div", { className: "field" }, el("label", { for: "release-version" }, "Version"), version),
    el("button", { type: "submit", className: "button-secondary" }, "Look up")
  );

  async function lookUp() {
    message.textContent = "";
    try {
      showFound(await api.request("GET", reviewPath(app.value.trim(), version.value.trim())));
    } catch (error) {
      found.replaceChildren();
      message.textContent = errorMessage(error);
    }
  }

  /** @param {string} path @param {Record<string, any>} body @param {string} done */
  async function act(path, body, done) {
    message.textContent = "";
    try {
      const after = await api.request("POST", path, { body });
      tell(done);
      showFound(after);
    } catch (error) {
      message.textContent = errorMessage(error);
    }
  }

  /** @param {ReviewItem} item */
  function showFound(item) {
    const v = item.version;
    const reason = el("input", { className: "text-field", id: "rollback-note", name: "note", maxLength: 2000, autocomplete: "off" });
    // What the platform takes, as the version says (catalog/releases.py): the panel offered both
    // wherever a version had been reviewed (a probe).
    const everyonesNow = v.version === item.released_version && v.share === 100;
    found.replaceChildren(
      el(
        "div",
        { className: "release-state", dataset: { appId: item.app_id, version: v.version, state: v.state, share: String(v.share) } },
        el("h3", { className: "review-section-title" }, `${item.app_name} ${v.version}`),
        el("p", {}, `${stateLabel(v.state)}; ${v.share} % of people get it now. Released to everyone else: ${item.released_version ?? "none"}.`)
      ),
      v.may_release
        ? el(
            "div",
            { className: "release-shares", role: "group", "aria-label": "Release share" },
            SHARES.map((percent) =>
              el(
                "button",
                {
                  type: "button",
                  className: "button-secondary button-small",
                  "aria-pressed": String(v.share === percent && v.state === "released"),
                  // Below 100 % only beside a released version (NOTHING_TO_STAGE_FROM: dev52).
                  disabled: percent < 100 && !v.may_stage,
                  onclick: () => act(`${appPath(item.app_id)}/versions/${encodeURIComponent(v.version)}/release`, { percent }, `${item.app_name} ${v.version} is released to ${percent} % of people.`),
                },
                `${percent} %`
              )
            )
          )
        : note(everyonesNow ? "Everyone gets this version now." : `Only a reviewed version can be released; this one is ${stateLabel(v.state)}.`),
      v.may_roll_back
        ? el(
            "div",
            { className: "release-rollback" },
            el("div", { className: "field" }, el("label", { for: "rollback-note" }, "Why roll back (for the history)"), reason),
            el(
              "button",
              {
                type: "button",
                className: "button-secondary",
                onclick: () => act(`${appPath(item.app_id)}/rollback`, { version: v.version, note: reason.value.trim() }, `Everyone gets ${item.app_name} ${v.version} from their next launch.`),
              },
              `Roll everyone back to ${v.version}`
            )
          )
        : "",
      history(v.history) ?? ""
    );
  }

  form.addEventListener("submit", (event) => {
    event.preventDefault();
    lookUp();
  });
  const element = el(
    "section",
    { className: "card release-panel", "aria-labelledby": "releases-title" },
    el("h2", { className: "section-title", id: "releases-title" }, "Releases"),
    note("Any app’s version: change the share of people who get it, or roll everyone back to it."),
    form,
    message,
    found
  );
  return {
    element,
    load(appId, name) {
      app.value = appId;
      version.value = name;
      lookUp();
    },
  };
}

start().catch((error) => show(el("p", { className: "form-error", role: "alert" }, errorMessage(error))));
