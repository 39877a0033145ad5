// Bridge methods for the social SDK (docs/social.md): leaderboards (scores, standings and a
// host-drawn board), contexts and tournaments, shares with a payload, and the capabilities the
// host keeps control of (gameplay, vibration, the clipboard, orientation, opening another app).
// Every parameter is checked again here: a frame can post anything.
// @ts-check

import { ApiError } from "./api.js";
import { appIcon } from "./app-tile.js";
import { BridgeError, RUNNING, afterTapInApp, registerMethod } from "./bridge.js";
import { el } from "./dom.js";
import { ShareSheet } from "./share-sheet.js";
import { armLater } from "./sheets.js";

// The manifest's rule for ids (catalog/manifest.py ITEM_ID): not dots alone, which the browser
// would read as a path's "." or "..".
const BOARD_ID = /^(?!\.+$)[A-Za-z0-9_.-]{1,64}$/;
const APP_ID = /^[a-z][a-z0-9-]{1,38}[a-z0-9]$/;
const QUERY_KEY = /^[A-Za-z0-9_.-]{1,32}$/;
const SCOPES = new Set(["global", "around_me", "context"]);
const MAX_SAFE = Number.MAX_SAFE_INTEGER;
// The platform's codes an app may branch on pass through; the rest become the SDK's general ones.
const PASSED_ON = new Set(["CLIENT_SCORES_OFF", "TOURNAMENT_ENDED", "RATE_LIMITED", "NETWORK_ERROR"]);

/** How a board writes a score: `1:02.345` (time_ms), `12.50` (decimal2), `1200` (integer). */
export function formatScore(score, format) {
  const sign = score < 0 ? "-" : "";
  const size = Math.abs(score);
  if (format === "time_ms") {
    const minutes = Math.floor(size / 60000);
    const seconds = Math.floor((size % 60000) / 1000);
    return `${sign}${minutes}:${String(seconds).padStart(2, "0")}.${String(size % 1000).padStart(3, "0")}`;
  }
  if (format === "decimal2") return `${sign}${Math.floor(size / 100)}.${String(size % 100).padStart(2, "0")}`;
  return String(score);
}

/** A request to the platform about the calling app, its refusals turned into the SDK's codes. */
async function platform(session, method, path, body) {
  try {
    const url = `/api/apps/${encodeURIComponent(session.appId)}${path}`;
    return await session.api.request(method, url, body === undefined ? {} : { body });
  } catch (error) {
    if (!(error instanceof ApiError)) throw error;
    if (PASSED_ON.has(error.code)) throw new BridgeError(error.code, error.message);
    if (error.status === 404) throw new BridgeError("NOT_FOUND", error.message);
    if (error.status === 400 || error.status === 422) throw new BridgeError("INVALID_ARGUMENT", error.message);
    if (error.status === 403) throw new BridgeError("NOT_ALLOWED", error.message);
    throw error;
  }
}

function boardId(params) {
  if (typeof params.board !== "string" || !BOARD_ID.test(params.board)) {
    throw new BridgeError("INVALID_ARGUMENT", "id: a leaderboard id of your app");
  }
  return encodeURIComponent(params.board);
}

function checkQuery(query) {
  if (query === undefined) return {};
  if (!query || typeof query !== "object" || Array.isArray(query) || Object.getPrototypeOf(query) !== Object.prototype) {
    throw new BridgeError("INVALID_ARGUMENT", "query: an object of string values");
  }
  const keys = Object.keys(query);
  if (keys.length > 16 || !keys.every((key) => QUERY_KEY.test(key) && typeof query[key] === "string")) {
    throw new BridgeError("INVALID_ARGUMENT", "query: at most 16 keys of A-Z a-z 0-9 _ . -, with string values");
  }
  if (new TextEncoder().encode(JSON.stringify(query)).length > 1024) {
    throw new BridgeError("INVALID_ARGUMENT", "query: at most 1 KiB as JSON");
  }
  return query;
}

function absolute(path) {
  return new URL(path, location.origin).href; // the app lives on another origin
}

