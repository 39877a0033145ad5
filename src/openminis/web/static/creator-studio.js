// The creator studio, on the Me screen: a signed-in person becomes a creator, posts short vertical
// videos linked ("anchored") to a game, a drama series or one episode, follows each post through
// transcoding, and sees what their posts earned: the commission on every purchase, unlock and
// rewarded ad they brought, conversion by conversion.
//
// A guest cannot be a creator: earnings must follow a person to any device, so the studio asks
// them to sign in first.
// @ts-check

import { errorMessage } from "./api.js";
import { showError } from "./form-errors.js";
import { appIcon } from "./app-tile.js";
import { el, part } from "./dom.js";
import { episodeCount, formatDateTime, formatUsdMicros } from "./format.js";
import { icon } from "./icons.js";
import { whileBusy } from "./sheets.js";
import { myTakedowns, takedownNotice } from "./takedowns.js";
import { payoutsPanel } from "./payouts-panel.js";
import { coinAmount } from "./wallet.js";

const POLL_MS = 1500; // while a post is transcoding
const CAPTION_MAX = 300;
const HANDLE = "^@?[A-Za-z0-9_]{3,32}$"; // the platform keeps it in lowercase


const CONVERSION_KINDS = {
  purchase: "Purchase",
  unlock: "Episode unlock",
  series: "Whole series",
  pass: "Drama pass",
  ad_reward: "Rewarded ad",
};
const SOURCES = { post: "your post", share: "a share link", feed: "the feed", hub: "the hub", search: "search", recents: "recents" };

/** An amount in a conversion's currency: coins with the coin glyph, ad revenue in dollars. */
function amount(value, currency) {
  if (currency === "COIN") return coinAmount(value);
  if (currency === "USD_MICROS") return el("span", { className: "money" }, formatUsdMicros(value));
  return el("span", {}, `${value} ${currency}`);
}

function formError(id) {
  return el("p", { className: "form-error", id, role: "alert" });
}


export class CreatorStudio {
  /** @type {HTMLElement} */
  profileCard;
  /** @type {HTMLElement} */
  earningsCard;
  /** @type {HTMLElement} */
  composeCard;
  /** @type {HTMLElement} */
  postsCard;
  /** @type {HTMLElement} */
  takedownsCard;
  /** @type {any} */
  anchorSelect;
  /**
   * @param {object} options
   * @param {import("./api.js").Api} options.api
   * @param {import("./account.js").Account} options.account
   */
  constructor({ api, account }) {
    this.api = api;
    this.account = account;
    /** @type {any} */
    this.creator = undefined; // undefined: not asked yet; null: not a creator
    /** @type {any} */
    this.posts = null;
    /** @type {any} */
    this.earnings = null; // {balances, conversions, next_cursor}
    /** @type {any} */
    this.targets = null; // what a post may link to: {games, dramaApps, series, names}
    /** @type {number | null} */
    this.pollTimer = null;
    this.uploading = null; // {progress} while a video is being sent

    this.root = el("section", { className: "studio", "aria-labelledby": "studio-title" });
    this.heading = el("h2", { className: "section-title", id: "studio-title" }, "Creator studio");
    this.body = el("div", { className: "studio-body" });
    this.root.append(this.heading, this.body);

    // Only who the person is matters here: a refreshed profile (a new display name) must not
    // redraw the forms under someone typing in them.
    /** @type {string | null} */
    let shownFor = null;
    account.watch((user, { switched } = {}) => {
      const who = `${user.id}:${user.kind}`;
      if (who === shownFor) return;
      shownFor = who;
      if (switched) {
        clearTimeout(this.pollTimer ?? undefined);
        this.creator = undefined;
        this.posts = null;
        this.earnings = null;
      }
      this.render();
      // Another person, or the guest who just made an account: ask who they are as a creator.
      if (!account.isGuest && this.creator === undefined && this.isShown) this.load();
    });
  }

  get isShown() {
    return this.root.isConnected && this.root.checkVisibility();
  }

  /** The Me screen came on screen: what may have changed (a post transcoded, a commission). */
  show() {
    this.load();
  }

