// format.js: the host's coins, money, dates, durations and rates, in fixed locales.
import assert from "node:assert/strict";
import { test } from "node:test";

import {
  coinsLabel,
  episodeCount,
  formatCoins,
  formatDate,
  formatDateTime,
  formatMoney,
  formatTime,
  formatUsdMicros,
  percent,
} from "../../src/openminis/web/static/format.js";

// ICU versions differ in which space they put before a currency or "PM" (no-break or narrow).
const spaced = (text) => text.replace(/\s/gu, " ");

test("coins are whole numbers grouped as the locale groups them", () => {
  assert.equal(formatCoins(0, "en-US"), "0");
  assert.equal(formatCoins(1234567, "en-US"), "1,234,567");
  assert.equal(formatCoins(1234567, "de-DE"), "1.234.567");
  assert.equal(formatCoins(12.6, "en-US"), "13");
});

test("coin labels say coin for one and coins otherwise", () => {
  assert.equal(coinsLabel(1, "en-US"), "1 coin");
  assert.equal(coinsLabel(0, "en-US"), "0 coins");
  assert.equal(coinsLabel(2500, "en-US"), "2,500 coins");
});

test("money comes in minor units with the currency's own decimals", () => {
  assert.equal(formatMoney(499, "USD", "en-US"), "$4.99");
  assert.equal(formatMoney(100000, "USD", "en-US"), "$1,000.00");
  assert.equal(formatMoney(800, "JPY", "en-US"), "¥800");
  assert.equal(spaced(formatMoney(1234, "KWD", "en-US")), "KWD 1.234");
  assert.equal(spaced(formatMoney(499, "EUR", "de-DE")), "4,99 €");
});

test("ad revenue in micro-dollars keeps two to four decimals", () => {
  assert.equal(formatUsdMicros(2_000_000, "en-US"), "$2.00");
  assert.equal(formatUsdMicros(1_234_500, "en-US"), "$1.2345");
  assert.equal(formatUsdMicros(1_234_567, "en-US"), "$1.2346");
  assert.equal(formatUsdMicros(0, "en-US"), "$0.00");
});

test("durations are m:ss, minutes past the hour included", () => {
  assert.equal(formatTime(0), "0:00");
  assert.equal(formatTime(5), "0:05");
  assert.equal(formatTime(75.9), "1:15");
  assert.equal(formatTime(3725), "62:05");
  assert.equal(formatTime(-3), "0:00");
  assert.equal(formatTime(NaN), "0:00");
  assert.equal(formatTime(undefined), "0:00");
  assert.equal(formatTime(null), "0:00");
});

test("dates and times take ISO strings, milliseconds or Dates", () => {
  const at = "2026-03-03T14:05:00";
  assert.equal(formatDate(at, "en-US"), "Mar 3, 2026");
  assert.equal(formatDate(at, "en-GB"), "3 Mar 2026");
  assert.equal(formatDate(new Date(at).getTime(), "en-US"), "Mar 3, 2026");
  assert.equal(formatDate(new Date(at), "en-US"), "Mar 3, 2026");
  assert.equal(spaced(formatDateTime(at, "en-US")), "Mar 3, 2:05 PM");
  assert.equal(formatDateTime(at, "en-GB"), "3 Mar, 14:05");
});

test("rates are whole percents, one decimal below ten, a dash for none", () => {
  assert.equal(percent(0), "0%");
  assert.equal(percent(1), "100%");
  assert.equal(percent(0.456), "46%");
  assert.equal(percent(0.045), "4.5%");
  assert.equal(percent(0.0004), "0.0%");
  assert.equal(percent(null), "–");
  assert.equal(percent(undefined), "–");
});

test("episode counts", () => {
  assert.equal(episodeCount(1), "1 episode");
  assert.equal(episodeCount(0), "0 episodes");
  assert.equal(episodeCount(10), "10 episodes");
});
