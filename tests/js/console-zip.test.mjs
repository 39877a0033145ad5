// console-zip.js: the zip a dropped folder becomes (STORE, CRC-32) and the names read back from one.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";

import { crc32, withoutSharedRoot, zipNames, zipStore } from "../../src/openminis/web/static/console-zip.js";

const text = (value) => new TextEncoder().encode(value);

test("the CRC-32 is zip's: the standard check value and the empty string", () => {
  assert.equal(crc32(text("123456789")), 0xcbf43926);
  assert.equal(crc32(new Uint8Array()), 0);
  assert.equal(crc32(text("The quick brown fox jumps over the lazy dog")), 0x414fa339);
});

test("a zip of stored files has a local header, the data as it is, a central directory and an end record", () => {
  const data = text('{"id": "x"}');
  const zip = zipStore([{ path: "minis.json", data }], { date: new Date(2024, 4, 17, 13, 45, 30) });
  const view = new DataView(zip.buffer);
  assert.equal(view.getUint32(0, true), 0x04034b50);
  assert.equal(view.getUint16(8, true), 0, "STORE");
  assert.equal(view.getUint16(6, true) & 0x0800, 0x0800, "UTF-8 names");
  assert.equal(view.getUint32(14, true), crc32(data));
  assert.equal(view.getUint32(18, true), data.length);
  assert.equal(view.getUint32(22, true), data.length);
  assert.equal(new TextDecoder().decode(zip.subarray(30, 40)), "minis.json");
  assert.deepEqual(zip.subarray(40, 40 + data.length), data);
  // 13:45:30 on 17 May 2024, in MS-DOS form
  assert.equal(view.getUint16(10, true), (13 << 11) | (45 << 5) | 15);
  assert.equal(view.getUint16(12, true), (44 << 9) | (5 << 5) | 17);
  const end = zip.length - 22;
  assert.equal(view.getUint32(end, true), 0x06054b50);
  assert.equal(view.getUint16(end + 10, true), 1);
  assert.equal(view.getUint32(end + 16, true), 40 + data.length, "the central directory follows the data");
  assert.equal(view.getUint32(end + 12, true), 46 + 10);
});

test("the names and sizes read back are the files written, folders and all, in UTF-8", () => {
  const files = [
    { path: "minis.json", data: text("{}") },
    { path: "img/icon.png", data: new Uint8Array(300).fill(7) },
    { path: "niveaux/été.txt", data: text("é") },
    { path: "empty.txt", data: new Uint8Array() },
  ];
  assert.deepEqual(
    zipNames(zipStore(files)),
    files.map((file) => ({ path: file.path, size: file.data.length }))
  );
});

test("bytes that are not a zip have no names", () => {
  assert.equal(zipNames(text("PK but not a zip at all, just some text")), null);
  assert.equal(zipNames(new Uint8Array()), null);
});

// The platform reads uploads with Python's zipfile (catalog/package.py): the same reader here.
test("Python's zipfile reads the files back unchanged, CRCs checked", () => {
  const python = process.env.PYTHON || "python3";
  const folder = mkdtempSync(join(tmpdir(), "console-zip-"));
  const path = join(folder, "package.zip");
  const files = [
    { path: "index.html", data: text("<!doctype html><p>hi</p>") },
    { path: "img/a.bin", data: Uint8Array.from({ length: 1000 }, (_, i) => (i * 31) % 256) },
  ];
  writeFileSync(path, zipStore(files));
  const script =
    "import sys, zipfile, json\n" +
    "z = zipfile.ZipFile(sys.argv[1]); assert z.testzip() is None\n" +
    "print(json.dumps({i.filename: z.read(i).hex() for i in z.infolist()}))";
  const read = JSON.parse(execFileSync(python, ["-c", script, path], { encoding: "utf8" }));
  const expected = Object.fromEntries(files.map((file) => [file.path, Buffer.from(file.data).toString("hex")]));
  assert.deepEqual(read, expected);
});

test("more files than a zip without its 64-bit extension holds are refused", () => {
  const many = Array.from({ length: 0x10000 }, (_, i) => ({ path: `f${i}`, data: new Uint8Array() }));
  assert.throws(() => zipStore(many), RangeError);
});

test("a dropped folder's own name is left out of the package's paths", () => {
  assert.deepEqual(withoutSharedRoot(["game/minis.json", "game/img/a.png"]), ["minis.json", "img/a.png"]);
  assert.deepEqual(withoutSharedRoot(["minis.json", "img/a.png"]), ["minis.json", "img/a.png"]);
  assert.deepEqual(withoutSharedRoot(["a/x", "b/y"]), ["a/x", "b/y"]);
});
