// What the paywall says of the whole series beside the episodes still locked (paywall-sheet.js).
import assert from "node:assert/strict";
import { test } from "node:test";

import { seriesNote } from "../../src/openminis/web/static/paywall-sheet.js";

test("the series says what it saves against the episodes still locked", () => {
  assert.equal(seriesNote(7, 30, 200), "Save 10 coins");
});

test("after some unlocks the series says what the rest cost one by one, not nothing", () => {
  // A probe (player52): six locked episodes of 30 beside a series of 200; the sheet fell silent.
  assert.equal(seriesNote(6, 30, 200), "The 6 episodes still locked: 180 coins one by one");
  assert.equal(seriesNote(1, 30, 200), "The 1 episode still locked: 30 coins one by one");
});

test("a series priced as its locked episodes is simply the whole series", () => {
  assert.equal(seriesNote(5, 40, 200), "The whole series, for good");
});
