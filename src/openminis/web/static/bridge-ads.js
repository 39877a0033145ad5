// Bridge methods for ads (minis.ads): an app loads an ad of one of its units, then shows it. The
// host runs the auction, plays the ad above the app in its own player (ad-player.js), pauses the
// app meanwhile (`hide`, then `show`) and tells the app only the outcome: whether the platform
// granted the reward.
// @ts-check

import { BridgeError, RUNNING, registerMethod } from "./bridge.js";

const UNIT_ID = /^[A-Za-z0-9_-]{1,32}$/;
const FORMATS = new Set(["rewarded", "interstitial"]);
// Loaded ads an app may hold at once; loading more drops the oldest (its decision just expires).
const MAX_LOADED = 8;
// The platform forgets an unused decision after 10 minutes (docs/ads.md); the host a little sooner.
const LOADED_FOR_MS = 9 * 60 * 1000;

function loadedAds(session) {
  session.loadedAds ??= new Map(); // ad id -> decision, oldest first
  return session.loadedAds;
}

registerMethod("ads.load", {
  states: RUNNING,
  handler: async (params, session) => {
    if (typeof params.unitId !== "string" || !UNIT_ID.test(params.unitId)) {
      throw new BridgeError("INVALID_ARGUMENT", "unitId: an ad unit id of your app (au_...)");
    }
    if (!FORMATS.has(params.format)) throw new BridgeError("INVALID_ARGUMENT", 'format: "rewarded" or "interstitial"');
    // An auction for a frame nobody opened would count a request no person made.
    if (!session.opened) throw new BridgeError("NOT_ALLOWED", "ads: the app is not open yet; load ads after onShow");
    const decision = await session.launcher.ads.load({
      appId: session.appId,
      unitId: params.unitId,
      launchId: session.launchId,
      format: params.format,
    });
    const loaded = loadedAds(session);
    decision.loadedAt = Date.now();
    loaded.set(decision.ad_id, decision);
    while (loaded.size > MAX_LOADED) loaded.delete(loaded.keys().next().value);
    return { adId: decision.ad_id };
  },
});

registerMethod("ads.show", {
  states: RUNNING,
  handler: async (params, session) => {
    const loaded = loadedAds(session);
    const decision = typeof params.adId === "string" ? loaded.get(params.adId) : undefined;
    if (!decision || Date.now() - decision.loadedAt > LOADED_FOR_MS) {
      loaded.delete(params.adId);
      throw new BridgeError("NOT_READY", "no loaded ad to show: call load() first (each loaded ad shows once)");
    }
    // An ad is drawn like a host sheet: only for the app on screen, and one thing at a time.
    session.checkMaySheet("ads.show");
    if (decision.format === "interstitial" && session.gameplayAt !== null) {
      throw new BridgeError("NOT_ALLOWED", "no interstitial during gameplay: show it after minis.gameplayStop()");
    }
    const { ads } = session.launcher;
    if (ads.isPlaying) throw new BridgeError("NOT_ALLOWED", "another ad is playing");
    loaded.delete(params.adId);
    session.cover();
    try {
      const outcome = await ads.play(decision);
      return outcome.rewarded ? { rewarded: true, transactionId: outcome.transactionId } : { rewarded: false };
    } finally {
      session.uncover();
    }
  },
});
