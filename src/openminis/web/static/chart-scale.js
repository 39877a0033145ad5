// The arithmetic of charts.js's line chart: its size, a round top for the value axis and the
// scales from data to SVG coordinates. Pure: no DOM, so node --test runs it
// (tests/js/chart-scale.test.mjs).
// @ts-check

export const WIDTH = 640;
export const HEIGHT = 200;
export const PAD = Object.freeze({ top: 12, right: 12, bottom: 24, left: 40 });

/**
 * A round upper bound for the axis: 1, 2 or 5 times a power of ten, at least `value`.
 * @param {number} value
 * @returns {number}
 */
export function niceCeiling(value) {
  if (value <= 0) return 1;
  const power = 10 ** Math.floor(Math.log10(value));
  // 10 * power >= value always (power is the largest power of ten at most value).
  return /** @type {number} */ ([1, 2, 5, 10].map((step) => step * power).find((bound) => bound >= value));
}

/**
 * The line chart's scales for `count` points and values up to `top`: `x(index)` spreads the
 * points across the plot (a lone point in its middle), `y(value)` puts 0 at the plot's bottom
 * and `top` at its top (SVG's y grows downwards).
 * @param {number} count how many points each line has
 * @param {number} top the value at the top of the axis (niceCeiling of the largest value)
 * @returns {{x: (index: number) => number, y: (value: number) => number}}
 */
export function lineScales(count, top) {
  const plotWidth = WIDTH - PAD.left - PAD.right;
  const plotHeight = HEIGHT - PAD.top - PAD.bottom;
  return {
    x: (index) => PAD.left + (count > 1 ? (index / (count - 1)) * plotWidth : plotWidth / 2),
    y: (value) => PAD.top + plotHeight - (value / top) * plotHeight,
  };
}
