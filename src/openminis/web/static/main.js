// The host app's entry: reads the server's config, builds the screens, routes between them.
// A share link (/s/{code}) serves the same page with `config.share`: its target opens at once; so
// does what /play/{app}, /watch/{series}/{n}, /p/{post} and /c/{creator} name, with `config.open` (navigation.js).
// @ts-check

import { Account } from "./account.js";
import { AdPlayer } from "./ad-player.js";
import { Api } from "./api.js";
import { bridgeCounters } from "./bridge.js";
import { errorMessage } from "./api.js";
import { CreatorPage } from "./creator-page.js";
import { CreatorStudio } from "./creator-studio.js";
import { DramaShelf } from "./drama-hub.js";
import { DramaPlayer } from "./drama-player.js";
import { byId } from "./dom.js";
import { EventQueue, ExposureTracker } from "./events.js";
import { Feed } from "./feed.js";
import { Hub } from "./hub.js";
import { icon } from "./icons.js";
import { Launcher } from "./launcher.js";
import { MeScreen } from "./me.js";
import { MessagesInbox } from "./messages-inbox.js";
import { MyData } from "./my-data.js";
import { Navigation } from "./navigation.js";
import { Search } from "./search.js";
import { ReportSheet } from "./report-sheet.js";
import { ShareSheet } from "./share-sheet.js";
import { Sheets } from "./sheets.js";
import { Wallet } from "./wallet.js";
import { forgetOffline, offlineState } from "./offline.js";

const config = JSON.parse(byId("minis-config").textContent);
// ?prewarm=0 turns prewarming off, so a benchmark can measure cold launches.
const prewarm = new URLSearchParams(location.search).get("prewarm") !== "0";
// The host's own parameters of a page address, never a launch's query (linkQuery).
const HOST_PARAMS = new Set(["share", "prewarm", "keep", "message", "scene"]);

const api = new Api(config.csrfToken);
const events = new EventQueue(api);
const exposure = new ExposureTracker(events);
const account = new Account(api, config.user);
const wallet = new Wallet(api);
const market = config.market || "US";
const shell = byId("shell");
const appLayer = byId("app-layer");
const dramaLayer = byId("drama-layer");
const ads = new AdPlayer({ root: byId("ad-layer"), api, inertRoots: [shell, appLayer, dramaLayer] });
const sheets = new Sheets({
  layer: byId("sheet-layer"),
  inertRoots: [shell, appLayer, dramaLayer],
  toast: byId("toast"),
});

const dramaPlayer = new DramaPlayer({
  root: dramaLayer,
  shell,
  api,
  wallet,
  sheets,
  events,
  market,
  ads,
  onOpen: ({ series, episode, source, via }) =>
    navigation.opened({
      kind: "watch",
      series_id: series.id,
      app_id: series.app_id || "",
      title: series.title || "",
      // Until the player knows where the person left off, the URL names the series' first episode.
      episode: episode || 1,
      source,
      via,
    }),
  onEpisode: (number) => {
    const opened = history.state?.minis;
    const detail = dramaPlayer.detail; // opened from a URL, the entry learns the series' app and title here
    if (opened?.kind === "watch") {
      navigation.moved({ ...opened, app_id: detail?.app_id || opened.app_id, title: detail?.title || opened.title, episode: number });
    }
  },
  onClose: (saved) => {
    feed.updatePlayback();
    navigation.closed();
    // The series just watched now leads Recently played, once where the person stopped is saved.
    if (route() === "minis") saved.then(() => hub.refreshSections());
  },
});

const launcher = new Launcher({
  api,
  ads,
  events,
  config,
  prewarm,
  layer: appLayer,
  shell,
  sheets,
  wallet,
  account,
  onOpen: (session) => {
    // A preview has its own link (/preview/...); /play would open the released version.
    if (session.card.preview) return;
    navigation.opened({ kind: "play", app_id: session.appId, card: session.card, source: session.source, via: session.via });
  },
  onClose: (session) => {
    navigation.closed();
    // The app just played now leads Continue playing, once its launch is on record.
    if (route() === "minis") session.recorded.then(() => hub.show());
    feed.scheduleSettle(); // the card under the closed app is the likeliest next tap
    feed.updatePlayback();
    messagesInbox.refresh().catch(() => {}); // what the app's backend sent while it was open
  },
});