  async load() {
    if (this.account.isGuest) {
      this.render();
      return;
    }
    try {
      this.creator = await this.api.myCreator();
    } catch (error) {
      if (error.status === 403) this.creator = null;
      else {
        console.error("openminis: creator profile not loaded", error);
        this.renderFailure(error);
        return;
      }
    }
    this.render();
    if (this.creator) await Promise.all([this.loadPosts(), this.loadEarnings(), this.loadTargets(), this.loadTakedowns()]);
  }

  render() {
    if (this.account.isGuest) {
      this.renderGuest();
    } else if (this.creator === undefined) {
      this.body.replaceChildren(el("p", { className: "card-note" }, "Loading…"));
    } else if (this.creator === null) {
      this.renderJoin();
    } else {
      this.renderStudio();
    }
  }

  renderFailure(error) {
    const retry = el("button", { type: "button", className: "button-secondary button-small", onclick: () => this.load() }, "Try again");
    this.body.replaceChildren(el("div", { className: "card" }, el("p", { className: "form-error", role: "alert" }, errorMessage(error)), retry));
  }

  renderGuest() {
    const signIn = el("button", { type: "button", className: "button-secondary" }, "Set up an account");
    signIn.addEventListener("click", () => {
      const field = document.getElementById("account-email");
      field?.scrollIntoView({ block: "center" });
      field?.focus({ preventScroll: true });
    });
    this.body.replaceChildren(
      el(
        "div",
        { className: "card" },
        el("p", { className: "studio-lead" }, "Sign in to become a creator"),
        el("p", { className: "card-note" }, "Creators post short videos that link to games and dramas, and earn a commission on what their viewers buy."),
        signIn
      )
    );
  }

