// The page of `minis dev` (src/openminis/devtools): the package being developed, opened by the
// host's own launcher, bridge and sheets on the app's own origin, with a panel beside it: every
// SDK call and its answer, who the person is, sandbox coins, simulated ads, hide and show, and
// the platform's checks. When the dev server publishes a saved change as a new dev version, the
// page hears it (a long poll) and opens the new version in a fresh frame.
// Only `minis dev` serves this page; the host page (main.js) never loads this module.
// @ts-check

import { Account } from "./account.js";
import { AdPlayer } from "./ad-player.js";
import { Api, errorMessage } from "./api.js";
import { Bridge, BridgeError } from "./bridge.js";
import { compatUse } from "./bridge-methods.js";
import { byId, el } from "./dom.js";
import { EventQueue } from "./events.js";
import { formatCoins } from "./format.js";
import { icon } from "./icons.js";
import { Launcher } from "./launcher.js";
import { Sheets } from "./sheets.js";
import { Wallet } from "./wallet.js";

// The sandbox provider's card that always succeeds (payments/providers/sandbox.py).
const SANDBOX_CARD = "4242424242424242";
const MAX_LOG_ROWS = 500;
const SHOWN_CHARS = 240;

/** @typedef {"filled" | "no-fill" | "closed-early" | "platform"} AdMode */

/**
 * What the dev server answers about the version on screen (devtools/server.py DevState).
 * @typedef {object} DevState
 * @property {number} generation
 * @property {string | null} app_id
 * @property {string | null} version
 * @property {Record<string, any> | null} card
 * @property {string | null} published
 * @property {string | null} error
 */

/**
 * The host's ad player, with simulated outcomes chosen in the panel: a filled ad (its reward
 * granted when it is closed), no fill, or an ad closed before its reward. "platform" is the real
 * ad server and player, for an app whose units have campaigns on this dev platform.
 */
class SimulatedAds extends AdPlayer {
  /** @type {AdMode} */
  mode = "filled";
  simulating = false;
  served = 0;

  get isPlaying() {
    return this.simulating || this.showing !== null;
  }

  /**
   * @param {{appId: string, unitId: string, launchId?: string | null, format?: string | null}} request
   * @returns {Promise<any>}
   */
  async load(request) {
    if (this.mode === "platform") return super.load(request);
    if (this.mode === "no-fill") throw new BridgeError("NO_FILL", "minis dev: simulated no fill");
    this.served += 1;
    return { ad_id: `dev_ad_${this.served}`, format: request.format || "rewarded", simulated: true };
  }

  /** @param {any} decision */
  play(decision) {
    if (!decision.simulated) return super.play(decision);
    if (this.isPlaying) return Promise.reject(new BridgeError("NOT_ALLOWED", "another ad is playing"));
    this.simulating = true;
    const earlyClose = this.mode === "closed-early";
    const rewarded = decision.format === "rewarded" && !earlyClose;
    const covered = this.inertRoots.map((root) => /** @type {[HTMLElement, boolean]} */ ([root, root.inert]));
    for (const root of this.inertRoots) root.inert = true;
    return new Promise((resolve) => {
      const close = el("button", { type: "button", className: "button-primary" }, earlyClose ? "Close early" : "Close ad");
      close.addEventListener("click", () => {
        this.root.hidden = true;
        this.root.replaceChildren();
        for (const [root, wasInert] of covered) root.inert = wasInert;
        this.simulating = false;
        resolve({
          rewarded,
          transactionId: rewarded ? `dev_tx_${this.served}` : null,
          reason: rewarded ? null : "closed",
        });
      });
      this.root.replaceChildren(
        el(
          "div",
          { className: "dev-ad" },
          el("p", { className: "dev-ad-badge" }, "Simulated ad"),
          el("p", { className: "dev-ad-text" }, `${decision.format} · ${earlyClose ? "closed before the reward" : rewarded ? "reward granted on close" : "no reward (interstitial)"}`),
          close
        )
      );
      this.root.setAttribute("aria-label", "Simulated ad");
      this.root.hidden = false;
      close.focus();
    });
  }
}

/** A value as the log shows it: JSON, cut short. */
function shown(value) {
  let text;
  try {
    text = JSON.stringify(value) ?? "undefined";
  } catch {
    text = String(value);
  }
  return text.length > SHOWN_CHARS ? `${text.slice(0, SHOWN_CHARS)}…` : text;
}