function entriesOut(answer, session) {
  return {
    period: answer.period,
    players: answer.players,
    entries: answer.items.map((item) => ({
      rank: item.rank,
      score: item.score,
      formatted: formatScore(item.score, answer.board.format),
      name: item.name,
      avatarUrl: absolute(item.avatar_url),
      isMe: item.me,
    })),
  };
}

/** The launch's context changed (a share made one, a tournament began): the app's LaunchInfo follows. */
function enterContext(session, contextId) {
  if (session.context === contextId) return;
  session.context = contextId;
  session.deliverLaunch();
}

function standings(session, board, scope, limit) {
  const query = new URLSearchParams({ scope, limit: String(limit) });
  if (scope === "context") {
    if (!session.context) throw new BridgeError("NOT_FOUND", "the launch has no context: the person came in without a share");
    query.set("context", session.context);
  }
  return platform(session, "GET", `/leaderboards/${board}/entries?${query}`);
}

registerMethod("leaderboard.submit", {
  states: RUNNING,
  handler: async (params, session) => {
    const board = boardId(params);
    const { score } = params;
    if (typeof score !== "number" || !Number.isInteger(score) || Math.abs(score) > MAX_SAFE) {
      throw new BridgeError("INVALID_ARGUMENT", "score: a whole number");
    }
    const body = session.context ? { score, context: session.context } : { score };
    const done = await platform(session, "POST", `/leaderboards/${board}/scores`, body);
    return { best: done.best, improved: done.improved, rank: done.rank };
  },
});

registerMethod("leaderboard.getEntries", {
  states: RUNNING,
  handler: async (params, session) => {
    const board = boardId(params);
    if (!SCOPES.has(params.scope)) throw new BridgeError("INVALID_ARGUMENT", 'scope: "global", "around_me" or "context"');
    const { limit } = params;
    if (!Number.isInteger(limit) || limit < 1 || limit > 100) throw new BridgeError("INVALID_ARGUMENT", "limit: 1-100");
    return entriesOut(await standings(session, board, params.scope, limit), session);
  },
});

registerMethod("leaderboard.show", {
  states: RUNNING,
  handler: async (params, session) => {
    const board = boardId(params);
    session.checkMaySheet("leaderboard.show");
    const [top, mine] = await Promise.all([
      standings(session, board, session.context ? "context" : "global", 10).catch(() => standings(session, board, "global", 10)),
      standings(session, board, "around_me", 1),
    ]);
    session.checkMaySheet("leaderboard.show"); // the app may have left the screen meanwhile
    return new Promise((resolve, reject) => {
      const sheet = session.launcher.sheets.claim({ owner: session, onDismiss: () => resolve(null) });
      if (!sheet) {
        reject(new BridgeError("NOT_ALLOWED", "another host sheet is open"));
        return;
      }
      const row = (item) =>
        el(
          "li",
          { className: item.me ? "board-row is-me" : "board-row" },
          el("span", { className: "board-rank" }, String(item.rank)),
          el("img", { className: "avatar avatar-small", src: item.avatar_url, alt: "" }),
          el("span", { className: "board-name" }, item.name),
          el("span", { className: "board-score mono" }, formatScore(item.score, top.board.format))
        );
      const me = mine.items.find((item) => item.me);
      const body = el(
        "div",
        { className: "sheet-stack leaderboard-sheet" },
        el("p", { className: "sheet-note" }, `${session.card.name} · ${top.players} ${top.players === 1 ? "player" : "players"}`),
        top.items.length ? el("ol", { className: "board-list" }, top.items.map(row)) : el("p", { className: "sheet-note" }, "No scores yet."),
        me && !top.items.some((item) => item.me) ? el("ol", { className: "board-list board-mine" }, row(me)) : null
      );
      sheet.show({ title: `Leaderboard: ${params.board}`, body });
    });
  },
});

registerMethod("context.get", {
  states: RUNNING,
  handler: async (params, session) => {
    if (!session.context) return null;
    const found = await platform(session, "GET", `/contexts/${encodeURIComponent(session.context)}`);
    const context = { id: found.id, type: found.type, membersCount: found.members };
    return found.type === "tournament" ? { ...context, board: found.board, endsAt: found.ends_at } : context;
  },
});

