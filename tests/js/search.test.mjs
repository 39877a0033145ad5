// Recent searches (search.js): kept in this browser only, latest first, each once whatever its
// case, eight at most, and nothing breaks when storage is blocked or holds something else.
// Runs under node: RecentSearches takes any Storage, and nothing touches the DOM at import.
import assert from "node:assert/strict";
import { test } from "node:test";

import { RecentSearches, highlighted } from "../../src/openminis/web/static/search.js";

class MemoryStorage {
  constructor(items = {}) {
    this.items = { ...items };
  }
  getItem(key) {
    return key in this.items ? this.items[key] : null;
  }
  setItem(key, value) {
    this.items[key] = String(value);
  }
}

test("recent searches are latest first, each once whatever its case, eight at most", () => {
  const recent = new RecentSearches(new MemoryStorage());
  for (const query of ["moon", "sky", "Moon"]) recent.add(query);
  assert.deepEqual(recent.list(), ["Moon", "sky"]);
  for (let n = 0; n < 10; n += 1) recent.add(`q${n}`);
  assert.deepEqual(recent.list(), ["q9", "q8", "q7", "q6", "q5", "q4", "q3", "q2"]);
  recent.clear();
  assert.deepEqual(recent.list(), []);
});

test("blocked or foreign storage leaves no recent searches and throws nothing", () => {
  assert.deepEqual(new RecentSearches(null).list(), []);
  const blocked = {
    getItem() {
      throw new Error("SecurityError");
    },
    setItem() {
      throw new Error("QuotaExceededError");
    },
  };
  const recent = new RecentSearches(/** @type {any} */ (blocked));
  recent.add("sky");
  assert.deepEqual(recent.list(), []);
  const foreign = new RecentSearches(new MemoryStorage({ "openminis.recent-searches": '{"not": "a list"}' }));
  assert.deepEqual(foreign.list(), []);
  const mixed = new RecentSearches(new MemoryStorage({ "openminis.recent-searches": '["sky", 4, null, "moon"]' }));
  assert.deepEqual(mixed.list(), ["sky", "moon"]);
});

test("a name without a match, or with a span that does not fit it, is left as plain text", () => {
  assert.deepEqual(highlighted("Sky Runner", null), ["Sky Runner"]);
  assert.deepEqual(highlighted("Sky", { start: 2, end: 9 }), ["Sky"]);
  assert.deepEqual(highlighted("Sky", { start: 2, end: 2 }), ["Sky"]);
});
