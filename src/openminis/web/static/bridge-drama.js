// Bridge methods for drama apps with a player of their own (minis.drama.*): their series, who may
// watch what, unlocks through the host's paywall, and signed media URLs.
//
// An app sees only its own series: a drama app cannot read, nor sell, another producer's episodes.
// Results use the SDK's camelCase names (minis-sdk.d.ts), not the platform's snake_case.
// @ts-check

import { ApiError } from "./api.js";
import { BridgeError, RUNNING, registerMethod } from "./bridge.js";
import { PaywallSheet } from "./paywall-sheet.js";

const SERIES_ID = /^[A-Za-z0-9_-]{1,32}$/;

function seriesId(params) {
  if (typeof params.seriesId !== "string" || !SERIES_ID.test(params.seriesId)) {
    throw new BridgeError("INVALID_ARGUMENT", "seriesId: a series id from minis.drama.getSeries()");
  }
  return params.seriesId;
}

function episodeNumber(params) {
  if (!Number.isInteger(params.number) || params.number < 1 || params.number > 10000) {
    throw new BridgeError("INVALID_ARGUMENT", "number: an episode number from 1 to 10000");
  }
  return params.number;
}

function seriesOut(series) {
  return {
    id: series.id,
    title: series.title,
    synopsis: series.synopsis,
    genres: series.genres,
    language: series.language,
    ageRating: series.age_rating,
    coverUrl: series.cover_url,
    episodeCount: series.episode_count,
    freeEpisodes: series.free_episodes,
    episodePrice: series.episode_price,
    seriesPrice: series.series_price,
    adUnlock: series.ad_unlock,
  };
}

function episodeOut(episode) {
  return {
    number: episode.number,
    title: episode.title,
    durationMs: episode.duration_ms,
    access: episode.access,
    thumbnailUrl: episode.thumbnail_url,
  };
}

/** The series with the person's access, if it belongs to the calling app; NOT_FOUND otherwise. */
async function ownSeries(session, id) {
  let series;
  try {
    series = await session.api.drama(id);
  } catch (error) {
    if (error instanceof ApiError && error.status === 404) throw new BridgeError("NOT_FOUND", `no series ${id} in this app`);
    throw error;
  }
  if (series.app_id !== session.appId) throw new BridgeError("NOT_FOUND", `no series ${id} in this app`);
  return series;
}

function findEpisode(series, number) {
  const episode = series.episodes.find((item) => item.number === number);
  if (!episode) throw new BridgeError("NOT_FOUND", `no episode ${number} in series ${series.id}`);
  return episode;
}

/**
 * The app's own "watch an ad to unlock" button is the person's choice: the host plays a rewarded
 * ad of the series' unit at once, then unlocks with it if the platform granted the reward.
 */
async function unlockWithAd(session, series, number) {
  if (!series.ad_unlock) throw new BridgeError("AD_UNLOCK_DISABLED", "this series cannot be unlocked with ads");
  if (!series.ad_unit_id) throw new BridgeError("NO_FILL", "the platform has no ad unit for this series");
  const { ads } = session.launcher;
  if (ads.isPlaying) throw new BridgeError("NOT_ALLOWED", "another ad is playing");
  const decision = await ads.load({ appId: series.app_id, unitId: series.ad_unit_id, launchId: session.launchId, format: "rewarded" });
  session.cover();
  let outcome;
  try {
    outcome = await ads.play(decision);
  } finally {
    session.uncover();
  }
  if (!outcome.rewarded) throw new BridgeError("USER_CANCELLED", `the ad ended without its reward (${outcome.reason || "closed"})`);
  const { access } = await session.api.unlockEpisode(series.id, number, { method: "ad", adId: decision.ad_id, launchId: session.recordedLaunchId });
  session.launcher.sheets.notify(`Episode ${number} unlocked`);
  return { number, access };
}

registerMethod("drama.getSeries", {
  states: RUNNING,
  handler: async (params, session) => {
    const { items } = await session.api.dramas();
    return items.filter((series) => series.app_id === session.appId).map(seriesOut);
  },
});

registerMethod("drama.getEpisodes", {
  states: RUNNING,
  handler: async (params, session) => (await ownSeries(session, seriesId(params))).episodes.map(episodeOut),
});

registerMethod("drama.getEntitlements", {
  states: RUNNING,
  handler: async (params, session) => {
    const series = await ownSeries(session, seriesId(params));
    return Object.fromEntries(series.episodes.map((episode) => [String(episode.number), episode.access]));
  },
});

registerMethod("drama.getPlaybackUrl", {
  states: RUNNING,
  handler: async (params, session) => {
    const id = seriesId(params);
    const number = episodeNumber(params);
    await ownSeries(session, id);
    // The app's player is on the app's origin, which never sends the host's session cookie: its
    // URLs carry a per-viewer token instead, checked on every request, good for minutes.
    const { expires_at: expiresAt, urls } = await session.api.playback(id, number, { bound: "person" });
    return { expiresAt: expiresAt * 1000, urls: { mp4_720: urls.mp4_720, mp4_480: urls.mp4_480, hls: urls.hls, poster: urls.poster } };
  },
});

registerMethod("drama.unlock", {
  states: RUNNING,
  handler: async (params, session) => {
    const id = seriesId(params);
    const number = episodeNumber(params);
    if (params.method !== "coins" && params.method !== "ad") {
      throw new BridgeError("INVALID_ARGUMENT", 'method: "coins" or "ad"');
    }
    session.checkMaySheet("drama.unlock");
    const series = await ownSeries(session, id);
    const episode = findEpisode(series, number);
    // Already watchable (free, bought before, a pass): nothing to ask, nothing to charge.
    if (episode.access) return { number, access: episode.access };
    session.checkMaySheet("drama.unlock"); // the app may have left the screen meanwhile
    const { launcher } = session;
    if (params.method === "ad") return unlockWithAd(session, series, number);
    return new PaywallSheet({
      sheets: launcher.sheets,
      api: session.api,
      wallet: launcher.wallet,
      market: launcher.config.market || "US",
      series,
      episode,
      methods: [params.method],
      app: session.card,
      owner: session,
      launchId: session.recordedLaunchId,
    }).run();
  },
});
