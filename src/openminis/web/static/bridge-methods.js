// The bridge methods of docs/sdk-protocol.md: lifecycle, system info and cloud save.
// Each handler gets the request's params and the app's session (launcher.js AppSession).
// The SDK validates too, but a frame can post anything, so every parameter is checked here.
// @ts-check

import { BridgeError, RUNNING, registerMethod } from "./bridge.js";

const STORAGE_KEY_PATTERN = /^[A-Za-z0-9_.:-]{1,128}$/;
const STORAGE_VALUE_MAX_BYTES = 64 * 1024; // as the SDK's

function storageKey(params) {
  if (typeof params.key !== "string" || !STORAGE_KEY_PATTERN.test(params.key)) {
    throw new BridgeError("INVALID_ARGUMENT", "key: 1-128 characters of A-Z a-z 0-9 _ . : -");
  }
  return params.key;
}

// postMessage carries any structured-cloneable value (Dates, Maps, undefined); only JSON is stored.
function isJsonValue(value, depth = 0) {
  if (depth > 64) return false;
  if (value === null || typeof value === "string" || typeof value === "boolean") return true;
  if (typeof value === "number") return Number.isFinite(value);
  if (Array.isArray(value)) return value.every((item) => isJsonValue(item, depth + 1));
  if (typeof value === "object" && Object.getPrototypeOf(value) === Object.prototype) {
    return Object.values(value).every((item) => isJsonValue(item, depth + 1));
  }
  return false;
}

/**
 * Whether a JSON value's strings and keys hold at most `limit` characters in all (a lower bound of
 * its UTF-8 size), counted no further than the limit.
 * @param {unknown} value a JSON value (isJsonValue)
 * @param {number} limit
 */
function charactersWithin(value, limit) {
  let left = limit;
  const stack = [value];
  while (stack.length) {
    const item = stack.pop();
    if (typeof item === "string") left -= item.length;
    else if (item !== null && typeof item === "object") {
      for (const [key, inner] of Object.entries(item)) {
        left -= key.length;
        stack.push(inner);
        if (left < 0) return false;
      }
    }
    if (left < 0) return false;
  }
  return true;
}

registerMethod("init", {
  states: ["loading", ...RUNNING],
  enters: "initialized",
  handler: (params, session) => session.init(params),
});

registerMethod("setLoadingProgress", {
  states: ["loading", "initialized"],
  handler: (params, session) => {
    const { percent } = params;
    if (typeof percent !== "number" || !(percent >= 0 && percent <= 100)) {
      throw new BridgeError("INVALID_ARGUMENT", "percent: a number from 0 to 100");
    }
    session.showProgress(percent);
  },
});

registerMethod("ready", {
  states: RUNNING,
  enters: "ready",
  handler: (params, session) => session.markReady(),
});

registerMethod("lifecycle.shown", {
  states: RUNNING,
  handler: (params, session) => session.markShown(),
});

registerMethod("lifecycle.hidden", {
  states: RUNNING,
  handler: (params, session) => session.markHidden(),
});

registerMethod("getSystemInfo", {
  states: RUNNING,
  handler: (params, session) => session.systemInfo(),
});

registerMethod("exit", {
  states: RUNNING,
  handler: (params, session) => session.exit(),
});

// Escape in the app's frame, forwarded by the SDK: the host closes the app (launcher.js decides
// whether it may). Before init too: a person must be able to leave an app that never started.
registerMethod("keys.escape", {
  states: ["loading", ...RUNNING],
  handler: (params, session) => session.escape(),
});

registerMethod("storage.get", {
  states: RUNNING,
  handler: (params, session) => session.api.storageGet(session.appId, storageKey(params)),
});

registerMethod("storage.set", {
  states: RUNNING,
  handler: (params, session) => {
    const key = storageKey(params);
    if (!("value" in params) || !isJsonValue(params.value)) {
      throw new BridgeError("INVALID_ARGUMENT", "value: must be a JSON value");
    }
    // The SDK refuses a value over 64 KiB; a message sent past it (a probe: 1 MB) reached the
    // platform's body limit and came back INTERNAL. Counted in characters first, stopping at the
    // limit: serialising a 5 MB value a hundred times a second (the rate) froze the host page.
    if (
      !charactersWithin(params.value, STORAGE_VALUE_MAX_BYTES) ||
      new TextEncoder().encode(JSON.stringify(params.value)).length > STORAGE_VALUE_MAX_BYTES
    ) {
      throw new BridgeError("STORAGE_QUOTA_EXCEEDED", "value: over 64 KiB once serialized");
    }
    return session.api.storageSet(session.appId, key, params.value);
  },
});

registerMethod("storage.remove", {
  states: RUNNING,
  handler: (params, session) => session.api.storageRemove(session.appId, storageKey(params)),
});

// The shims' runtime log (docs/compat.md): a game made for another platform called an API its
// shim supports partly or not at all. The host does nothing with it; `minis dev`'s call log shows
// it (Bridge.observe), which is why a frame's claim is checked before anyone shows it.
const COMPAT_API_PATTERN = /^[A-Za-z0-9_.]{1,100}$/;
const COMPAT_LEVELS = ["partly", "not"];

/**
 * The API and its support level a `compat.used` request names; throws INVALID_ARGUMENT otherwise.
 * @param {Record<string, any>} params
 * @returns {{api: string, level: "partly" | "not"}}
 */
export function compatUse(params) {
  const { api, level } = params;
  if (typeof api !== "string" || !COMPAT_API_PATTERN.test(api)) {
    throw new BridgeError("INVALID_ARGUMENT", "api: 1-100 characters of A-Z a-z 0-9 _ .");
  }
  if (!COMPAT_LEVELS.includes(level)) throw new BridgeError("INVALID_ARGUMENT", "level: partly or not");
  return { api, level };
}

// Before init too: a game may call its platform's API before it starts the SDK.
registerMethod("compat.used", {
  states: ["loading", ...RUNNING],
  handler: (params) => {
    compatUse(params);
  },
});
