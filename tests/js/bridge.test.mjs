// The host's bridge (bridge.js) and its method table (bridge-*.js): which methods exist, in which
// states, which ask the person first (a host sheet: consent, payment, an ad), how arguments are
// checked, and how Bridge answers a frame. Runs under node: the modules touch no DOM at import,
// and the handlers get a fake session that records what they asked of it.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";

import { ApiError } from "../../src/openminis/web/static/api.js";
import { Bridge, BridgeError, bridgeCounters, registeredMethods } from "../../src/openminis/web/static/bridge.js";
import { compatUse } from "../../src/openminis/web/static/bridge-methods.js";
import "../../src/openminis/web/static/bridge-identity.js";
import "../../src/openminis/web/static/bridge-payments.js";
import "../../src/openminis/web/static/bridge-drama.js";
import "../../src/openminis/web/static/bridge-ads.js";
import { localTitle, payRequest } from "../../src/openminis/web/static/pay-sheet.js";

const methods = registeredMethods();
const RUNNING = ["initialized", "ready"];

const SHEET_REFUSED = "test: the host may not show a sheet now";

/** A session whose every sheet is refused, which records the API calls handlers make. */
function fakeSession(overrides = {}) {
  const calls = [];
  const api = new Proxy(
    {},
    {
      get: (target, name) =>
        (...args) => {
          calls.push([name, ...args]);
          return Promise.resolve(overrides.answers?.[name] ?? { items: [] });
        },
    }
  );
  return {
    calls,
    sheetsAsked: [],
    appId: "app1",
    opened: true,
    api,
    checkMaySheet(method) {
      this.sheetsAsked.push(method);
      throw new BridgeError("NOT_ALLOWED", SHEET_REFUSED);
    },
    ...overrides,
  };
}

async function call(name, params, session = fakeSession()) {
  return methods.get(name).handler(params, session);
}

async function refusal(name, params, session = fakeSession()) {
  try {
    await call(name, params, session);
  } catch (error) {
    assert.ok(error instanceof BridgeError, `${name} threw ${error}`);
    return error;
  }
  assert.fail(`${name}(${JSON.stringify(params)}) did not refuse`);
}

test("the table has exactly the methods of docs/sdk-protocol.md", () => {
  assert.deepEqual([...methods.keys()].sort(), [
    "ads.load",
    "ads.show",
    "compat.used",
    "drama.getEntitlements",
    "drama.getEpisodes",
    "drama.getPlaybackUrl",
    "drama.getSeries",
    "drama.unlock",
    "exit",
    "getCoupons",
    "getProducts",
    "getPurchases",
    "getSystemInfo",
    "getUserProfile",
    "init",
    "keys.escape",
    "lifecycle.hidden",
    "lifecycle.shown",
    "login",
    "pay",
    "ready",
    "setLoadingProgress",
    "storage.get",
    "storage.remove",
    "storage.set",
  ]);
});