// Back closes what is open and forward opens it again, as it was opened (its source and `via`).
const navigation = new Navigation({
  reopen: (opened) => {
    if (opened.kind === "play") launcher.launch(opened.card, opened.source, performance.now(), opened.via);
    else {
      const series = { id: opened.series_id, app_id: opened.app_id, title: opened.title };
      dramaPlayer.open(series, { source: opened.source, via: opened.via, episode: opened.episode });
    }
  },
  closeAll: () => {
    launcher.close();
    dramaPlayer.close();
  },
});

/** `via`: `{post_id, creator_id}` from a post's chip, `{share}` from a share link. */
function launch(card, source, event, via = {}) {
  launcher.launch(card, source, event.timeStamp, via);
}

// Tests and benchmarks read the host's state here; nothing in the app depends on it.
const host = {
  launches: launcher.launches,
  bridge: bridgeCounters,
  prewarm,
  /** @type {string | null} */
  settledAppId: null,
  /** @type {string | null} */
  settledItemId: null,
  /** @type {string | null} */
  shared: null, // what a share link opened: "launched", "opened", "shown" or "missing"
  get prewarmed() {
    return launcher.prewarmedAppIds();
  },
  get minimised() {
    return launcher.minimisedAppIds();
  },
  get eventsSent() {
    return events.sent;
  },
  get balance() {
    return wallet.balance;
  },
  get sheetOpen() {
    return sheets.isOpen;
  },
  get adPlaying() {
    return ads.isPlaying;
  },
  get drama() {
    return dramaPlayer.state();
  },
  /** The launcher's mute toggle (the "..." menu's Mute calls it too). */
  muteApp: (muted) => launcher.setMuted(muted),
  /** What was kept for an offline relaunch, by "app@version": "kept" or "failed" (offline.js). */
  get offline() {
    return Object.fromEntries(offlineState);
  },
};
/** @type {any} */ (window).__minisHost = host;

// A like or follow refused: a guest is asked to sign in (on Me), anything else is said.
function actionRefused(error) {
  if (error?.code === "SIGN_IN_REQUIRED") {
    sheets.notify("Sign in to like posts and follow creators.");
    location.hash = "#/me";
  } else {
    sheets.notify(errorMessage(error));
  }
}
const creatorPage = new CreatorPage({ sheets, api, onLaunch: (card, source, event) => launch(card, source, event), onActionError: actionRefused });

const feed = new Feed({
  root: byId("feed"),
  api,
  events,
  exposure,
  launcher,
  onLaunch: launch,
  onOpenSeries: (series, options) => dramaPlayer.open(series, options),
  onShare: (post) => new ShareSheet({ sheets, api, target: { kind: "post", post_id: post.id }, title: `@${post.creator.handle}’s post` }).open(),
  onReport: (post) => new ReportSheet({ sheets, api, target: { kind: "post", id: post.id }, title: `@${post.creator.handle}’s post` }).open(),
  onSettle: (item) => {
    host.settledAppId = item.appId;
    host.settledItemId = item.id;
  },
  isCovered: () => launcher.active !== null || dramaPlayer.isOpen,
  onOpenCreator: (handle) => creatorPage.open(handle),
  onActionError: actionRefused,
  viewerId: () => account.user.id,
});

// For you (the ranked, endless feed) or Following (posts of the creators the person follows).
const feedTabs = /** @type {HTMLElement[]} */ ([...document.querySelectorAll("[data-feed-mode]")]);
for (const tab of feedTabs) {
  tab.addEventListener("click", () => {
    for (const other of feedTabs) other.setAttribute("aria-pressed", String(other === tab));
    feed.setMode(/** @type {"ranked" | "following"} */ (tab.dataset.feedMode));
  });
}

const minisView = byId("minis-view");
const dramas = new DramaShelf({
  api,
  exposure,
  onLaunch: launch,
  onOpen: (series, event) => dramaPlayer.open(series, { tapAt: event.timeStamp }),
});
const hub = new Hub({
  root: minisView,
  api,
  exposure,
  onLaunch: launch,
  dramas,
  onOpenSeries: (series, options) => dramaPlayer.open(series, { source: "recents", ...options }),
});
const search = new Search({
  input: byId("search-input"),
  results: byId("search-results"),
  status: byId("search-status"),
  browse: byId("hub-browse"),
  cancel: byId("search-cancel"),
  api,
  exposure,
  onLaunch: launch,
  onOpenSeries: (series, event) => dramaPlayer.open(series, { tapAt: event.timeStamp, source: "search" }),
  onOpenCreator: (handle) => creatorPage.open(handle),
});
// Back from a search: the hub's shelves again, which a series watched from the results has changed.
byId("search-cancel").addEventListener("click", () => hub.refreshSections());

