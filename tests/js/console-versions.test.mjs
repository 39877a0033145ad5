// How a version's history names who did each step (console-versions.js actorName).
import assert from "node:assert/strict";
import { test } from "node:test";

import { actorName } from "../../src/openminis/web/static/console-versions.js";

test("a developer is named by their studio's name, not their id", () => {
  assert.equal(actorName("developer:dev_abc123 Studio One"), "Studio One");
  assert.equal(actorName("developer:dev_abc123"), "a developer");
});

test("a staff member's role is said once, as the platform recorded it", () => {
  // A probe (dev51): "reviewer51@example.com (reviewer) (reviewer)".
  assert.equal(actorName("staff:ann@example.com (reviewer)"), "ann@example.com (reviewer)");
  assert.equal(actorName("staff:ann@example.com (admin)"), "ann@example.com (admin)");
  assert.equal(actorName("staff:ann@example.com"), "ann@example.com (reviewer)"); // recorded before roles were
});

test("the operator's automation is named as recorded", () => {
  assert.equal(actorName("operator (admin token)"), "operator (admin token)");
});
