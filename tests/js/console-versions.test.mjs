// How a version's history names who did each step (console-versions.js actorName).
import assert from "node:assert/strict";
import { test } from "node:test";

import { actorName, checking, whyNotSubmitted } from "../../src/openminis/web/static/console-versions.js";

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

test("a version is submitted once its checks passed; until then the console says what keeps it", () => {
  const running = { state: "uploaded", check_report: null, may_check_again: false };
  assert.equal(checking(running), true);
  assert.equal(whyNotSubmitted(running), "The checks are still running.");
  // Checks that gave up leave the version uploaded, with no report: the platform takes a Check
  // again, and the console stops waiting for a report that will not come.
  const stopped = { ...running, may_check_again: true };
  assert.equal(checking(stopped), false);
  assert.equal(whyNotSubmitted(stopped), "The checks stopped without a report: check again.");
  const failed = { state: "checked", check_report: { passed: false }, may_check_again: true };
  assert.equal(whyNotSubmitted(failed), "The checks failed: fix what the report lists and upload again.");
  assert.equal(whyNotSubmitted({ ...failed, check_report: { passed: true } }), null);
});