const config = JSON.parse(byId("minis-config").textContent || "{}");
const api = new Api(config.csrfToken);
const events = new EventQueue(api);
const account = new Account(api, config.user);
const wallet = new Wallet(api);
const shell = byId("shell");
const appLayer = byId("app-layer");
const ads = new SimulatedAds({ root: byId("ad-layer"), api, inertRoots: [shell, appLayer] });
const sheets = new Sheets({ layer: byId("sheet-layer"), inertRoots: [shell, appLayer], toast: byId("toast") });
const shellNote = byId("dev-shell-note");
const reopenButton = /** @type {HTMLButtonElement} */ (byId("dev-reopen"));

/** @type {Record<string, any> | null} the card of the version on screen */
let currentCard = null;
let reopening = false;

const launcher = new Launcher({
  api,
  ads,
  events,
  // Every open is a fresh frame of the version on disk: a closed app is unloaded, never kept.
  config: { ...config, keepMinimisedMs: 0 },
  prewarm: false,
  layer: appLayer,
  shell,
  sheets,
  wallet,
  account,
  onClose: () => {
    if (reopening) return;
    shellNote.textContent = "The app closed (its close button, Escape, or minis.exit()).";
    reopenButton.hidden = currentCard === null;
  },
});

for (const element of /** @type {NodeListOf<HTMLElement>} */ (document.querySelectorAll("[data-icon]"))) {
  element.prepend(icon(/** @type {any} */ (element.dataset.icon)));
}

// The call log ------------------------------------------------------------------------------------

const log = byId("dev-log");
/** @type {Map<number, HTMLElement>} a request's row by its id, for the answer; one frame at a time */
const pending = new Map();

/** @param {HTMLElement} row */
function addRow(row) {
  log.append(row);
  while (log.children.length > MAX_LOG_ROWS) log.firstElementChild?.remove();
  log.scrollTop = log.scrollHeight; // the latest call in view, without scrolling the page
}

/**
 * A compat shim's runtime log (docs/compat.md): an API the game called that its shim supports
 * partly or not at all, as a row of its own; null for a request that names none (its own row and
 * the host's refusal show it then).
 * @param {Record<string, any>} params
 */
function compatRow(params) {
  let use;
  try {
    use = compatUse(params);
  } catch {
    return null;
  }
  return el(
    "li",
    { className: "dev-call dev-compat", dataset: { method: "compat.used", api: use.api, level: use.level } },
    el("code", { className: "dev-call-method" }, `compat ${use.api}`),
    el("span", { className: "dev-call-params" }, `— ${use.level === "not" ? "not supported" : "partly supported"}`)
  );
}

Bridge.observe((traffic) => {
  if (traffic.appId !== currentCard?.app_id) return;
  const compat = traffic.kind === "request" && traffic.method === "compat.used" ? compatRow(traffic.params) : null;
  if (compat) {
    addRow(compat); // the host's answer is always null: nothing to wait for
  } else if (traffic.kind === "request") {
    const answer = el("span", { className: "dev-call-answer" }, "…");
    const row = el(
      "li",
      { className: "dev-call", dataset: { method: traffic.method, state: "waiting" } },
      el("code", { className: "dev-call-method" }, traffic.method),
      el("span", { className: "dev-call-params" }, shown(traffic.params)),
      answer
    );
    pending.set(traffic.id, row);
    addRow(row);
  } else if (traffic.kind === "response") {
    const row = pending.get(traffic.id);
    if (!row) return;
    pending.delete(traffic.id);
    row.dataset.state = traffic.ok ? "ok" : "error";
    const answer = /** @type {HTMLElement} */ (row.querySelector(".dev-call-answer"));
    answer.textContent = traffic.ok ? `→ ${shown(traffic.result)}` : `→ ${traffic.error?.code}: ${traffic.error?.message}`;
  } else {
    addRow(
      el(
        "li",
        { className: "dev-call dev-event", dataset: { event: traffic.name } },
        el("code", { className: "dev-call-method" }, `event ${traffic.name}`),
        el("span", { className: "dev-call-params" }, shown(traffic.data))
      )
    );
  }
});

byId("dev-clear-log").addEventListener("click", () => {
  log.replaceChildren();
  pending.clear();
});

// The app on screen -------------------------------------------------------------------------------

/** Opens the card in a fresh frame, closing the one before (its `hide` lets it save first). */
function open(card) {
  currentCard = card;
  reopening = true;
  if (launcher.active) launcher.close();
  reopening = false;
  pending.clear();
  addRow(el("li", { className: "dev-separator" }, `${card.app_id} ${card.version}`));
  shellNote.textContent = "";
  reopenButton.hidden = true;
  launcher.launch(card, "direct", performance.now());
}

