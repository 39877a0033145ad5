// Where a problem with an uploaded package belongs: the validator answers {code, message, field},
// and the console shows it against the file or the minis.json field it names, in the list of
// the package's files. Pure, so that node tests it (tests/js/console-problems.test.mjs).
// @ts-check

export const MANIFEST = "minis.json";

/**
 * A place in the package: a file (`file`), a field of minis.json (`file` is minis.json and
 * `field` the field, "products.0.price" for a nested one), or the package as a whole (both null).
 * @typedef {{file: string | null, field: string | null}} Place
 */

/**
 * Where the validator's error belongs. The validator (catalog/package.py) names a manifest field
 * in `field` with the code INVALID_MANIFEST, or minis.json itself; the errors about one file
 * (too large, a link, unsafe, unreadable) name it at the start of the message instead.
 * @param {{code?: string, message?: string, field?: string | null}} error
 * @param {string[]} paths the package's files, as far as the console knows them
 * @returns {Place}
 */
export function placeOf(error, paths) {
  const field = error.field || null;
  if (field === MANIFEST) return { file: MANIFEST, field: null };
  if (field && paths.includes(field)) return { file: field, field: null };
  if (field && error.code === "INVALID_MANIFEST") return { file: MANIFEST, field };
  const message = error.message || "";
  // The longest path that starts the message, so "img/a.png" wins over a file named "img".
  const named = paths
    .filter((path) => message === path || message.startsWith(`${path} `) || message.startsWith(`${path}:`))
    .sort((a, b) => b.length - a.length)[0];
  if (named) return { file: named, field: null };
  return { file: null, field };
}

/**
 * The check report's findings (hard failures and warnings) by the file they name, "" for the
 * ones about the whole version.
 * @template {{file: string | null}} T
 * @param {T[]} findings
 * @returns {Map<string, T[]>}
 */
export function byFile(findings) {
  /** @type {Map<string, T[]>} */
  const out = new Map();
  for (const finding of findings) {
    const key = finding.file || "";
    const list = out.get(key) || [];
    list.push(finding);
    out.set(key, list);
  }
  return out;
}

/**
 * A size in bytes for people: "812 B", "14.2 KB", "3.9 MB" (powers of 1000, as budgets are set).
 * @param {number | null | undefined} bytes
 */
export function formatBytes(bytes) {
  if (bytes === null || bytes === undefined) return "–";
  if (bytes < 1000) return `${bytes} B`;
  if (bytes < 1_000_000) return `${(bytes / 1000).toFixed(1)} KB`;
  return `${(bytes / 1_000_000).toFixed(1)} MB`;
}

/**
 * Milliseconds for people: "840 ms", "2.31 s".
 * @param {number | null | undefined} ms
 */
export function formatMs(ms) {
  if (ms === null || ms === undefined) return "–";
  return ms < 1000 ? `${Math.round(ms)} ms` : `${(ms / 1000).toFixed(2)} s`;
}
