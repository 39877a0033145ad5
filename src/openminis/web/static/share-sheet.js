// Sharing: the platform makes a link for a post, an app, a series or an episode (POST /api/share),
// and the host shows it in a sheet to copy (or hand to the system's share menu where there is
// one). Whoever opens the link lands on the target directly, and the launch it leads to is
// credited to the link.
// @ts-check

import { errorMessage } from "./api.js";
import { el } from "./dom.js";

export class ShareSheet {
  /** @type {any} */
  sheet;
  /**
   * @param {object} options
   * @param {import("./sheets.js").Sheets} options.sheets
   * @param {import("./api.js").Api} options.api
   * @param {Record<string, any> | null} options.target what POST /api/share takes: `{kind, app_id?, series_id?, episode?, post_id?}`
   * @param {string} options.title what is shared, in words ("@maya’s post")
   * @param {{url: string, qrUrl: string, text: string} | null} [options.made] a link made already (minis.share's, bridge-social.js),
   *   shown with its QR code and the app's message
   * @param {any} [options.owner] the app the sheet is for, when an app asked for it
   */
  constructor({ sheets, api, target, title, made = null, owner = null }) {
    this.sheets = sheets;
    this.api = api;
    this.target = target;
    this.title = title;
    /** @type {{url: string, qrUrl: string, text: string} | null} */
    this.made = made;
    this.owner = owner;
  }

  /** Opens the sheet; returns it (its `signal` aborts when it closes), or null if another sheet is open. */
  async open() {
    const sheet = this.sheets.claim({ owner: this.owner });
    if (!sheet) return null;
    this.sheet = sheet;
    if (this.made) {
      this.show(this.made.url);
      return sheet;
    }
    sheet.show({ title: "Share", body: el("div", { className: "sheet-stack share-sheet" }, el("p", { className: "sheet-note", role: "status" }, "Making a link…")) });
    let link;
    try {
      link = await this.api.share(this.target);
    } catch (error) {
      sheet.show({ title: "Share", body: el("div", { className: "sheet-stack share-sheet" }, el("p", { className: "form-error", role: "alert" }, errorMessage(error))) });
      return sheet;
    }
    this.show(link.url);
    return sheet;
  }

  show(url) {
    const field = el("input", {
      id: "share-link",
      className: "text-field mono share-link",
      type: "url",
      readOnly: true,
      value: url,
      "aria-describedby": "share-note",
    });
    field.addEventListener("focus", () => field.select());
    const note = el("p", { className: "sheet-note", id: "share-note", role: "status" }, `Anyone with this link opens ${this.title} directly.`);
    const copy = el("button", { type: "button", className: "button-primary" }, "Copy link");
    copy.addEventListener("click", () => this.copy(url, field, note));
    const actions = [copy];
    if (navigator.share) {
      const more = el("button", { type: "button", className: "button-secondary" }, "Share to…");
      const text = this.made?.text;
      more.addEventListener("click", () => navigator.share({ url, title: this.title, ...(text ? { text } : {}) }).catch(() => {}));
      actions.push(more);
    }
    this.sheet.show({
      title: "Share",
      body: el(
        "div",
        { className: "sheet-stack share-sheet" },
        this.made ? el("p", { className: "consent-question" }, this.made.text) : null,
        // Drawn by the platform (segno): the link goes to no third party.
        this.made ? el("img", { className: "share-qr", alt: "QR code of the link", width: 160, height: 160, src: this.made.qrUrl }) : null,
        el("div", { className: "field" }, el("label", { for: "share-link" }, "Link"), field),
        note,
        el("div", { className: "sheet-actions" }, actions)
      ),
      focus: field,
    });
  }

  // The clipboard needs permission in some browsers: when it is refused the link stays selected
  // in the field, for the person to copy themselves.
  async copy(url, field, note) {
    try {
      await navigator.clipboard.writeText(url);
      this.sheet.close();
      this.sheets.notify("Link copied");
    } catch {
      field.focus();
      field.select();
      note.textContent = "Couldn’t copy: the link is selected, copy it from the field.";
    }
  }
}
