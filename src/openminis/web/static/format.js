// How the host writes numbers, money, dates and durations. Pure: no DOM, so node --test runs it
// (tests/js/format.test.mjs). `locale` is for the tests; the host passes none and gets the
// browser's own.
// @ts-check

/** @type {Map<string, Intl.NumberFormat>} */
const numberFormats = new Map();
/** @type {Map<string, Intl.DateTimeFormat>} */
const dateFormats = new Map();

/**
 * @param {string | undefined} locale
 * @param {Intl.NumberFormatOptions} options
 */
function numberFormat(locale, options) {
  const key = `${locale}|${JSON.stringify(options)}`;
  let format = numberFormats.get(key);
  if (!format) numberFormats.set(key, (format = new Intl.NumberFormat(locale, options)));
  return format;
}

/**
 * @param {string | undefined} locale
 * @param {Intl.DateTimeFormatOptions} options
 */
function dateFormat(locale, options) {
  const key = `${locale}|${JSON.stringify(options)}`;
  let format = dateFormats.get(key);
  if (!format) dateFormats.set(key, (format = new Intl.DateTimeFormat(locale, options)));
  return format;
}

/**
 * "1,234": coins are whole.
 * @param {number} coins
 * @param {string} [locale]
 */
export function formatCoins(coins, locale) {
  return numberFormat(locale, { maximumFractionDigits: 0 }).format(coins);
}

/**
 * "1,234 coins" for screen readers and sentences; the coin glyph stands in for it on screen.
 * @param {number} coins
 * @param {string} [locale]
 */
export function coinsLabel(coins, locale) {
  return `${formatCoins(coins, locale)} ${coins === 1 ? "coin" : "coins"}`;
}

/**
 * A price from minor units: amount 499 in USD is $4.99, amount 800 in JPY is ¥800 (the currency's
 * own number of decimals, which Intl knows).
 * @param {number} amount
 * @param {string} currency an ISO 4217 code
 * @param {string} [locale]
 */
export function formatMoney(amount, currency, locale) {
  const format = numberFormat(locale, { style: "currency", currency });
  const decimals = format.resolvedOptions().maximumFractionDigits ?? 2;
  return format.format(amount / 10 ** decimals);
}

/**
 * Ad revenue, kept in millionths of a dollar: 1_234_500 is "$1.2345", 2_000_000 is "$2.00".
 * @param {number} micros
 * @param {string} [locale]
 */
export function formatUsdMicros(micros, locale) {
  const format = numberFormat(locale, { style: "currency", currency: "USD", minimumFractionDigits: 2, maximumFractionDigits: 4 });
  return format.format(micros / 1_000_000);
}

/**
 * A playback position or length as "m:ss" (minutes run past 59): 75.9 is "1:15"; a missing or
 * negative time is "0:00".
 * @param {number | null | undefined} seconds
 */
export function formatTime(seconds) {
  const whole = Math.max(0, Math.floor(seconds || 0));
  return `${Math.floor(whole / 60)}:${String(whole % 60).padStart(2, "0")}`;
}

/**
 * A day, "3 Mar 2026" or "Mar 3, 2026" as the locale writes it.
 * @param {string | number | Date} value an ISO 8601 time, milliseconds or a Date
 * @param {string} [locale]
 */
export function formatDate(value, locale) {
  return dateFormat(locale, { day: "numeric", month: "short", year: "numeric" }).format(new Date(value));
}

/**
 * A moment of this year, "Mar 3, 2:05 PM" as the locale writes it.
 * @param {string | number | Date} value an ISO 8601 time, milliseconds or a Date
 * @param {string} [locale]
 */
export function formatDateTime(value, locale) {
  return dateFormat(locale, { day: "numeric", month: "short", hour: "numeric", minute: "2-digit" }).format(new Date(value));
}

/**
 * A rate from 0 to 1 as a percentage: whole percents, one decimal under 10% ("4.5%"), "–" for none.
 * @param {number | null | undefined} rate
 */
export function percent(rate) {
  return rate === null || rate === undefined ? "–" : `${(rate * 100).toFixed(rate < 0.1 && rate > 0 ? 1 : 0)}%`;
}

/**
 * "10 episodes", "1 episode".
 * @param {number} count
 */
export function episodeCount(count) {
  return `${count} ${count === 1 ? "episode" : "episodes"}`;
}