/** @param {DevState} state */
function showState(state) {
  byId("dev-version").textContent = state.version || "none yet";
  const error = byId("dev-error");
  error.hidden = !state.error;
  error.textContent = state.error ? `Not published: ${state.error}` : "";
  if (!state.card) shellNote.textContent = "Nothing published yet: fix the package and save.";
  // A refused change keeps the version before on screen; a new version replaces it.
  else if (currentCard?.version !== state.card.version) open(state.card);
}

/** Follows the dev server's publishes for as long as the page is open. */
async function follow(generation) {
  for (;;) {
    try {
      /** @type {DevState} */
      const state = await api.request("GET", `/dev/api/state?after=${generation}`);
      if (state.generation !== generation) {
        generation = state.generation;
        showState(state);
      }
    } catch (error) {
      // The dev server stopped or restarts: look again in a moment.
      await new Promise((resolve) => setTimeout(resolve, 1000));
    }
  }
}

reopenButton.addEventListener("click", () => currentCard && open(currentCard));
byId("dev-relaunch").addEventListener("click", () => currentCard && open(currentCard));
byId("dev-hide").addEventListener("click", () => launcher.active?.hide());
byId("dev-show").addEventListener("click", () => launcher.active?.show());

// The person and their coins ----------------------------------------------------------------------

const personLabel = byId("dev-person");
account.watch((user) => {
  personLabel.textContent = `${user.display_name} (${user.kind === "full" ? "signed in" : "guest"})`;
});

for (const button of /** @type {NodeListOf<HTMLButtonElement>} */ (document.querySelectorAll("[data-person]"))) {
  button.addEventListener("click", async () => {
    button.disabled = true;
    try {
      await api.request("POST", "/dev/api/person", { body: { person: button.dataset.person } });
      // A new session, so a new CSRF token and a new person for every part of the page: reload.
      location.reload();
    } catch (error) {
      sheets.notify(errorMessage(error));
      button.disabled = false;
    }
  });
}

const balanceLabel = byId("dev-balance");
wallet.watch((balance) => {
  balanceLabel.textContent = `${formatCoins(balance)} coins`;
});
wallet.refresh().catch((error) => console.error("minis dev: balance not loaded", error));

const grantButton = /** @type {HTMLButtonElement} */ (byId("dev-grant"));
grantButton.addEventListener("click", async () => {
  grantButton.disabled = true;
  try {
    // The sandbox top-up, as the host's own top-up sheet makes it with the test card.
    const { items } = await api.coinPacks(config.market);
    const pack = items.find((item) => item.coins >= 1000) || items[items.length - 1];
    const topUp = await api.startTopUp(pack, config.market);
    await api.sandboxPay(topUp.id, SANDBOX_CARD);
    await wallet.refresh();
    sheets.notify(`Granted ${formatCoins(pack.coins + pack.bonus_coins)} sandbox coins`);
  } catch (error) {
    sheets.notify(errorMessage(error));
  } finally {
    grantButton.disabled = false;
  }
});

// Ads ---------------------------------------------------------------------------------------------

for (const input of /** @type {NodeListOf<HTMLInputElement>} */ (document.querySelectorAll("input[name=dev-ads]"))) {
  input.addEventListener("change", () => {
    if (input.checked) ads.mode = /** @type {AdMode} */ (input.value);
  });
}

// Checks ------------------------------------------------------------------------------------------

const checksOut = byId("dev-checks");
const checksButton = /** @type {HTMLButtonElement} */ (byId("dev-run-checks"));

/** @param {Record<string, any>} report the platform's check report (catalog's checks) */
function reportView(report) {
  const items = [...(report.hard_failures || []).map((f) => ["fail", f]), ...(report.warnings || []).map((w) => ["warn", w])];
  const tier = report.tier ? ` · ${report.tier}` : "";
  return [
    el("p", { className: report.passed ? "dev-pass" : "dev-fail" }, `${report.passed ? "Passed" : "Failed"}${tier} · browser ${report.browser}`),
    el(
      "ul",
      {},
      items.map(([kind, item]) => el("li", { className: `dev-${kind}` }, `${item.code}: ${item.message}${item.file ? ` (${item.file})` : ""}`))
    ),
  ];
}

checksButton.addEventListener("click", async () => {
  checksButton.disabled = true;
  checksOut.replaceChildren(el("p", {}, "Running the checks…"));
  try {
    const answer = await api.request("POST", "/dev/api/checks");
    checksOut.replaceChildren(...(answer.report ? reportView(answer.report) : [el("p", {}, answer.message)]));
  } catch (error) {
    checksOut.replaceChildren(el("p", { className: "dev-fail" }, errorMessage(error)));
  } finally {
    checksButton.disabled = false;
  }
});

// Start -------------------------------------------------------------------------------------------

byId("dev-folder").textContent = config.dev.folder;
showState(config.dev.state);
follow(config.dev.state.generation);