const studio = new CreatorStudio({ api, account });
const myData = new MyData({ api, wallet });
// A message's tap opens its app with scene subscribe_message and the message's query.
const messagesInbox = new MessagesInbox({
  api,
  account,
  onOpen: (message) => launcher.launch(message.card, "subscribe_message", performance.now(), { query: message.query }),
});
messagesInbox.bindBadges(document.querySelectorAll('.bottom-nav a[data-route="me"]'));
messagesInbox.refresh().catch((error) => console.error("openminis: unread messages not counted", error));
document.addEventListener("visibilitychange", () => {
  if (document.visibilityState === "visible") messagesInbox.refresh().catch(() => {});
});
const me = new MeScreen({
  root: byId("me-view"),
  api,
  account,
  wallet,
  sheets,
  market,
  sections: [messagesInbox.root, studio.root, myData.root],
  onShow: () => {
    studio.show();
    messagesInbox.show().catch((error) => console.error("openminis: messages not loaded", error));
  },
});

account.watch((user, { switched } = {}) => {
  for (const element of document.querySelectorAll("[data-user-name]")) element.textContent = user.display_name;
  for (const chip of /** @type {NodeListOf<HTMLElement>} */ (document.querySelectorAll(".user-chip"))) {
    chip.title = user.kind === "full" ? `Signed in as ${user.email}` : "You are playing as a guest";
  }
  if (switched) {
    // Another person now: frames loaded for the one before must not carry their state over.
    launcher.forget();
    forgetOffline().catch(() => {});
    wallet.refresh().catch(() => {});
  }
});
wallet.bindChips(document.querySelectorAll("[data-coin-balance]"));
wallet.refresh().catch((error) => console.error("openminis: balance not loaded", error));

for (const element of /** @type {NodeListOf<HTMLElement>} */ (document.querySelectorAll("[data-icon]"))) {
  element.prepend(icon(/** @type {any} */ (element.dataset.icon)));
}

