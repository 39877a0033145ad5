// Random ids the host mints in the browser: a launch's, a payment's idempotency key, a page's.
// @ts-check

/**
 * `bytes` random bytes from the browser's CSPRNG, as lowercase hex (two characters a byte).
 * @param {number} bytes
 * @returns {string}
 */
export function randomHex(bytes) {
  return Array.from(crypto.getRandomValues(new Uint8Array(bytes)), (byte) => byte.toString(16).padStart(2, "0")).join("");
}
