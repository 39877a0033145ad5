// The social bridge methods (bridge-social.js): their table, how a board writes its scores, which
// ask for a host sheet first, and how they check what a frame sends. Runs under node.
import assert from "node:assert/strict";
import { test } from "node:test";

import { BridgeError, registeredMethods } from "../../src/openminis/web/static/bridge.js";
import "../../src/openminis/web/static/bridge-ads.js";
import { formatScore } from "../../src/openminis/web/static/bridge-social.js";

const methods = registeredMethods();
const SOCIAL = [
  "context.get",
  "context.getMembers",
  "context.switchTo",
  "gameplay.start",
  "gameplay.stop",
  "leaderboard.getEntries",
  "leaderboard.show",
  "leaderboard.submit",
  "openApp",
  "setClipboardData",
  "setOrientation",
  "share",
  "tournament.create",
  "tournament.share",
  "vibrate",
];

function session() {
  return {
    appId: "app1",
    opened: true,
    visible: true,
    context: null,
    sheetsAsked: [],
    checkMaySheet(method) {
      this.sheetsAsked.push(method);
      throw new BridgeError("NOT_ALLOWED", "test: no sheet now");
    },
  };
}

async function refusal(name, params, who = session()) {
  try {
    await methods.get(name).handler(params, who);
  } catch (error) {
    assert.ok(error instanceof BridgeError, `${name} threw ${error}`);
    return error.code;
  }
  assert.fail(`${name}(${JSON.stringify(params)}) did not refuse`);
}

test("the social methods are registered for a running app only", () => {
  for (const name of SOCIAL) {
    assert.ok(methods.has(name), name);
    assert.deepEqual([...methods.get(name).states], ["initialized", "ready"], name);
  }
});

test("a board writes its scores in its format", () => {
  assert.equal(formatScore(61234, "time_ms"), "1:01.234");
  assert.equal(formatScore(-5, "time_ms"), "-0:00.005");
  assert.equal(formatScore(1250, "decimal2"), "12.50");
  assert.equal(formatScore(-7, "decimal2"), "-0.07");
  assert.equal(formatScore(1200, "integer"), "1200");
});

test("share, the board sheet and openApp ask for a host sheet before anything else", async () => {
  const who = session();
  assert.equal(await refusal("share", { title: "Hi", query: {} }, who), "NOT_ALLOWED");
  assert.equal(await refusal("leaderboard.show", { board: "stars" }, who), "NOT_ALLOWED");
  assert.equal(await refusal("openApp", { appId: "other-app", query: {} }, who), "NOT_ALLOWED");
  assert.deepEqual(who.sheetsAsked, ["share", "leaderboard.show", "openApp"]);
});

test("what a frame sends is checked", async () => {
  assert.equal(await refusal("leaderboard.submit", { board: "stars", score: "9" }), "INVALID_ARGUMENT");
  assert.equal(await refusal("leaderboard.getEntries", { board: "stars", scope: "all", limit: 5 }), "INVALID_ARGUMENT");
  assert.equal(await refusal("share", { title: "x", query: { n: 1 } }), "INVALID_ARGUMENT");
  assert.equal(await refusal("share", { title: "x", query: Object.create(null) }), "INVALID_ARGUMENT");
  assert.equal(await refusal("vibrate", { pattern: [] }), "INVALID_ARGUMENT");
  assert.equal(await refusal("setClipboardData", { text: "x" }), "NOT_ALLOWED");
  assert.equal(await refusal("tournament.share", {}), "NOT_ALLOWED");
  assert.equal(await refusal("leaderboard.getEntries", { board: "stars", scope: "context", limit: 5 }), "NOT_FOUND");
});

test("no interstitial shows during gameplay; a rewarded ad the person chose still may", async () => {
  const loaded = (format) => new Map([["ad1", { ad_id: "ad1", format, loadedAt: Date.now() }]]);
  const playing = (format) => ({
    ...session(),
    gameplayAt: 1,
    loadedAds: loaded(format),
    checkMaySheet() {},
    launcher: { ads: { isPlaying: true } },
  });
  let refused = null;
  try {
    await methods.get("ads.show").handler({ adId: "ad1" }, playing("interstitial"));
  } catch (error) {
    refused = error;
  }
  assert.ok(refused instanceof BridgeError && /during gameplay/.test(refused.message), String(refused));
  // The rewarded ad passes the gameplay check and reaches the player (busy here: another ad).
  await assert.rejects(methods.get("ads.show").handler({ adId: "ad1" }, playing("rewarded")), /another ad is playing/);
});
