// api.js: an app's storage calls reach the platform in the order the app made them.
import assert from "node:assert/strict";
import { afterEach, test } from "node:test";

import { Api, ApiError } from "../../src/openminis/web/static/api.js";

const realFetch = globalThis.fetch;
afterEach(() => {
  globalThis.fetch = realFetch;
});

/**
 * A server that answers each request only when the test says so (as a busy one answers a write
 * later than a read): `sent` lists the requests as they arrive, `answer(i)` answers the i-th.
 */
function heldServer() {
  const sent = [];
  globalThis.fetch = (path, init) =>
    new Promise((resolve) => {
      const value = init.body ? JSON.parse(init.body).value : undefined;
      const answer = (body = {}, status = 200) => resolve(new Response(JSON.stringify(body), { status }));
      sent.push({ method: init.method, path, value, answer });
    });
  return sent;
}

const tick = () => new Promise((done) => setTimeout(done, 0));

test("a read made after a write is sent only once the write is answered", async () => {
  const sent = heldServer();
  const api = new Api("token");
  const written = api.storageSet("witness", "hidden", "yes");
  const read = api.storageGet("witness", "hidden");
  await tick();
  assert.deepEqual(sent.map((r) => r.method), ["PUT"]);
  sent[0].answer();
  await written;
  await tick();
  assert.deepEqual(sent.map((r) => r.method), ["PUT", "GET"]);
  sent[1].answer({ value: "yes" });
  assert.equal(await read, "yes");
});

test("writes of one app go one after another; reads do not wait for reads, nor another app's writes", async () => {
  const sent = heldServer();
  const api = new Api("token");
  const first = api.storageSet("witness", "score", 1);
  const second = api.storageSet("witness", "score", 2);
  const elsewhere = api.storageSet("other", "score", 9);
  await tick();
  assert.deepEqual(sent.map((r) => [r.method, r.value]), [["PUT", 1], ["PUT", 9]]);
  sent[0].answer();
  await first;
  await tick();
  assert.deepEqual(sent.map((r) => [r.method, r.value]), [["PUT", 1], ["PUT", 9], ["PUT", 2]]);
  sent[1].answer();
  sent[2].answer();
  await Promise.all([second, elsewhere]);
  const reads = [api.storageGet("witness", "a"), api.storageGet("witness", "b")];
  await tick();
  assert.equal(sent.length, 5); // both reads at once
  sent[3].answer({ value: 1 });
  sent[4].answer({ value: 2 });
  assert.deepEqual(await Promise.all(reads), [1, 2]);
});

test("a write that fails fails its own call only: the next write and reads still go", async () => {
  const sent = heldServer();
  const api = new Api("token");
  const failed = api.storageSet("witness", "k", 1);
  const next = api.storageSet("witness", "k", 2);
  const read = api.storageGet("witness", "k");
  await tick();
  sent[0].answer({ code: "INVALID_ARGUMENT", message: "too large" }, 400);
  await assert.rejects(failed, (error) => error instanceof ApiError && error.status === 400);
  await tick();
  assert.deepEqual(sent.map((r) => [r.method, r.value]), [["PUT", 1], ["PUT", 2]]);
  sent[1].answer();
  await next;
  await tick();
  sent[2].answer({ value: 2 });
  assert.equal(await read, 2);
});
