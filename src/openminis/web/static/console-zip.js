// A package folder dropped on the console becomes a zip in the browser, since the platform takes
// a zip. Written by hand: the STORE method (no compression; the files are small, and the upload
// limit is on the zip) needs only the headers and a CRC-32, not a library. Also reads a zip's
// file names back from its central directory, to list what a chosen zip holds.
// Format: PKWARE's APPNOTE.TXT, sections 4.3.7 (local header), 4.3.12 (central directory), 4.3.16 (end).
// @ts-check

/** @typedef {{path: string, data: Uint8Array}} ZipEntry */

const LOCAL = 0x04034b50;
const CENTRAL = 0x02014b50;
const END = 0x06054b50;
const UTF8_NAMES = 0x0800; // general purpose flag bit 11: names are UTF-8
const VERSION = 20; // 2.0: what a STORE entry in a folder needs to extract

const CRC_TABLE = (() => {
  const table = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    table[n] = c >>> 0;
  }
  return table;
})();

/**
 * The CRC-32 (IEEE 802.3, as zip uses it) of the bytes.
 * @param {Uint8Array} bytes
 * @returns {number} unsigned
 */
export function crc32(bytes) {
  let crc = 0xffffffff;
  for (let i = 0; i < bytes.length; i++) crc = CRC_TABLE[(crc ^ bytes[i]) & 0xff] ^ (crc >>> 8);
  return (crc ^ 0xffffffff) >>> 0;
}

/**
 * MS-DOS time and date, as zip headers keep them (two-second steps, local time, from 1980).
 * @param {Date} date
 */
function dosTime(date) {
  const year = Math.max(1980, date.getFullYear());
  return {
    time: (date.getHours() << 11) | (date.getMinutes() << 5) | (date.getSeconds() >> 1),
    date: ((year - 1980) << 9) | ((date.getMonth() + 1) << 5) | date.getDate(),
  };
}

/**
 * A zip of the files, each stored as it is. Paths use "/" and are relative; throws for what a zip
 * without its 64-bit extension cannot hold.
 * @param {ZipEntry[]} files
 * @param {{date?: Date}} [options] the time written on every entry (default: now)
 * @returns {Uint8Array<ArrayBuffer>}
 */
export function zipStore(files, { date = new Date() } = {}) {
  if (files.length > 0xffff) throw new RangeError("a zip holds at most 65,535 files");
  const encoder = new TextEncoder();
  const stamp = dosTime(date);
  const entries = files.map((file) => {
    if (file.data.length > 0xfffffffe) throw new RangeError(`${file.path} is too large for a zip`);
    return { name: encoder.encode(file.path), data: file.data, crc: crc32(file.data) };
  });
  const localSize = entries.reduce((sum, entry) => sum + 30 + entry.name.length + entry.data.length, 0);
  const centralSize = entries.reduce((sum, entry) => sum + 46 + entry.name.length, 0);
  const out = new Uint8Array(localSize + centralSize + 22);
  const view = new DataView(out.buffer);
  let at = 0;
  const u16 = (value) => {
    view.setUint16(at, value, true);
    at += 2;
  };
  const u32 = (value) => {
    view.setUint32(at, value, true);
    at += 4;
  };
  const bytes = (value) => {
    out.set(value, at);
    at += value.length;
  };

  const offsets = [];
  for (const entry of entries) {
    offsets.push(at);
    u32(LOCAL);
    u16(VERSION);
    u16(UTF8_NAMES);
    u16(0); // method: STORE
    u16(stamp.time);
    u16(stamp.date);
    u32(entry.crc);
    u32(entry.data.length); // compressed size: stored as it is
    u32(entry.data.length);
    u16(entry.name.length);
    u16(0); // no extra field
    bytes(entry.name);
    bytes(entry.data);
  }
  const centralStart = at;
  entries.forEach((entry, index) => {
    u32(CENTRAL);
    u16(VERSION); // made by: MS-DOS-compatible attributes
    u16(VERSION);
    u16(UTF8_NAMES);
    u16(0);
    u16(stamp.time);
    u16(stamp.date);
    u32(entry.crc);
    u32(entry.data.length);
    u32(entry.data.length);
    u16(entry.name.length);
    u16(0); // extra field
    u16(0); // comment
    u16(0); // disk
    u16(0); // internal attributes
    u32(0); // external attributes: a plain file
    u32(offsets[index]);
    bytes(entry.name);
  });
  u32(END);
  u16(0); // this disk
  u16(0); // the disk the central directory starts on
  u16(entries.length);
  u16(entries.length);
  u32(centralSize);
  u32(centralStart);
  u16(0); // comment
  return out;
}

/**
 * The names and sizes of a zip's files, from its central directory (folders left out); null
 * when the bytes are not a zip this can read.
 * @param {Uint8Array} bytes
 * @returns {{path: string, size: number}[] | null}
 */
export function zipNames(bytes) {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  // The end record is 22 bytes plus a comment of up to 65,535: look for it from the end.
  let end = -1;
  for (let at = bytes.length - 22; at >= Math.max(0, bytes.length - 22 - 0xffff); at--) {
    if (view.getUint32(at, true) === END) {
      end = at;
      break;
    }
  }
  if (end < 0) return null;
  const count = view.getUint16(end + 10, true);
  let at = view.getUint32(end + 16, true);
  const decoder = new TextDecoder();
  const names = [];
  for (let index = 0; index < count; index++) {
    if (at + 46 > bytes.length || view.getUint32(at, true) !== CENTRAL) return null;
    const size = view.getUint32(at + 24, true);
    const nameLength = view.getUint16(at + 28, true);
    const skip = view.getUint16(at + 30, true) + view.getUint16(at + 32, true);
    const path = decoder.decode(bytes.subarray(at + 46, at + 46 + nameLength));
    if (!path.endsWith("/")) names.push({ path, size });
    at += 46 + nameLength + skip;
  }
  return names;
}

/**
 * Folder pickers and drops name files under the folder ("my-game/index.html"): the package is
 * what is inside it.
 * @param {string[]} paths
 */
export function withoutSharedRoot(paths) {
  const roots = new Set(paths.map((path) => path.split("/")[0]));
  if (roots.size !== 1 || !paths.every((path) => path.includes("/"))) return paths;
  const root = `${[...roots][0]}/`;
  return paths.map((path) => path.slice(root.length));
}