registerMethod("context.switchTo", {
  states: RUNNING,
  handler: async (params, session) => {
    if (typeof params.id !== "string" || !/^[0-9a-f]{20}$/.test(params.id)) {
      throw new BridgeError("INVALID_ARGUMENT", "id: a context id (from context.get or a launch)");
    }
    // The platform answers only for a context of this app that the person is in (NO_SUCH_CONTEXT,
    // 404, otherwise): a game cannot move anyone into a group they never joined through its link.
    const found = await platform(session, "GET", `/contexts/${encodeURIComponent(params.id)}`);
    enterContext(session, found.id);
    const context = { id: found.id, type: found.type, membersCount: found.members };
    return found.type === "tournament" ? { ...context, board: found.board, endsAt: found.ends_at } : context;
  },
});

registerMethod("context.getMembers", {
  states: RUNNING,
  handler: async (params, session) => {
    if (!session.context) return [];
    const { items } = await platform(session, "GET", `/contexts/${encodeURIComponent(session.context)}/members`);
    return items.map((item) => ({ name: item.name, avatarUrl: absolute(item.avatar_url) }));
  },
});

registerMethod("tournament.create", {
  states: RUNNING,
  handler: async (params, session) => {
    boardId(params);
    const ends = typeof params.endsAt === "string" ? new Date(params.endsAt) : new Date(NaN);
    if (Number.isNaN(ends.getTime())) throw new BridgeError("INVALID_ARGUMENT", "endsAt: an ISO 8601 time");
    const made = await platform(session, "POST", "/tournaments", { board: params.board, ends_at: ends.toISOString() });
    enterContext(session, made.id);
    return { id: made.id, board: made.board, endsAt: made.ends_at };
  },
});

/** The host's share sheet (share-sheet.js) for a link made already; resolves when it closes. */
async function showShare(session, made, title) {
  const qrUrl = `/api/apps/${encodeURIComponent(session.appId)}/shares/${made.token}/qr.svg`;
  const sheet = await new ShareSheet({
    sheets: session.launcher.sheets,
    api: session.api,
    target: null,
    title: session.card.name,
    made: { url: made.url, qrUrl, text: title },
    owner: session,
  }).open();
  if (!sheet) throw new BridgeError("NOT_ALLOWED", "another host sheet is open");
  if (!sheet.signal.aborted) await new Promise((resolve) => sheet.signal.addEventListener("abort", resolve, { once: true }));
  return null;
}

async function share(session, { title, image, query }) {
  session.checkMaySheet("share");
  const body = { title, query };
  if (image !== undefined) body.image = image;
  if (session.context) body.context = session.context;
  const made = await platform(session, "POST", "/shares", body);
  enterContext(session, made.context); // a share made outside any context starts one
  session.checkMaySheet("share"); // the app may have left the screen meanwhile
  return showShare(session, made, title);
}

registerMethod("share", {
  states: RUNNING,
  handler: (params, session) => {
    if (typeof params.title !== "string" || !params.title.trim() || params.title.length > 120) {
      throw new BridgeError("INVALID_ARGUMENT", "title: 1-120 characters");
    }
    if (params.image !== undefined && (typeof params.image !== "string" || params.image.length > 200)) {
      throw new BridgeError("INVALID_ARGUMENT", "image: a picture file of your package");
    }
    return share(session, { title: params.title, image: params.image, query: checkQuery(params.query) });
  },
});

registerMethod("tournament.share", {
  states: RUNNING,
  handler: async (params, session) => {
    if (!session.context) throw new BridgeError("NOT_ALLOWED", "tournament.share: create or join a tournament first");
    const found = await platform(session, "GET", `/contexts/${encodeURIComponent(session.context)}`);
    if (found.type !== "tournament") throw new BridgeError("NOT_ALLOWED", "tournament.share: the launch's context is no tournament");
    const title = typeof params.title === "string" && params.title.trim() ? params.title.slice(0, 120) : `Join my ${session.card.name} tournament`;
    return share(session, { title, image: undefined, query: checkQuery(params.query) });
  },
});

