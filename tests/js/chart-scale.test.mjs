// chart-scale.js: the console line chart's axis top and its data-to-SVG scales.
import assert from "node:assert/strict";
import { test } from "node:test";

import { HEIGHT, PAD, WIDTH, lineScales, niceCeiling } from "../../src/openminis/web/static/chart-scale.js";

test("the axis top is 1, 2 or 5 times a power of ten, at least the value", () => {
  const cases = [
    [-5, 1],
    [0, 1],
    [0.3, 0.5],
    [1, 1],
    [1.5, 2],
    [2, 2],
    [3, 5],
    [7, 10],
    [10, 10],
    [11, 20],
    [99, 100],
    [101, 200],
    [450, 500],
    [501, 1000],
    [12345, 20000],
  ];
  for (const [value, top] of cases) assert.equal(niceCeiling(value), top, `niceCeiling(${value})`);
});

test("x spreads the points from the left pad to the right pad", () => {
  const { x } = lineScales(5, 10);
  assert.equal(x(0), PAD.left);
  assert.equal(x(4), WIDTH - PAD.right);
  assert.equal(x(2), (PAD.left + WIDTH - PAD.right) / 2);
  assert.ok(x(1) < x(2) && x(2) < x(3));
});

test("a lone point sits in the middle of the plot", () => {
  const { x } = lineScales(1, 10);
  assert.equal(x(0), PAD.left + (WIDTH - PAD.left - PAD.right) / 2);
});

test("y puts zero on the plot's bottom and the top value on its top", () => {
  const { y } = lineScales(3, 200);
  assert.equal(y(0), HEIGHT - PAD.bottom);
  assert.equal(y(200), PAD.top);
  assert.equal(y(100), (PAD.top + HEIGHT - PAD.bottom) / 2);
  assert.ok(y(150) < y(50), "bigger values are higher up (smaller y)");
});
