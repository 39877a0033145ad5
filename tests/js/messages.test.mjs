// minis.requestSubscribeMessage's bridge method (bridge-messages.js): registered for a running app
// only, and what a frame sends is checked before any sheet: the ids, and the gesture (a frame's
// own claim of one is not enough). Runs under node.
import assert from "node:assert/strict";
import { test } from "node:test";

import { BridgeError, registeredMethods } from "../../src/openminis/web/static/bridge.js";
import { templateIds } from "../../src/openminis/web/static/bridge-messages.js";

const method = registeredMethods().get("requestSubscribeMessage");

function session() {
  return {
    appId: "app1",
    opened: true,
    visible: true,
    sheetsAsked: [],
    checkMaySheet(name) {
      this.sheetsAsked.push(name);
      throw new BridgeError("NOT_ALLOWED", "test: no sheet now");
    },
  };
}

async function refusal(params, who = session()) {
  try {
    await method.handler(params, who);
  } catch (error) {
    assert.ok(error instanceof BridgeError, `threw ${error}`);
    return error.code;
  }
  assert.fail(`${JSON.stringify(params)} did not refuse`);
}

test("requestSubscribeMessage is registered for a running app only", () => {
  assert.deepEqual([...method.states], ["initialized", "ready"]);
});

test("the template ids are 1-10 of a template's id pattern, each asked once", async () => {
  assert.deepEqual(templateIds({ templateIds: ["turn", "turn", "news"] }), ["turn", "news"]);
  for (const ids of [[], ["bad id"], [7], "turn", Array.from({ length: 11 }, (_, i) => `t${i}`), undefined]) {
    assert.equal(await refusal({ templateIds: ids, activated: true }), "INVALID_ARGUMENT", JSON.stringify(ids));
  }
});

test("without a gesture the host refuses before any sheet, whatever the frame claims", async () => {
  const who = session();
  assert.equal(await refusal({ templateIds: ["turn"] }, who), "NOT_ALLOWED");
  // Node has no user activation: the host's own check refuses a frame that claims one.
  assert.equal(await refusal({ templateIds: ["turn"], activated: true }, who), "NOT_ALLOWED");
  assert.deepEqual(who.sheetsAsked, []);
});
