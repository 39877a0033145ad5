// A creator's page (/c/{handle}): who they are, how many follow them, a Follow button, the apps
// their posts link to and their posts, newest first. Shown in a sheet over what was open; a
// post opens the feed at it (/p/{post}).
// @ts-check

import { errorMessage } from "./api.js";
import { appTile } from "./app-tile.js";
import { el } from "./dom.js";

export class CreatorPage {
  /**
   * @param {object} options
   * @param {import("./sheets.js").Sheets} options.sheets
   * @param {import("./api.js").Api} options.api
   * @param {(card: any, source: string, event?: Event) => void} options.onLaunch
   * @param {(error: any) => void} options.onActionError a follow was refused (a guest is asked to sign in)
   */
  constructor({ sheets, api, onLaunch, onActionError }) {
    this.sheets = sheets;
    this.api = api;
    this.onLaunch = onLaunch;
    this.onActionError = onActionError;
  }

  /**
   * @param {string} handle a handle or a creator's id
   * @returns {Promise<boolean>} false when there is no such creator (the person has been told)
   */
  async open(handle) {
    const sheet = this.sheets.claim();
    if (!sheet) return true;
    sheet.show({ title: `@${handle}`, body: el("p", { className: "sheet-note", role: "status" }, "Loading…") });
    let profile;
    try {
      profile = await this.api.creatorProfile(handle);
    } catch (error) {
      if (error?.status === 404) {
        // Never there, or suspended: a sheet saying "no creator 'nobody'" was the server's words
        // to a developer (a probe followed /c/nobody). The person gets the host's, as for a post.
        sheet.close();
        this.sheets.notify("That creator is no longer available.");
        return false;
      }
      sheet.show({ title: `@${handle}`, body: el("p", { className: "form-error", role: "alert" }, errorMessage(error)) });
      return true;
    }
    sheet.show({ title: `@${profile.creator.handle}`, body: this.render(profile, sheet) });
    return true;
  }

  render(profile, sheet) {
    const { creator } = profile;
    const followers = el("p", { className: "creator-followers", role: "status" });
    const follow = el("button", { type: "button", className: "button-primary creator-follow" });
    const show = (following, count) => {
      followers.textContent = `${count} ${count === 1 ? "follower" : "followers"}`;
      follow.textContent = following ? "Following" : "Follow";
      follow.setAttribute("aria-pressed", String(following));
      follow.setAttribute("aria-label", `${following ? "Unfollow" : "Follow"} @${creator.handle}`);
      follow.onclick = async () => {
        try {
          const answer = await this.api.followCreator(creator.handle, !following);
          show(answer.following, answer.followers);
        } catch (error) {
          sheet.close();
          this.onActionError(error);
        }
      };
    };
    show(profile.following, profile.followers);
    const apps = profile.apps.length
      ? el(
          "section",
          { className: "creator-apps", "aria-label": "Apps in their posts" },
          el("h3", { className: "section-title" }, "Apps in their posts"),
          el("ul", { className: "recents-row" }, profile.apps.map((card) => el("li", {}, appTile(card, "hub", this.onLaunch))))
        )
      : null;
    const posts = el(
      "ul",
      { className: "creator-posts", "aria-label": "Posts" },
      profile.posts.map((post) =>
        el(
          "li",
          {},
          el(
            "a",
            { className: "creator-post", href: `/p/${encodeURIComponent(post.id)}`, dataset: { postId: post.id } },
            post.poster_url ? el("img", { src: post.poster_url, alt: "", decoding: "async" }) : null,
            el("span", { className: "creator-post-caption" }, post.caption || "Post"),
            el("span", { className: "creator-post-likes" }, `♥ ${post.likes}`)
          )
        )
      )
    );
    return el(
      "div",
      { className: "sheet-stack creator-page", dataset: { creatorId: creator.user_id } },
      el(
        "div",
        { className: "creator-head" },
        el("img", { className: "avatar creator-avatar", src: creator.avatar_url, alt: "", decoding: "async" }),
        el("div", {}, el("p", { className: "creator-name" }, creator.display_name), followers)
      ),
      creator.bio ? el("p", { className: "creator-bio" }, creator.bio) : null,
      follow,
      apps,
      profile.posts.length ? posts : el("p", { className: "sheet-note" }, "No posts yet.")
    );
  }
}
