// Add to home screen (docs/home-screen.md): the open app's web app manifest is linked from the
// host page, so a browser that can install it fires `beforeinstallprompt`, which is kept here and
// prompted on the person's tap (the launcher's menu, or the app's minis.addToHomeScreen()).
// Where the browser fired none (iOS Safari, Firefox, a desktop browser with the app already
// installed, headless Chromium), a host sheet shows how to do it from the browser's own menu.
// @ts-check

import { BridgeError, RUNNING, afterTapInApp, onePerTap, registerMethod } from "./bridge.js";
import { el } from "./dom.js";

/** @type {any} the browser's deferred install prompt for the manifest linked now, if it gave one */
let deferred = null;

addEventListener("beforeinstallprompt", (event) => {
  event.preventDefault(); // shown on the person's tap, not by the browser's own timing
  deferred = event;
});
addEventListener("appinstalled", () => {
  deferred = null;
});

/** The manifest URL of an app (released, not a preview): /home-screen/{app}/manifest.webmanifest. */
export function manifestUrl(appId) {
  return `/home-screen/${encodeURIComponent(appId)}/manifest.webmanifest`;
}

/**
 * Links the app's manifest from the host page (or unlinks it, `null`): the browser reads the
 * manifest of the page's one `<link rel="manifest">`, and a prompt it gave for another app's is void.
 * @param {string | null} appId
 */
export function linkManifest(appId) {
  const href = appId ? manifestUrl(appId) : null;
  let link = /** @type {HTMLLinkElement | null} */ (document.querySelector('link[rel="manifest"]'));
  if (link && href && link.getAttribute("href") === href) return;
  deferred = null;
  link?.remove();
  if (!href) return;
  link = /** @type {HTMLLinkElement} */ (el("link", { rel: "manifest", href }));
  document.head.append(link);
}

/** Whether this browser is iOS or iPadOS Safari (or a browser on it), whose Share sheet adds to the home screen. */
function onIos() {
  const agent = navigator.userAgent;
  return /iPhone|iPad|iPod/.test(agent) || (/Macintosh/.test(agent) && navigator.maxTouchPoints > 1);
}

/**
 * Asks to add the app to the home screen: the browser's own prompt where it gave one, otherwise
 * the host's guide sheet. Resolves `{added}` (`added` only where the browser says so: after the
 * guide nobody knows, and `guided` is true).
 * @param {import("./sheets.js").Sheets} sheets
 * @param {{app_id: string, name: string}} card
 * @param {{owner?: any}} [options] the app's session when the app asked (its sheet closes with it)
 * @returns {Promise<{added: boolean, guided?: boolean}>}
 */
export async function addToHomeScreen(sheets, card, { owner = null } = {}) {
  linkManifest(card.app_id);
  if (deferred) {
    const prompt = deferred;
    deferred = null; // a prompt is good for one showing
    try {
      await prompt.prompt();
      const choice = await prompt.userChoice;
      return { added: choice?.outcome === "accepted" };
    } catch (error) {
      // The browser would not show it (its activation spent, say): the guide still can.
      console.warn("openminis: the install prompt was refused", error);
    }
  }
  return guide(sheets, card, owner);
}

/** The host-drawn guide: where this browser keeps "Add to Home Screen". */
function guide(sheets, card, owner) {
  return new Promise((resolve, reject) => {
    const sheet = sheets.claim({ owner, onDismiss: () => resolve({ added: false, guided: true }) });
    if (!sheet) {
      reject(new BridgeError("NOT_ALLOWED", "addToHomeScreen: another host sheet is open"));
      return;
    }
    const steps = onIos()
      ? ["Tap the Share button in Safari’s toolbar.", "Scroll down and tap Add to Home Screen.", "Tap Add."]
      : ["Open your browser’s menu (⋮ or ☰).", "Choose Add to Home screen, or Install app.", "Confirm."];
    const done = el("button", { type: "button", className: "button-primary" }, "Done");
    done.addEventListener("click", () => {
      sheet.close();
      resolve({ added: false, guided: true });
    });
    sheet.show({
      title: `Add ${card.name} to your home screen`,
      body: el(
        "div",
        { className: "sheet-stack home-screen-guide" },
        el("p", { className: "sheet-note" }, `Open ${card.name} from your home screen like any app, straight into the game.`),
        el("ol", { className: "home-screen-steps" }, steps.map((step) => el("li", {}, step))),
        el("div", { className: "sheet-actions" }, done)
      ),
    });
  });
}

// minis.addToHomeScreen(): only right after a tap or key in the app, as the clipboard (bridge.js:
// afterTapInApp; the host page's own activation, which that needs too, is what the browser's
// prompt wants), and one sheet per tap (onePerTap).
registerMethod("addToHomeScreen", {
  states: RUNNING,
  handler: (params, session, call) => {
    if (!afterTapInApp(params, call, session)) {
      throw new BridgeError("NOT_ALLOWED", "addToHomeScreen: only right after a tap or key in the app");
    }
    session.checkMaySheet("addToHomeScreen");
    if (session.card.preview) throw new BridgeError("NOT_ALLOWED", "addToHomeScreen: a preview is not released to people");
    return onePerTap(session, () => session.launcher.addToHomeScreen(session, { owner: session }));
  },
});
