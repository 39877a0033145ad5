// minis.requestSubscribeMessage (docs/messages.md): the host's consent sheet for subscribe
// messages. It lists each template's title as text (a title is the developer's words, never
// markup) with an accept/decline choice per template, and records the answers on the platform:
// each accept of a one-time template allows the app's backend one send, of a long-term one sends
// until the person revokes it in Me → Messages.
// Every parameter is checked again here: a frame can post anything.
// @ts-check

import { ApiError } from "./api.js";
import { appIcon } from "./app-tile.js";
import { BridgeError, RUNNING, afterTapInApp, onePerTap, registerMethod } from "./bridge.js";
import { el } from "./dom.js";
import { armLater, whileBusy } from "./sheets.js";

const TEMPLATE_ID = /^(?!\.+$)[A-Za-z0-9_.-]{1,64}$/; // the manifest's ids: not dots alone
const MAX_ASKED = 10;

/** @param {any} params */
export function templateIds(params) {
  const ids = params.templateIds;
  if (!Array.isArray(ids) || ids.length < 1 || ids.length > MAX_ASKED || !ids.every((id) => typeof id === "string" && TEMPLATE_ID.test(id))) {
    throw new BridgeError("INVALID_ARGUMENT", `templateIds: 1-${MAX_ASKED} of your app's message template ids`);
  }
  return [...new Set(ids)];
}

/** A platform refusal as the SDK's codes. */
function refused(error) {
  if (!(error instanceof ApiError)) return error;
  if (error.status === 404) return new BridgeError("NOT_FOUND", error.message);
  if (error.status === 400 || error.status === 422) return new BridgeError("INVALID_ARGUMENT", error.message);
  if (error.status === 403) return new BridgeError("NOT_ALLOWED", error.message);
  return error;
}

/**
 * The sheet: one row per template, its title as text and a switch that starts off (the person
 * opts in; nothing is granted by a tap on Done alone). Resolves the answers.
 * @param {any} session the app asking (launcher.js AppSession)
 * @param {{id: string, title: string, kind: string}[]} templates
 * @returns {Promise<Record<string, "accept" | "reject">>}
 */
function ask(session, templates) {
  return new Promise((resolve, reject) => {
    const sheet = session.launcher.sheets.claim({
      owner: session,
      onDismiss: () => reject(new BridgeError("USER_CANCELLED", "the person closed the message sheet")),
    });
    if (!sheet) {
      reject(new BridgeError("NOT_ALLOWED", "another host sheet is open"));
      return;
    }
    const error = el("p", { className: "form-error", role: "alert" });
    const switches = templates.map((template) => {
      // Asleep as Done is (armLater): a tap meant for the game must not turn one on (a probe: a game
      // whose target sat where the switch appears had it accepted by the person's next tap).
      const input = armLater(/** @type {HTMLInputElement} */ (el("input", { type: "checkbox", className: "message-choice", value: template.id })));
      const note = template.kind === "long-term" ? "Until you turn it off" : "Once";
      // textContent only: a title like <img onerror=...> shows as those characters.
      const row = el(
        "label",
        { className: "message-template" },
        el("span", { className: "message-template-text" }, el("span", { className: "message-template-title" }, template.title), el("span", { className: "sheet-note" }, note)),
        input
      );
      return { template, input, row };
    });
    const send = async () => {
      /** @type {Record<string, "accept" | "reject">} */
      const answers = {};
      for (const { template, input } of switches) answers[template.id] = input.checked ? "accept" : "reject";
      const path = `/api/apps/${encodeURIComponent(session.appId)}/message-subscriptions`;
      const done = await session.api.request("POST", path, { body: { answers } });
      sheet.close();
      resolve(done.answers);
    };
    const decline = el("button", { type: "button", className: "button-secondary" }, "Not now");
    const allow = armLater(el("button", { type: "button", className: "button-primary" }, "Done"));
    decline.addEventListener("click", () => {
      for (const { input } of switches) input.checked = false;
      whileBusy(decline, () => send().catch((failure) => reject(refused(failure))));
    });
    allow.addEventListener("click", () => whileBusy(allow, () => send().catch((failure) => (error.textContent = failure?.message ?? String(failure)))));
    const body = el(
      "div",
      { className: "sheet-stack consent" },
      el("div", { className: "consent-apps" }, appIcon(session.card, "medium")),
      el("p", { className: "consent-question" }, `${session.card.name} would like to send you messages`),
      el("div", { className: "message-templates" }, switches.map(({ row }) => row)),
      el("p", { className: "sheet-note" }, "They arrive in Me → Messages. You can turn them off there any time."),
      error,
      el("div", { className: "sheet-actions" }, decline, allow)
    );
    sheet.show({ title: "Allow messages?", body });
  });
}

// Only right after a tap or key in the app, as the clipboard (bridge.js: afterTapInApp), and one
// sheet per tap (onePerTap): a press on the sheet itself ("Not now", Escape) activates the host
// page, and an app that asked again at once, its flag forged, reopened the sheet after every
// refusal, in a loop only leaving ended (a probe).
registerMethod("requestSubscribeMessage", {
  states: RUNNING,
  handler: async (params, session, call) => {
    const ids = templateIds(params);
    if (!afterTapInApp(params, call, session)) {
      throw new BridgeError("NOT_ALLOWED", "requestSubscribeMessage: only right after a tap or key in the app");
    }
    session.checkMaySheet("requestSubscribeMessage");
    const query = new URLSearchParams(ids.map((id) => ["ids", id]));
    const asked = await session.api.request("GET", `/api/apps/${encodeURIComponent(session.appId)}/message-templates?${query}`).catch((error) => {
      throw refused(error);
    });
    session.checkMaySheet("requestSubscribeMessage"); // the app may have left the screen meanwhile
    return onePerTap(session, () => ask(session, asked.items));
  },
});
