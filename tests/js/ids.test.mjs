// The host's random ids (ids.js): hex of the length asked, a new one each time.
import assert from "node:assert/strict";
import { test } from "node:test";

import { randomHex } from "../../src/openminis/web/static/ids.js";

test("randomHex gives two lowercase hex characters a byte, different each time", () => {
  const ids = new Set(Array.from({ length: 100 }, () => randomHex(12)));
  assert.equal(ids.size, 100);
  for (const id of ids) assert.match(id, /^[0-9a-f]{24}$/);
  assert.match(randomHex(16), /^[0-9a-f]{32}$/);
});
