// api.js: a GET the server answers "busy, retry after a moment" is sent again; nothing else is.
import assert from "node:assert/strict";
import { afterEach, test } from "node:test";

import { Api, ApiError, busyWait } from "../../src/openminis/web/static/api.js";

const realFetch = globalThis.fetch;
afterEach(() => {
  globalThis.fetch = realFetch;
});

/** A fetch that answers each call with the next of `answers` ([status, headers]) and counts calls. */
function answering(...answers) {
  const calls = [];
  globalThis.fetch = async (path, init) => {
    calls.push({ path, method: init.method });
    const [status, headers = {}] = answers[Math.min(calls.length, answers.length) - 1];
    const body = status === 200 ? { items: [] } : { code: "OVERLOADED", message: "busy" };
    return new Response(JSON.stringify(body), { status, headers });
  };
  return calls;
}

test("a GET answered 503 with a short Retry-After is sent again and its answer is the next one", async () => {
  const calls = answering([503, { "Retry-After": "0" }], [200]);
  assert.deepEqual(await new Api("token").dramas(), { items: [] });
  assert.equal(calls.length, 2);
});

test("a GET is sent three times at most, then the busy answer is the error", async () => {
  const calls = answering([503, { "Retry-After": "0" }]);
  await assert.rejects(new Api("token").dramas(), (error) => error instanceof ApiError && error.status === 503);
  assert.equal(calls.length, 3);
});

test("a request that changes something is never sent again by the client", async () => {
  const calls = answering([503, { "Retry-After": "0" }], [200]);
  await assert.rejects(new Api("token").request("POST", "/api/apps/a/purchases", { body: {} }), ApiError);
  assert.deepEqual(calls, [{ path: "/api/apps/a/purchases", method: "POST" }]);
});

test("only a 503 or 429 with a wait of 0 to 5 seconds is waited out", () => {
  const answer = (status, retryAfter) =>
    new Response(null, { status, headers: retryAfter === undefined ? {} : { "Retry-After": retryAfter } });
  assert.equal(busyWait(answer(503, "1")), 1000);
  assert.equal(busyWait(answer(429, " 5 ")), 5000);
  assert.equal(busyWait(answer(503, "0")), 0);
  assert.equal(busyWait(answer(503, "6")), null); // a longer wait is the person's to decide
  assert.equal(busyWait(answer(503, "Wed, 21 Oct 2026 07:28:00 GMT")), null);
  assert.equal(busyWait(answer(503, "")), null);
  assert.equal(busyWait(answer(503, "-1")), null);
  assert.equal(busyWait(answer(503)), null);
  assert.equal(busyWait(answer(500, "1")), null);
  assert.equal(busyWait(answer(409, "1")), null);
});

test("a GET aborted while it waits to be sent again rejects with an AbortError at once", async () => {
  const calls = answering([503, { "Retry-After": "5" }], [200]);
  const aborter = new AbortController();
  const pending = new Api("token").request("GET", "/api/dramas", { signal: aborter.signal });
  setTimeout(() => aborter.abort(), 20);
  await assert.rejects(pending, (error) => error.name === "AbortError");
  assert.equal(calls.length, 1);
});
