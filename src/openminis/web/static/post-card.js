// A creator's post in the feed: a short vertical video, the creator, the caption and, when the
// post has one, its anchor chip, which opens the linked mini-program or drama at once.
//
// The video plays muted while the post is the one in view (the feed says which) and pauses when
// it leaves; a tap on the picture, or the labelled sound button, turns the sound on, for this
// post and the ones after it. Only posts near the one in view hold a video source: a browser
// runs out of media players long before a person runs out of feed.
// @ts-check

import { appIcon } from "./app-tile.js";
import { el } from "./dom.js";
import { icon } from "./icons.js";

// A loop back to the start after the clock was this close to the end counts as watched through.
const END_SLACK_S = 1;
// A video whose source failed (a busy server's 503, a dropped connection) asks again after this,
// twice as long each time up to the cap, while the post holds its source.
const RETRY_FIRST_MS = 1000;
const RETRY_MAX_MS = 15_000;

/** What a tap on the chip does, in words: games are played, dramas watched. */
export function anchorVerb(anchor) {
  return anchor.kind === "app" && anchor.card.kind !== "drama" ? "Play" : "Watch";
}

export class PostCard {
  /** @type {HTMLVideoElement} */
  video;
  /** @type {HTMLButtonElement} */
  soundButton;
  /** @type {HTMLButtonElement} */
  likeButton;
  /** @type {HTMLButtonElement} */
  followButton;
  /**
   * @param {any} post a PostOut from the feed
   * @param {number} index its place in the feed, for aria-posinset and element ids
   * @param {import("./feed.js").Feed} feed the feed: `muted`, `setMuted(muted)`, `events`, `openAnchor(post, event)`, `share(post)`
   * @param {string|null} [shareCode] the share link this post was opened from, if it was: its chip
   *   launches then come from the link (the sharer), and the post's creator is credited through it
   */
  constructor(post, index, feed, shareCode = null) {
    this.post = post;
    this.shareCode = shareCode;
    this.feed = feed;
    this.anchor = post.anchor;
    this.current = false; // the feed's post in view: it may play
    this.started = false; // the play event of this turn in view was sent
    this.completed = false;
    this.lastTime = 0;
    this.failures = 0; // loads of the video that failed in a row
    /** @type {ReturnType<typeof setTimeout> | null} */
    this.retryTimer = null;
    this.element = this.render(index);
  }

  /** The app its chip opens (for a drama, the drama's app), or null without an anchor. */
  get appId() {
    return this.anchor?.app_id ?? null;
  }

  /** Where the chip's launches come from: the post, or the share link that showed it. */
  get source() {
    return this.shareCode ? "share" : "post";
  }

  /** What the post's events say about it (a share code is not an event field). */
  get eventFields() {
    return { post_id: this.post.id, creator_id: this.post.creator.user_id };
  }

  /** What the chip's launches say about their source. */
  get via() {
    return this.shareCode ? { ...this.eventFields, share: this.shareCode } : this.eventFields;
  }

  render(index) {
    const { post } = this;
    const handle = `@${post.creator.handle}`;
    const handleId = `post-handle-${index}`;
    const captionId = `post-caption-${index}`;

    this.video = el("video", {
      className: "post-video",
      muted: true,
      playsInline: true,
      loop: true,
      preload: "metadata",
      disableRemotePlayback: true,
      poster: post.poster_url || undefined,
      "aria-label": `Video by ${handle}`,
    });
    // `muted` as a property does not set the attribute, and autoplay policies read the attribute.
    this.video.setAttribute("muted", "");
    this.video.setAttribute("playsinline", "");
    for (const name of ["playing", "timeupdate", "seeking", "error"]) {
      this.video.addEventListener(name, (event) => this.onVideoEvent(event));
    }

    this.soundButton = el("button", { type: "button", className: "post-rail-button post-sound" });
    this.soundButton.addEventListener("click", () => this.feed.setMuted(!this.feed.muted));
    const share = el(
      "button",
      { type: "button", className: "post-rail-button post-share", "aria-label": `Share ${handle}’s post` },
      icon("share"),
      el("span", { "aria-hidden": "true" }, "Share")
    );
    share.addEventListener("click", () => this.feed.share(this.post));
    const report = el(
      "button",
      { type: "button", className: "post-rail-button post-report", "aria-label": `Report ${handle}’s post` },
      icon("flag"),
      el("span", { "aria-hidden": "true" }, "Report")
    );
    report.addEventListener("click", () => this.feed.report(this.post));
    this.likeButton = el("button", { type: "button", className: "post-rail-button post-like" });
    this.likeButton.addEventListener("click", () => this.feed.like(this.post, !this.post.liked));
    this.followButton = el("button", { type: "button", className: "post-follow" });
    this.followButton.addEventListener("click", () => this.feed.follow(this.post, !this.post.following));
    this.followButton.hidden = post.creator.user_id === this.feed.viewerId();
    this.showLike(post.liked, post.likes);
    this.showFollow(post.following);

    const creator = el(
      "p",
      { className: "post-creator" },
      el("img", { className: "avatar post-avatar", src: post.creator.avatar_url, alt: "", decoding: "async" }),
      el(
        "a",
        {
          className: "post-handle",
          id: handleId,
          href: `/c/${encodeURIComponent(post.creator.handle)}`,
          onClick: (/** @type {MouseEvent} */ event) => {
            event.preventDefault();
            this.pause();
            this.feed.openCreator(post.creator.handle);
          },
        },
        handle
      ),
      post.creator.display_name ? el("span", { className: "post-name" }, post.creator.display_name) : null,
      this.followButton
    );
    const caption = el("p", { className: "post-caption", id: captionId }, post.caption);

    const article = el(
      "article",
      {
        className: "feed-item feed-post",
        tabIndex: -1, // focusable by Page Down/Up, not a Tab stop of its own
        dataset: { itemId: `post:${post.id}`, postId: post.id, creatorId: post.creator.user_id },
        "aria-posinset": String(index + 1),
        "aria-labelledby": post.caption ? `${handleId} ${captionId}` : handleId,
      },
      el("div", { className: "post-stage" }, this.video),
      el("div", { className: "post-rail" }, this.likeButton, this.soundButton, share, report),
      el("div", { className: "post-bottom" }, creator, post.caption ? caption : null, this.anchor ? this.renderChip() : null)
    );
    if (this.appId) article.dataset.anchorAppId = this.appId;
    // A tap on the picture is for the sound; the controls over it keep their own clicks. The
    // event's path, not target.closest(): the sound button redraws its content as it is clicked.
    article.addEventListener("click", (event) => {
      if (event.composedPath().some((node) => /** @type {Element} */ (node).matches?.("button, a"))) return;
      this.feed.setMuted(!this.feed.muted);
    });
    this.renderSound();
    return article;
  }