// Routes live in the hash, so ?prewarm=0 and other query flags survive navigation.
function route() {
  const name = location.hash.replace(/^#\/?/, "");
  if (name === "me") return "me";
  return name === "minis" || name === "search" ? "minis" : "feed";
}

// On a desktop-wide screen the feed stays in the middle and the hub (or Me) is beside it (host.css).
const desktop = matchMedia("(min-width: 1200px)");

function showRoute() {
  const name = route();
  const beside = desktop.matches;
  byId("feed-view").hidden = !beside && name !== "feed";
  minisView.hidden = beside ? name === "me" : name !== "minis";
  me.root.hidden = name !== "me";
  for (const link of /** @type {NodeListOf<HTMLElement>} */ (document.querySelectorAll(".bottom-nav a"))) {
    if (link.dataset.route === name) link.setAttribute("aria-current", "page");
    else link.removeAttribute("aria-current");
  }
  feed.setActive(beside || name === "feed");
  if (!minisView.hidden) hub.show();
  if (name === "me") me.show();
  if (location.hash === "#/search") search.focus();
}

// A share link's target: the card of the app it names, from the server's config when it sends
// one, or else from the hub's lists.
async function sharedCard(share) {
  if (share.card) return share.card;
  const lists = await Promise.all(["game", "drama"].map((kind) => api.hub(kind).catch(() => ({ items: [] }))));
  return lists.flatMap(({ items }) => items).find((card) => card.app_id === share.app_id) || null;
}

// The feed, starting at `post` when it can still be shown (`extra`: what the first item
// carries besides, a share's code); otherwise the person is told, and the feed starts as usual.
async function startAtPost(post, extra = {}) {
  if (post?.video_url) {
    await feed.start({ first: { kind: "post", id: `post:${post.id}`, post, ...extra } });
    host.shared = "shown";
  } else {
    sheets.notify("That post is no longer available.");
    host.shared = "missing";
    await feed.start();
  }
}

// A post's link shows the post first, then the feed after it.
async function openShared(share) {
  const via = { share: share.code };
  if (share.kind === "post") {
    const post = share.post || (await api.post(share.post_id).catch(() => null));
    await startAtPost(post, { share: share.code });
    return;
  }
  feed.start();
  if (share.kind === "series" || share.kind === "episode") {
    dramaPlayer.open(
      { id: share.series_id, app_id: share.app_id, title: share.title || "" },
      { source: "share", via, episode: share.kind === "episode" ? share.episode : null }
    );
    host.shared = "opened";
    return;
  }
  const card = await sharedCard(share);
  if (!card) {
    sheets.notify("That mini-program is no longer available.");
    host.shared = "missing";
    return;
  }
  launcher.launch(card, "share", performance.now(), via);
  host.shared = "launched";
}

// A preview link (/preview/{app}/{version}): the version opens at once, marked as a preview, for
// the people the platform shares it with; anyone else gets the feed and a notice.
async function openPreview(preview) {
  feed.start();
  const query = preview.check ? `?check=${encodeURIComponent(preview.check)}` : "";
  const path = `/api/developer/preview/${encodeURIComponent(preview.app_id)}/${encodeURIComponent(preview.version)}${query}`;
  const answer = await api.request("GET", path).catch(() => null);
  if (!answer) {
    sheets.notify("This preview is not shared with you. Sign in with the account it was shared with.");
    host.shared = "missing";
    return;
  }
  launcher.launch({ ...answer.card, preview: true }, "direct", performance.now());
  host.shared = "preview";
}

// What the page's URL names (/play, /watch, /p): opened at once over the feed, as a link's target.
async function openNamed(opened) {
  if (opened.kind === "post") {
    await startAtPost(await api.post(opened.post_id).catch(() => null));
    return;
  }
  feed.start();
  if (opened.kind === "creator") {
    host.shared = "opened";
    // Not there: the person has been told, and the page's URL becomes the feed's, as for /play.
    if (!(await creatorPage.open(opened.creator))) {
      history.replaceState(null, "", `/${location.search}${location.hash}`);
      host.shared = "missing";
    }
    return;
  }
  if (opened.kind === "watch") {
    host.shared = "opened";
    /** @type {Promise<boolean>} */
    let shown = Promise.resolve(true);
    navigation.openLoaded(() => {
      shown = dramaPlayer.open({ id: opened.series_id, title: "" }, { source: "direct", episode: opened.episode });
    });
    // Not there: the player has closed (its URL replaced by the feed's) and told the person.
    if (!(await shown)) host.shared = "missing";
    return;
  }
  if (!opened.card) {
    history.replaceState(null, "", `/${location.search}${location.hash}`);
    sheets.notify("That mini-program is no longer available.");
    host.shared = "missing";
    return;
  }
  // A pushed message's link (push-sw.js) names the message: its app opens as the inbox's tap does.
  const message = new URLSearchParams(location.search).get("message");
  if (message && (await messagesInbox.openLinked(message, opened.app_id).catch(() => false))) {
    host.shared = "launched";
    return;
  }
  // A link from minis.share carries its token: the launch is a share's (its query, its context).
  const share = new URLSearchParams(location.search).get("share");
  const via = share && /^[0-9a-f]{24}$/.test(share) ? { share } : null;
  const direct = { query: linkQuery() };
  // The home screen's icon opens /play/{app}?scene=home_screen (its manifest's start_url, home-screen.js).
  const source = via ? "share" : new URLSearchParams(location.search).get("scene") === "home_screen" ? "home_screen" : "direct";
  navigation.openLoaded(() => launcher.launch(opened.card, source, performance.now(), via ?? direct));
  host.shared = "launched";
}

/**
 * A plain /play/{app}?key=value link (games from other platforms make them: Poki's shareableURL,
 * CrazyGames' inviteLink) gives the launch its parameters as the query, under minis.share's rules
 * (at most 16 keys of A-Z a-z 0-9 _ . -, 1 KiB as JSON); the host's own parameters are not passed,
 * and a query over the rules is dropped whole.
 * @returns {Record<string, string>}
 */
function linkQuery() {
  /** @type {Record<string, string>} */
  const query = {};
  for (const [key, value] of new URLSearchParams(location.search)) {
    if (!HOST_PARAMS.has(key)) query[key] = value;
  }
  const keys = Object.keys(query);
  const fits = keys.length <= 16 && keys.every((key) => /^[A-Za-z0-9_.-]{1,32}$/.test(key));
  return fits && new TextEncoder().encode(JSON.stringify(query)).length <= 1024 ? query : {};
}

addEventListener("hashchange", showRoute);
desktop.addEventListener("change", showRoute);
showRoute();
if (config.open) openNamed(config.open).catch((error) => console.error("openminis: link not opened", error));
else if (config.share) openShared(config.share).catch((error) => console.error("openminis: shared link not opened", error));
else if (config.preview) openPreview(config.preview).catch((error) => console.error("openminis: preview not opened", error));
else feed.start();
