// What deleting an account says of the coins it loses (my-data.js).
import assert from "node:assert/strict";
import { test } from "node:test";

import { lostCoins } from "../../src/openminis/web/static/my-data.js";

test("the coins a deletion loses are said by number", () => {
  // A probe (player52): 940 coins went with "Coins left in your wallet are lost".
  assert.equal(lostCoins(940), "The 940 coins in your wallet are lost.");
  assert.equal(lostCoins(1), "The 1 coin in your wallet is lost.");
  assert.equal(lostCoins(0), "Your wallet is empty.");
  assert.equal(lostCoins(null), "Coins left in your wallet are lost."); // the balance not known yet
});
