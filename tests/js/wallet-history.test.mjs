// How the wallet history names each movement of coins (wallet-history.js).
import assert from "node:assert/strict";
import { test } from "node:test";

import { movementLabel } from "../../src/openminis/web/static/wallet-history.js";

test("a drama unlock says what it bought: an episode, or the whole series", () => {
  // A probe (player52): a series bought for 200 coins read "Episode unlock".
  assert.equal(movementLabel({ kind: "drama_unlock", what: "series" }), "Whole series");
  assert.equal(movementLabel({ kind: "drama_unlock", what: "episode 4" }), "Episode 4 unlock");
  assert.equal(movementLabel({ kind: "drama_unlock", what: null }), "Episode unlock"); // recorded before
});

test("other movements keep their names, and an unknown kind shows as it is", () => {
  assert.equal(movementLabel({ kind: "topup" }), "Top-up");
  assert.equal(movementLabel({ kind: "something_new" }), "something_new");
});