  renderChip() {
    const { anchor } = this;
    const verb = anchorVerb(anchor);
    const chip = el(
      "button",
      {
        type: "button",
        className: "post-anchor",
        dataset: { anchorKind: anchor.kind, appId: anchor.app_id },
        "aria-label": `${verb} ${anchor.title}`,
      },
      appIcon(anchor.card, "chip"),
      el("span", { className: "post-anchor-title" }, anchor.title),
      el("span", { className: "post-anchor-action", "aria-hidden": "true" }, icon("play"), verb)
    );
    chip.addEventListener("click", (event) => {
      this.pause();
      this.feed.openAnchor(this, event);
    });
    return chip;
  }

  /** Whether the person likes the post, and how many do: what the like button shows. */
  showLike(liked, likes) {
    this.post = { ...this.post, liked, likes };
    const handle = `@${this.post.creator.handle}`;
    this.likeButton.setAttribute("aria-pressed", String(liked));
    this.likeButton.setAttribute("aria-label", `${liked ? "Unlike" : "Like"} ${handle}’s post, ${likes} ${likes === 1 ? "like" : "likes"}`);
    this.likeButton.replaceChildren(icon("heart"), el("span", { className: "post-like-count", "aria-hidden": "true" }, String(likes)));
  }

  showFollow(following) {
    this.post = { ...this.post, following };
    this.followButton.setAttribute("aria-pressed", String(following));
    this.followButton.setAttribute("aria-label", `${following ? "Unfollow" : "Follow"} @${this.post.creator.handle}`);
    this.followButton.textContent = following ? "Following" : "Follow";
  }

  renderSound() {
    const { muted } = this.feed;
    this.video.muted = muted;
    this.soundButton.setAttribute("aria-pressed", String(muted));
    this.soundButton.setAttribute("aria-label", muted ? "Turn sound on" : "Mute");
    this.soundButton.replaceChildren(icon(muted ? "muted" : "sound"), el("span", { "aria-hidden": "true" }, muted ? "Muted" : "Sound"));
  }

  /** Near the post in view: give the video its source, so a swipe to it starts at once. */
  load() {
    if (this.video.hasAttribute("src") || !this.post.video_url) return;
    this.video.src = this.post.video_url;
  }

  /** Far from view: the element lets go of its decoder and buffer (the poster stays). */
  unload() {
    if (!this.video.hasAttribute("src")) return;
    clearTimeout(this.retryTimer ?? undefined);
    this.retryTimer = null;
    this.video.pause();
    this.video.removeAttribute("src");
    this.video.load();
  }

  /** The post came into view (or back to it): play from where it was, muted unless sound is on. */
  play() {
    this.current = true;
    this.load();
    this.renderSound();
    this.video.play().catch((error) => {
      if (error.name !== "NotAllowedError" || !this.current) return;
      // Sound needs a gesture the browser counts: play muted, and let the button offer it.
      this.feed.setMuted(true);
      this.video.play().catch(() => {});
    });
  }

  /** Out of view, or something covers the feed. */
  pause() {
    this.video.pause();
  }

  /** The feed moved on: the next time in view is a new turn, with its own play event. */
  leave() {
    this.current = false;
    this.started = false;
    this.completed = false;
    this.pause();
  }

  onVideoEvent(event) {
    const { video } = this;
    switch (event.type) {
      case "playing":
        this.failures = 0;
        if (!this.started && this.current) {
          this.started = true;
          this.track("play");
        }
        break;
      case "timeupdate":
        this.lastTime = video.currentTime;
        break;
      case "seeking":
        // `loop` seeks back to the start instead of ending: that seek is the end of a viewing.
        if (video.currentTime < END_SLACK_S && this.lastTime >= (video.duration || 0) - END_SLACK_S && !this.completed) {
          this.completed = true;
          this.track("complete");
        }
        this.lastTime = video.currentTime;
        break;
      case "error":
        this.retryLater();
        break;
    }
  }

  /** The source failed: load it again later (a media element does not retry by itself). */
  retryLater() {
    if (!this.video.hasAttribute("src") || this.retryTimer !== null) return;
    const wait = Math.min(RETRY_FIRST_MS * 2 ** this.failures, RETRY_MAX_MS);
    this.failures += 1;
    this.retryTimer = setTimeout(() => {
      this.retryTimer = null;
      if (!this.video.hasAttribute("src")) return; // let go of meanwhile (unload)
      this.video.load();
      if (this.current) this.play();
    }, wait);
  }

  // Events name an app (the schema requires it): a post without an anchor sends none.
  track(type) {
    if (!this.appId) return;
    this.feed.events.track(type, this.appId, { source: this.source, ...this.eventFields });
  }
}