registerMethod("gameplay.start", {
  states: RUNNING,
  handler: (params, session) => session.startGameplay(),
});

registerMethod("gameplay.stop", {
  states: RUNNING,
  handler: (params, session) => session.stopGameplay(),
});

registerMethod("vibrate", {
  states: RUNNING,
  handler: (params, session) => {
    const { pattern } = params;
    if (!Array.isArray(pattern) || pattern.length < 1 || pattern.length > 10 || !pattern.every((ms) => Number.isInteger(ms) && ms >= 0 && ms <= 1000)) {
      throw new BridgeError("INVALID_ARGUMENT", "pattern: at most 10 durations of 0-1000 ms");
    }
    if (!session.opened || !session.visible) throw new BridgeError("NOT_ALLOWED", "vibrate: only the app on screen");
    return { vibrated: typeof navigator.vibrate === "function" && navigator.vibrate(pattern) };
  },
});

// The clipboard only right after a tap or key in the app (bridge.js: afterTapInApp).
registerMethod("setClipboardData", {
  states: RUNNING,
  handler: async (params, session, call) => {
    if (typeof params.text !== "string" || params.text.length > 10000) {
      throw new BridgeError("INVALID_ARGUMENT", "text: a string of at most 10000 characters");
    }
    if (!session.opened || !afterTapInApp(params, call, session)) {
      throw new BridgeError("NOT_ALLOWED", "setClipboardData: only right after a tap or key in the app");
    }
    try {
      await navigator.clipboard.writeText(params.text);
    } catch (error) {
      throw new BridgeError("NOT_ALLOWED", `the browser refused the clipboard: ${error?.message ?? error}`);
    }
  },
});

registerMethod("setOrientation", {
  states: RUNNING,
  handler: (params, session) => {
    if (params.orientation !== "portrait" && params.orientation !== "landscape") {
      throw new BridgeError("INVALID_ARGUMENT", 'orientation: "portrait" or "landscape"');
    }
    session.iframe.classList.toggle("is-landscape", params.orientation === "landscape");
  },
});

registerMethod("openApp", {
  states: RUNNING,
  handler: async (params, session) => {
    if (typeof params.appId !== "string" || !APP_ID.test(params.appId) || params.appId === session.appId) {
      throw new BridgeError("INVALID_ARGUMENT", "appId: another mini-program's id");
    }
    const query = checkQuery(params.query);
    session.checkMaySheet("openApp");
    const card = await session.api.request("GET", `/api/apps/${encodeURIComponent(params.appId)}/card`).catch((error) => {
      throw error instanceof ApiError && error.status === 404 ? new BridgeError("NOT_FOUND", "no such mini-program") : error;
    });
    session.checkMaySheet("openApp"); // the app may have left the screen meanwhile
    await new Promise((resolve, reject) => {
      const sheet = session.launcher.sheets.claim({
        owner: session,
        onDismiss: () => reject(new BridgeError("USER_CANCELLED", "the person did not open the other app")),
      });
      if (!sheet) {
        reject(new BridgeError("NOT_ALLOWED", "another host sheet is open"));
        return;
      }
      const cancel = el("button", { type: "button", className: "button-secondary" }, "Cancel");
      const open = armLater(el("button", { type: "button", className: "button-primary" }, "Open"));
      cancel.addEventListener("click", () => sheet.dismiss());
      open.addEventListener("click", () => {
        sheet.close();
        resolve(null);
      });
      const body = el(
        "div",
        { className: "sheet-stack consent" },
        el("div", { className: "consent-apps" }, appIcon(session.card, "medium"), appIcon(card, "medium")),
        el("p", { className: "consent-question" }, `${session.card.name} wants to open ${card.name}`),
        el("div", { className: "sheet-actions" }, cancel, open)
      );
      sheet.show({ title: `Open ${card.name}?`, body });
    });
    // The answer reaches the app before its frame goes; the other app opens once this one closed.
    const { launcher } = session;
    setTimeout(() => {
      launcher.close(session);
      launcher.launch(card, "other_app", performance.now(), { referrer: session.appId, query });
    }, 0);
  },
});