  renderJoin() {
    const { user } = this.account;
    const handle = el("input", {
      id: "creator-handle",
      name: "handle",
      className: "text-field",
      required: true,
      minlength: "3",
      maxlength: "32",
      pattern: HANDLE,
      autocomplete: "username",
      spellcheck: "false",
      "aria-describedby": "creator-handle-hint creator-error",
    });
    const name = el("input", { id: "creator-name", name: "display_name", className: "text-field", required: true, maxlength: "60", "aria-describedby": "creator-error" });
    name.value = user.display_name || "";
    const bio = el("textarea", { id: "creator-bio", name: "bio", className: "text-field text-area", maxlength: "200", rows: "2", "aria-describedby": "creator-error" });
    const message = formError("creator-error");
    const submit = el("button", { type: "submit", className: "button-primary" }, "Become a creator");
    const form = el(
      "form",
      { className: "studio-form", "aria-label": "Become a creator", novalidate: true },
      el(
        "div",
        { className: "field" },
        el("label", { for: "creator-handle" }, "Handle"),
        el("span", { className: "handle-field" }, el("span", { className: "handle-at", "aria-hidden": "true" }, "@"), handle),
        el("p", { className: "field-hint", id: "creator-handle-hint" }, "3 to 32 letters, digits or underscores. People see it on your posts.")
      ),
      el("div", { className: "field" }, el("label", { for: "creator-name" }, "Name on your posts"), name),
      el("div", { className: "field" }, el("label", { for: "creator-bio" }, "Bio (optional)"), bio),
      message,
      submit
    );
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      if (!handle.checkValidity()) {
        showError(form, message, { message: "Choose a handle of 3 to 32 letters, digits or underscores.", field: "handle" });
        return;
      }
      whileBusy(submit, async () => {
        try {
          this.creator = await this.api.becomeCreator({ handle: handle.value.trim(), displayName: name.value.trim(), bio: bio.value.trim() });
        } catch (error) {
          showError(form, message, error);
          return;
        }
        this.posts = [];
        this.render();
        this.heading.scrollIntoView({ block: "start" });
        await Promise.all([this.loadEarnings(), this.loadTargets()]);
      });
    });
    this.body.replaceChildren(
      el(
        "div",
        { className: "card" },
        el("p", { className: "studio-lead" }, "Become a creator"),
        el("p", { className: "card-note" }, "Post short videos with a link to a game or a drama. When your viewers buy in it, you earn a commission."),
        form
      )
    );
  }

  renderStudio() {
    const { creator } = this;
    this.profileCard = el(
      "div",
      { className: "card studio-profile" },
      el("img", { className: "avatar avatar-medium", src: creator.avatar_url, alt: "" }),
      el(
        "div",
        { className: "profile-text" },
        el("p", { className: "studio-name" }, creator.display_name),
        el("p", { className: "profile-kind" }, `@${creator.handle}`),
        creator.bio ? el("p", { className: "card-note" }, creator.bio) : null
      )
    );
    this.earningsCard = el("section", { className: "card earnings", "aria-labelledby": "earnings-title" });
    this.composeCard = el("section", { className: "card compose", "aria-labelledby": "compose-title" });
    this.postsCard = el("section", { className: "card my-posts", "aria-labelledby": "my-posts-title" });
    this.takedownsCard = el("section", { className: "card studio-takedowns", "aria-labelledby": "takedowns-title", hidden: true });
    const payouts = payoutsPanel("/api/creator/payouts", (method, path, options) => this.api.request(method, path, options));
    payouts.load(); // the commissions, paid out: payouts-panel.js, as in the developer console
    this.body.replaceChildren(this.profileCard, this.takedownsCard, this.earningsCard, payouts.element, this.composeCard, this.postsCard);
    this.renderEarnings();
    this.renderCompose();
    this.renderPosts();
  }

  /** What the platform took down of the creator's (their posts, their profile): why, and the appeal. */
  async loadTakedowns() {
    let items;
    try {
      items = await myTakedowns(this.api, (entry) => entry.item.kind === "post" || entry.item.kind === "creator");
    } catch (error) {
      console.error("openminis: takedowns not loaded", error);
      return;
    }
    if (!this.takedownsCard) return;
    this.takedownsCard.hidden = items.length === 0;
    this.takedownsCard.replaceChildren(
      el("h3", { className: "card-title", id: "takedowns-title" }, "Taken down by the platform"),
      ...items.map((entry) => takedownNotice(this.api, entry))
    );
  }

  // Earnings -------------------------------------------------------------------------------------

  async loadEarnings() {
    try {
      this.earnings = await this.api.earnings();
    } catch (error) {
      console.error("openminis: earnings not loaded", error);
      this.earnings = { error };
    }
    this.renderEarnings();
  }

  async loadMoreEarnings(button) {
    await whileBusy(button, async () => {
      try {
        const more = await this.api.earnings(this.earnings.next_cursor);
        this.earnings = { ...more, conversions: [...this.earnings.conversions, ...more.conversions] };
      } catch (error) {
        part(this.earningsCard, ".form-error").textContent = errorMessage(error);
        return;
      }
      this.renderEarnings();
    });
  }

  renderEarnings() {
    if (!this.earningsCard) return;
    const refresh = el("button", { type: "button", className: "button-secondary button-small", "aria-label": "Refresh earnings" }, "Refresh");
    refresh.addEventListener("click", () => whileBusy(refresh, () => this.loadEarnings()));
    const header = el("div", { className: "card-header" }, el("h3", { className: "card-title", id: "earnings-title" }, "Earnings"), refresh);
    const { earnings } = this;
    if (!earnings) {
      this.earningsCard.replaceChildren(header, el("p", { className: "card-note" }, "Loading…"));
      return;
    }
    if (earnings.error) {
      this.earningsCard.replaceChildren(header, el("p", { className: "form-error", role: "alert" }, errorMessage(earnings.error)));
      return;
    }
    const coins = earnings.balances.COIN ?? 0;
    const micros = earnings.balances.USD_MICROS ?? 0;
    const balances = el(
      "dl",
      { className: "earnings-balances" },
      el("div", {}, el("dt", {}, "Coins earned"), el("dd", { dataset: { earningsCoins: String(coins) } }, coinAmount(coins))),
      el("div", {}, el("dt", {}, "From ads"), el("dd", { dataset: { earningsMicros: String(micros) } }, amount(micros, "USD_MICROS")))
    );
    const list = earnings.conversions.length
      ? el("ul", { className: "conversion-list", "aria-label": "Conversions" }, earnings.conversions.map((conversion) => this.conversionItem(conversion)))
      : el("p", { className: "card-note" }, "No conversions yet. When someone buys in a game or drama after your post, it shows here.");
    const more = earnings.next_cursor ? el("button", { type: "button", className: "button-secondary button-small" }, "Show more") : null;
    more?.addEventListener("click", () => this.loadMoreEarnings(more));
    this.earningsCard.replaceChildren(.../** @type {HTMLElement[]} */ ([header, balances, el("p", { className: "form-error", role: "alert" }), list, more].filter(Boolean)));
  }

  conversionItem(conversion) {
    const app = this.targets?.names.get(conversion.app_id) || conversion.app_id;
    const post = conversion.post_id && this.posts?.find((item) => item.id === conversion.post_id);
    const named = post && `your post “${post.caption || "untitled"}”`;
    const from = named && conversion.source === "share" ? `a shared link to ${named}` : named || SOURCES[conversion.source] || "elsewhere";
    const what = `${CONVERSION_KINDS[conversion.kind] || conversion.kind} in ${app}`;
    const clawed = conversion.clawed_back > 0 ? el("span", { className: "conversion-clawed" }, "Refunded: −", amount(conversion.clawed_back, conversion.currency)) : null;
    const dataset = { kind: conversion.kind, appId: conversion.app_id };
    if (conversion.post_id) dataset.postId = conversion.post_id;
    return el(
      "li",
      { className: "conversion", dataset },
      el(
        "div",
        { className: "conversion-text" },
        el("p", { className: "conversion-what" }, what),
        el("p", { className: "conversion-detail" }, `From ${from} · ${formatDateTime(conversion.at)}`),
        el("p", { className: "conversion-detail" }, "Spent ", amount(conversion.revenue, conversion.currency), clawed ? " · " : null, clawed)
      ),
      el("p", { className: "conversion-commission" }, el("span", { className: "visually-hidden" }, "Your commission: "), "+", amount(conversion.commission, conversion.currency))
    );
  }

  // What a post may link to ------------------------------------------------------------------------

  async loadTargets() {
    if (this.targets) return;
    const [games, dramaApps, series] = await Promise.all([
      this.api.hub("game").then(({ items }) => items, () => []),
      this.api.hub("drama").then(({ items }) => items, () => []),
      this.api.dramas().then(({ items }) => items, () => []),
    ]);
    const names = new Map([...games, ...dramaApps].map((card) => [card.app_id, card.name]));
    this.targets = { games, dramaApps, series, names };
    // Only the picker's options: the person may have started filling in the form meanwhile.
    this.anchorSelect?.replaceChildren(...this.anchorOptions().filter(Boolean));
    this.renderEarnings(); // app names for the conversions
  }

  // Posting --------------------------------------------------------------------------------------

  renderCompose() {
    if (!this.composeCard) return;
    const title = el("h3", { className: "card-title", id: "compose-title" }, "New post");
    const file = el("input", { id: "post-file", name: "video", type: "file", accept: "video/*", required: true, className: "file-field", "aria-describedby": "post-file-hint post-error" });
    const caption = el("textarea", { id: "post-caption", name: "caption", className: "text-field text-area", maxlength: String(CAPTION_MAX), rows: "2", "aria-describedby": "post-error" });
    const anchor = el("select", { id: "post-anchor", name: "anchor", className: "text-field", "aria-describedby": "post-anchor-hint" }, this.anchorOptions());
    this.anchorSelect = anchor;
    const episode = el("select", { id: "post-episode", name: "episode", className: "text-field" });
    const episodeField = el("div", { className: "field", hidden: true }, el("label", { for: "post-episode" }, "Episode"), episode);
    anchor.addEventListener("change", () => this.fillEpisodes(anchor.value, episode, episodeField));
    const message = formError("post-error");
    const progress = el(
      "div",
      { className: "progress upload-progress", role: "progressbar", "aria-label": "Uploading", "aria-valuemin": "0", "aria-valuemax": "100", hidden: true },
      el("div", { className: "progress-fill" })
    );
    const submit = el("button", { type: "submit", className: "button-primary" }, "Post");
    const form = el(
      "form",
      { className: "studio-form", "aria-labelledby": "compose-title", novalidate: true },
      el(
        "div",
        { className: "field" },
        el("label", { for: "post-file" }, "Video"),
        file,
        el("p", { className: "field-hint", id: "post-file-hint" }, "A short vertical video (9:16). It is ready to watch once it has been converted.")
      ),
      el("div", { className: "field" }, el("label", { for: "post-caption" }, "Caption"), caption),
      el(
        "div",
        { className: "field" },
        el("label", { for: "post-anchor" }, "Link to"),
        anchor,
        el("p", { className: "field-hint", id: "post-anchor-hint" }, "Viewers open it from a chip on your post. You earn on what they buy there.")
      ),
      episodeField,
      message,
      progress,
      submit
    );
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      const video = /** @type {FileList} */ (file.files)[0];
      if (!video) {
        showError(form, message, { message: "Choose a video to post.", field: "video" });
        return;
      }
      const target = this.anchorFor(anchor.value, episode.value);
      whileBusy(submit, async () => {
        showError(form, message, null);
        progress.hidden = false;
        const fill = part(progress, ".progress-fill");
        const onProgress = (share) => {
          const percent = Math.round(share * 100);
          progress.setAttribute("aria-valuenow", String(percent));
          fill.style.transform = `scaleX(${share})`;
        };
        onProgress(0);
        let post;
        try {
          post = await this.api.uploadPost(video, { caption: caption.value.trim(), anchor: target }, { onProgress });
        } catch (error) {
          progress.hidden = true;
          showError(form, message, error.field === "caption" || error.field === "video" ? error : { message: errorMessage(error) });
          return;
        }
        this.posts = [post, ...(this.posts || []).filter((item) => item.id !== post.id)];
        form.reset();
        episodeField.hidden = true;
        progress.hidden = true;
        this.renderPosts();
        /** @type {HTMLElement | null} */ (this.postsCard.querySelector(`[data-post-id="${post.id}"]`))?.focus();
        this.schedulePoll();
      });
    });
    this.composeCard.replaceChildren(title, form);
  }

  anchorOptions() {
    const none = el("option", { value: "" }, "Nothing");
    if (!this.targets) return [none, el("option", { value: "", disabled: true }, "Loading games and dramas…")];
    const { games, dramaApps, series } = this.targets;
    const group = (label, options) => (options.length ? el("optgroup", { label }, options) : null);
    return [
      none,
      group("Games", games.map((card) => el("option", { value: `app:${card.app_id}` }, card.name))),
      group("Drama series", series.map((item) => el("option", { value: `series:${item.id}` }, item.title))),
      group("Drama apps", dramaApps.map((card) => el("option", { value: `app:${card.app_id}` }, card.name))),
    ];
  }

  fillEpisodes(value, select, field) {
    const series = value.startsWith("series:") ? this.targets.series.find((item) => item.id === value.slice(7)) : null;
    field.hidden = !series;
    if (!series) return;
    const numbers = Array.from({ length: series.episode_count }, (_, index) => index + 1);
    select.replaceChildren(
      el("option", { value: "" }, `The whole series (${episodeCount(series.episode_count)})`),
      ...numbers.map((number) => el("option", { value: String(number) }, `Episode ${number}`))
    );
  }

  /** The anchor for the upload from the picker's values, or null for no link. */
  anchorFor(value, episode) {
    if (value.startsWith("app:")) return { kind: "app", app_id: value.slice(4) };
    if (value.startsWith("series:")) {
      const series = this.targets.series.find((item) => item.id === value.slice(7));
      if (!series) return null;
      return episode
        ? { kind: "episode", app_id: series.app_id, series_id: series.id, episode: Number(episode) }
        : { kind: "series", app_id: series.app_id, series_id: series.id };
    }
    return null;
  }

  // My posts -------------------------------------------------------------------------------------

  async loadPosts() {
    let posts;
    try {
      posts = await this.api.creatorPosts();
    } catch (error) {
      console.error("openminis: posts not loaded", error);
      posts = this.posts ?? [];
    }
    // A poll that changed nothing leaves the list (and a half-confirmed delete) alone.
    const changed = JSON.stringify(posts) !== JSON.stringify(this.posts);
    this.posts = posts;
    if (changed) {
      this.renderPosts();
      this.renderEarnings(); // conversions name the posts behind them by caption
    }
    this.schedulePoll();
  }

  // While a post is being converted its status is asked again, as long as the studio is on screen.
  schedulePoll() {
    clearTimeout(this.pollTimer ?? undefined);
    if (!this.posts?.some((post) => post.status === "uploaded")) return;
    this.pollTimer = setTimeout(() => {
      if (this.isShown) this.loadPosts();
    }, POLL_MS);
  }

  renderPosts() {
    if (!this.postsCard) return;
    const title = el("h3", { className: "card-title", id: "my-posts-title", tabindex: "-1" }, "My posts");
    if (this.posts === null) {
      this.postsCard.replaceChildren(title, el("p", { className: "card-note" }, "Loading…"));
      return;
    }
    if (this.posts.length === 0) {
      this.postsCard.replaceChildren(title, el("p", { className: "card-note" }, "You have not posted yet."));
      return;
    }
    this.postsCard.replaceChildren(title, el("ul", { className: "post-list", "aria-labelledby": "my-posts-title" }, this.posts.map((post) => this.postItem(post))));
  }

  postItem(post) {
    const thumb = post.poster_url
      ? el("img", { className: "post-thumb", src: post.poster_url, alt: "", decoding: "async", loading: "lazy" })
      : el("span", { className: "post-thumb is-empty" }, icon("play"));
    const name = post.caption || "Untitled post";
    const status = this.postStatus(post);
    const link = post.anchor ? el("p", { className: "post-item-link" }, appIcon(post.anchor.card, "tiny"), post.anchor.title) : null;
    const message = el("p", { className: "form-error", role: "alert" });
    const remove = el("button", { type: "button", className: "button-secondary button-small", "aria-label": `Delete “${name}”` }, "Delete");
    remove.addEventListener("click", () => this.confirmDelete(post, remove, message, name));
    return el(
      "li",
      { className: "post-item", tabIndex: -1, dataset: { postId: post.id, status: post.status } },
      thumb,
      el("div", { className: "post-item-text" }, el("p", { className: "post-item-caption" }, name), status, link, message),
      remove
    );
  }

  postStatus(post) {
    if (post.status === "ready") return el("p", { className: "post-status is-ready" }, icon("check"), "Live in the feed");
    if (post.status === "failed") return el("p", { className: "post-status is-failed" }, `Could not be converted${post.error ? `: ${post.error}` : ""}`);
    if (post.status === "removed") return el("p", { className: "post-status is-failed" }, "Taken down by the platform (see why above)");
    const percent = Math.max(0, Math.min(100, post.progress || 0));
    return el(
      "div",
      { className: "post-status is-processing" },
      el("span", {}, `Converting… ${percent}%`),
      el(
        "div",
        { className: "progress", role: "progressbar", "aria-label": `Converting “${post.caption || "Untitled post"}”`, "aria-valuemin": "0", "aria-valuemax": "100", "aria-valuenow": String(percent) },
        el("div", { className: "progress-fill", style: `transform: scaleX(${percent / 100})` })
      )
    );
  }

  // Deleting takes two taps on the same button: the first asks, the second deletes.
  confirmDelete(post, button, message, name) {
    if (button.dataset.confirming !== "1") {
      button.dataset.confirming = "1";
      button.textContent = "Delete for good?";
      button.setAttribute("aria-label", `Delete “${name}” for good`);
      return;
    }
    whileBusy(button, async () => {
      try {
        await this.api.deletePost(post.id);
      } catch (error) {
        message.textContent = errorMessage(error);
        return;
      }
      this.posts = this.posts.filter((item) => item.id !== post.id);
      this.renderPosts();
      part(this.postsCard, ".card-title").focus();
    });
  }
}