test("every method the SDK sends is one the host answers", () => {
  const sdk = readFileSync(new URL("../../src/openminis/sdk/minis-sdk.js", import.meta.url), "utf8");
  const sent = new Set([...sdk.matchAll(/send\("([A-Za-z.]+)"/g)].map((match) => match[1]));
  for (const match of sdk.matchAll(/dramaCall\("([A-Za-z]+)"/g)) sent.add(`drama.${match[1]}`);
  sent.delete("drama."); // dramaCall's own send("drama." + method)
  assert.ok(sent.size >= 16, `found ${sent.size} methods in the SDK`);
  for (const name of sent) assert.ok(methods.has(name), `the SDK sends ${name}, which the host lacks`);
});

test("states: init, progress and Escape while loading, the rest once initialized; init and ready move the app on", () => {
  assert.deepEqual(methods.get("init").states, ["loading", ...RUNNING]);
  assert.equal(methods.get("init").enters, "initialized");
  assert.deepEqual(methods.get("setLoadingProgress").states, ["loading", "initialized"]);
  assert.deepEqual(methods.get("ready").states, RUNNING);
  assert.equal(methods.get("ready").enters, "ready");
  // A person must be able to leave an app that never got as far as init.
  assert.deepEqual(methods.get("keys.escape").states, ["loading", ...RUNNING]);
  // A game may call its platform's API before it starts the SDK.
  assert.deepEqual(methods.get("compat.used").states, ["loading", ...RUNNING]);
  for (const [name, method] of methods) {
    if (["init", "setLoadingProgress", "keys.escape", "compat.used"].includes(name)) continue;
    assert.deepEqual(method.states, RUNNING, name);
    if (name !== "ready") assert.equal(method.enters, undefined, name);
  }
});

test("the methods that ask the person check first that the app may show a sheet", async () => {
  const asks = {
    getUserProfile: {}, // consent
    pay: { productId: "gems_100" }, // payment
    "drama.unlock": { seriesId: "s1", number: 3, method: "coins" }, // a paywall
  };
  for (const [name, params] of Object.entries(asks)) {
    const session = fakeSession();
    const error = await refusal(name, params, session);
    assert.equal(error.code, "NOT_ALLOWED", name);
    assert.equal(error.message, SHEET_REFUSED, name);
    assert.deepEqual(session.sheetsAsked, [name]);
    assert.deepEqual(session.calls, [], `${name} charged or asked the platform before the sheet`);
  }
  // An ad is drawn like a sheet too, once there is a loaded ad to show.
  const session = fakeSession({ loadedAds: new Map([["ad1", { ad_id: "ad1", loadedAt: Date.now() }]]) });
  assert.equal((await refusal("ads.show", { adId: "ad1" }, session)).message, SHEET_REFUSED);
  assert.deepEqual(session.sheetsAsked, ["ads.show"]);
});

test("the silent methods never ask for a sheet", async () => {
  const silent = {
    login: {},
    getProducts: {},
    getPurchases: {},
    getCoupons: { productId: "gem" },
    "storage.get": { key: "save" },
    "storage.remove": { key: "save" },
    "storage.set": { key: "save", value: { level: 3 } },
    "drama.getSeries": {},
  };
  for (const [name, params] of Object.entries(silent)) {
    const session = fakeSession({ answers: { loginCode: { code: "c1" }, storageGet: null } });
    await call(name, params, session);
    assert.deepEqual(session.sheetsAsked, [], name);
    assert.ok(session.calls.length > 0, `${name} asked the platform nothing`);
  }
});

test("getCoupons asks for this app's coupons only, and checks the product id first", async () => {
  const session = fakeSession();
  await call("getCoupons", { productId: "gem" }, session);
  assert.deepEqual(session.calls, [["coupons", "app1", { productId: "gem" }]]);
  for (const productId of [7, "", "a b", "x".repeat(65), null]) {
    const refused = fakeSession();
    assert.equal((await refusal("getCoupons", { productId }, refused)).code, "INVALID_ARGUMENT");
    assert.deepEqual(refused.calls, []);
  }
});

test("storage keys and values are checked before the platform hears of them", async () => {
  for (const key of [undefined, 7, "", "a b", "x".repeat(129), "ключ"]) {
    const session = fakeSession();
    assert.equal((await refusal("storage.get", { key }, session)).code, "INVALID_ARGUMENT");
    assert.equal((await refusal("storage.set", { key, value: 1 }, session)).code, "INVALID_ARGUMENT");
    assert.equal((await refusal("storage.remove", { key }, session)).code, "INVALID_ARGUMENT");
    assert.deepEqual(session.calls, []);
  }
  for (const value of [undefined, NaN, Infinity, new Date(0), new Map(), [1, undefined], { a: () => 1 }]) {
    assert.equal((await refusal("storage.set", { key: "k", value })).code, "INVALID_ARGUMENT");
  }
  assert.equal((await refusal("storage.set", { key: "k" })).code, "INVALID_ARGUMENT", "no value at all");
  const session = fakeSession();
  await call("storage.set", { key: "save.slot-1:a_b", value: { list: [1, "two", null, true], nested: { x: 1.5 } } }, session);
  assert.deepEqual(session.calls, [["storageSet", "app1", "save.slot-1:a_b", { list: [1, "two", null, true], nested: { x: 1.5 } }]]);
});

test("setLoadingProgress takes a number from 0 to 100", async () => {
  const shown = [];
  const session = fakeSession({ showProgress: (percent) => shown.push(percent) });
  for (const percent of [0, 42.5, 100]) await call("setLoadingProgress", { percent }, session);
  assert.deepEqual(shown, [0, 42.5, 100]);
  for (const percent of [-1, 101, NaN, "50", undefined]) {
    assert.equal((await refusal("setLoadingProgress", { percent }, session)).code, "INVALID_ARGUMENT");
  }
});

test("pay requests: a product with quantity and payload, or an order, nothing else", () => {
  assert.deepEqual(payRequest({ productId: "gems_100" }), { productId: "gems_100", quantity: 1, payload: "" });
  assert.deepEqual(payRequest({ productId: "a.b-c_1", quantity: 99, payload: "p" }), { productId: "a.b-c_1", quantity: 99, payload: "p" });
  assert.deepEqual(payRequest({ orderId: "ord_1" }), { orderId: "ord_1" });
  const bad = [
    {},
    { productId: "" },
    { productId: "a b" },
    { productId: "x".repeat(65) },
    { productId: "p", quantity: 0 },
    { productId: "p", quantity: 100 },
    { productId: "p", quantity: 1.5 },
    { productId: "p", quantity: "2" },
    { productId: "p", payload: 5 },
    { productId: "p", payload: "x".repeat(1025) },
    { orderId: "" },
    { orderId: "o/1" },
    { orderId: "o1", productId: "p" },
  ];
  for (const params of bad) {
    assert.throws(() => payRequest(params), (error) => error instanceof BridgeError && error.code === "INVALID_ARGUMENT", JSON.stringify(params));
  }
});

test("product titles follow the host's language", () => {
  const titles = { en: "Gems", "pt-BR": "Gemas (BR)", pt: "Gemas", fr: "Gemmes" };
  assert.equal(localTitle(titles, "pt-BR"), "Gemas (BR)");
  assert.equal(localTitle(titles, "pt-PT"), "Gemas");
  assert.equal(localTitle(titles, "FR-ca"), "Gemmes");
  assert.equal(localTitle(titles, "de"), "Gems");
  assert.equal(localTitle({ ja: "宝石" }, "de"), "宝石");
  assert.equal(localTitle({}, "en"), "");
  assert.equal(localTitle(null, "en"), "");
});

test("drama and ad arguments are checked", async () => {
  for (const params of [{}, { seriesId: "" }, { seriesId: "s/1" }, { seriesId: "x".repeat(33) }]) {
    assert.equal((await refusal("drama.getEpisodes", params)).code, "INVALID_ARGUMENT");
    assert.equal((await refusal("drama.getEntitlements", params)).code, "INVALID_ARGUMENT");
  }
  for (const number of [0, 10001, 1.5, "2", undefined]) {
    assert.equal((await refusal("drama.getPlaybackUrl", { seriesId: "s1", number })).code, "INVALID_ARGUMENT");
    assert.equal((await refusal("drama.unlock", { seriesId: "s1", number, method: "coins" })).code, "INVALID_ARGUMENT");
  }
  assert.equal((await refusal("drama.unlock", { seriesId: "s1", number: 1, method: "series" })).code, "INVALID_ARGUMENT");
  assert.equal((await refusal("ads.load", { unitId: "au 1", format: "rewarded" })).code, "INVALID_ARGUMENT");
  assert.equal((await refusal("ads.load", { unitId: "au_1", format: "banner" })).code, "INVALID_ARGUMENT");
  assert.equal((await refusal("ads.load", { unitId: "au_1", format: "rewarded" }, fakeSession({ opened: false }))).code, "NOT_ALLOWED");
  assert.equal((await refusal("ads.show", { adId: "never-loaded" })).code, "NOT_READY");
  assert.equal((await refusal("login", {}, fakeSession({ opened: false }))).code, "NOT_ALLOWED");
});

/** A Bridge on a fake frame; `posted` collects what it answered. The page's listener is a no-op. */
function fakeBridge(session) {
  globalThis.addEventListener ??= () => {};
  globalThis.removeEventListener ??= () => {};
  const posted = [];
  const frame = { postMessage: (message, origin) => posted.push({ message, origin }) };
  const bridge = new Bridge({ contentWindow: frame }, "http://app1.apps.localhost", session);
  return { bridge, frame, posted };
}

test("Bridge answers by state: NOT_INITIALIZED, then init, ready, and never backwards", async () => {
  const session = fakeSession({ init: () => ({ appId: "app1" }), markReady: () => {} });
  const { bridge, posted } = fakeBridge(session);
  await bridge.dispatch(1, "ready", {});
  assert.deepEqual(posted.at(-1).message.error.code, "NOT_INITIALIZED");
  assert.equal(posted.at(-1).origin, "http://app1.apps.localhost");
  await bridge.dispatch(2, "init", {});
  assert.deepEqual(posted.at(-1).message, { __minis: 1, type: "response", id: 2, ok: true, result: { appId: "app1" } });
  assert.equal(bridge.state, "initialized");
  await bridge.dispatch(3, "ready", {});
  assert.deepEqual(posted.at(-1).message, { __minis: 1, type: "response", id: 3, ok: true, result: null });
  assert.equal(bridge.state, "ready");
  await bridge.dispatch(4, "init", {});
  assert.equal(bridge.state, "ready", "a second init must not take a ready app back");
  await bridge.dispatch(5, "setLoadingProgress", { percent: 5 });
  assert.equal(posted.at(-1).message.error.code, "NOT_ALLOWED");
  await bridge.dispatch(6, "no.such", {});
  assert.equal(posted.at(-1).message.error.code, "UNKNOWN_METHOD");
  bridge.close();
  await bridge.dispatch(7, "getSystemInfo", {});
  assert.equal(posted.length, 6, "a closed bridge posts nothing");
});

test("Bridge passes the app's error codes through and hides everything else as INTERNAL", async () => {
  const failures = [
    [new BridgeError("USER_DENIED", "no"), { code: "USER_DENIED", message: "no" }],
    [new ApiError(402, "INSUFFICIENT_FUNDS", "short"), { code: "INSUFFICIENT_FUNDS", message: "short" }],
    [new ApiError(500, "DATABASE_DOWN", "secret detail"), { code: "INTERNAL", message: "the host could not complete the request" }],
    [new TypeError("bug"), { code: "INTERNAL", message: "the host could not complete the request" }],
  ];
  const logged = console.error;
  console.error = () => {};
  try {
    for (const [thrown, expected] of failures) {
      const session = fakeSession({ init: () => ({}), systemInfo: () => Promise.reject(thrown) });
      const { bridge, posted } = fakeBridge(session);
      await bridge.dispatch(1, "init", {});
      await bridge.dispatch(2, "getSystemInfo", {});
      assert.deepEqual(posted.at(-1).message, { __minis: 1, type: "response", id: 2, ok: false, error: expected });
    }
  } finally {
    console.error = logged;
  }
});

test("Bridge drops what is not a request from its own frame and origin", async () => {
  const session = fakeSession({ appId: "app-drops", init: () => ({}) });
  const { bridge, frame, posted } = fakeBridge(session);
  const origin = "http://app1.apps.localhost";
  const before = { ...bridgeCounters };
  bridge.onMessage({ source: {}, origin, data: { __minis: 1, type: "request", id: 1, method: "init" } });
  bridge.onMessage({ source: frame, origin: "http://evil.localhost", data: { __minis: 1, type: "request", id: 1, method: "init" } });
  assert.deepEqual(bridgeCounters, before, "other frames' messages are not counted");
  for (const data of [null, "init", { __minis: 2, type: "request", id: 1, method: "init" }, { __minis: 1, type: "request", id: 0, method: "init" }, { __minis: 1, type: "request", id: 1, method: "init", params: [] }]) {
    bridge.onMessage({ source: frame, origin, data });
  }
  assert.equal(bridgeCounters.dropped - before.dropped, 5);
  bridge.onMessage({ source: frame, origin, data: { __minis: 1, type: "request", id: 9, method: "init" } });
  await new Promise((resolve) => setTimeout(resolve));
  assert.equal(bridgeCounters.requests - before.requests, 1);
  assert.deepEqual(posted.at(-1).message, { __minis: 1, type: "response", id: 9, ok: true, result: {} });
});

test("compat.used names an API of at most 100 characters of A-Z a-z 0-9 _ . and a level, partly or not", async () => {
  assert.equal(await call("compat.used", { api: "FBInstant.matchPlayerAsync", level: "not" }), undefined);
  assert.deepEqual(compatUse({ api: "CrazyGames.SDK.user.getUser", level: "partly" }), {
    api: "CrazyGames.SDK.user.getUser",
    level: "partly",
  });
  const refused = [
    {},
    { api: "FBInstant.matchPlayerAsync" },
    { api: "FBInstant.matchPlayerAsync", level: "supported" },
    { api: "", level: "not" },
    { api: "a".repeat(101), level: "not" },
    { api: "<img src=x onerror=alert(1)>", level: "not" },
    { api: "wx.request ", level: "partly" },
    { api: ["wx"], level: "partly" },
  ];
  for (const params of refused) {
    assert.equal((await refusal("compat.used", params)).code, "INVALID_ARGUMENT", JSON.stringify(params));
  }
  assert.equal(await call("compat.used", { api: "a".repeat(100), level: "partly" }), undefined);
});
