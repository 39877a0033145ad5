// console-problems.js: a package's problems shown against the file or minis.json field they name.
import assert from "node:assert/strict";
import { test } from "node:test";

import { byFile, formatBytes, formatMs, placeOf } from "../../src/openminis/web/static/console-problems.js";

const paths = ["minis.json", "index.html", "img", "img/icon.png", "game.js"];

test("a manifest field named by the validator is placed in minis.json", () => {
  const error = { code: "INVALID_MANIFEST", message: "minis.json: version: not a semantic version", field: "version" };
  assert.deepEqual(placeOf(error, paths), { file: "minis.json", field: "version" });
  const nested = { code: "INVALID_MANIFEST", message: "minis.json: products.0.price: too big", field: "products.0.price" };
  assert.deepEqual(placeOf(nested, paths), { file: "minis.json", field: "products.0.price" });
});

test("minis.json itself, missing or not JSON, is the file", () => {
  const error = { code: "INVALID_MANIFEST", message: "minis.json is not valid JSON", field: "minis.json" };
  assert.deepEqual(placeOf(error, []), { file: "minis.json", field: null });
});

test("a file named at the start of the message is the file, the longest name first", () => {
  const large = { code: "FILE_TOO_LARGE", message: "img/icon.png is 9000000 bytes, over the limit" };
  assert.deepEqual(placeOf(large, paths), { file: "img/icon.png", field: null });
  const twice = { code: "UNSAFE_PATH", message: "game.js appears twice in the archive" };
  assert.deepEqual(placeOf(twice, paths), { file: "game.js", field: null });
});

test("a problem with the whole package has no place but the package", () => {
  assert.deepEqual(placeOf({ code: "PACKAGE_TOO_LARGE", message: "package is over the limit" }, paths), {
    file: null,
    field: null,
  });
  assert.deepEqual(placeOf({ code: "NOT_A_ZIP", message: "not a readable zip file" }, []), { file: null, field: null });
  // A file the console does not know of (an unreadable zip) is not guessed at.
  assert.deepEqual(placeOf({ code: "SYMLINK", message: "link.js is a symbolic link" }, paths), { file: null, field: null });
});

test("the check report's findings are grouped by file, the version's own under ''", () => {
  const findings = [
    { code: "size", message: "over budget", file: null },
    { code: "main", message: "big", file: "game.js" },
    { code: "csp", message: "blocked", file: "game.js" },
  ];
  const grouped = byFile(findings);
  assert.deepEqual([...grouped.keys()], ["", "game.js"]);
  assert.equal(grouped.get("game.js").length, 2);
});

test("sizes and times read as people say them", () => {
  assert.equal(formatBytes(812), "812 B");
  assert.equal(formatBytes(14_200), "14.2 KB");
  assert.equal(formatBytes(3_940_000), "3.9 MB");
  assert.equal(formatBytes(null), "–");
  assert.equal(formatMs(840.4), "840 ms");
  assert.equal(formatMs(2310), "2.31 s");
  assert.equal(formatMs(null), "–");
});
