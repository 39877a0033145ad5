// "Your data" on the Me screen: download everything the platform keeps about the person (one JSON
// file), and delete the account. Deleting asks first, inline: the person types DELETE, because it
// cannot be undone. Their coins, purchases and unlocks stay on the books under an id that names
// nobody; everything that says who they were goes, the apps that knew them are told, and this
// browser is signed out (the page reloads as a new guest).
// @ts-check

import { SIGNED_OUT } from "./account.js";
import { errorMessage } from "./api.js";
import { el } from "./dom.js";
import { coinsLabel } from "./format.js";
import { whileBusy } from "./sheets.js";

const CONFIRMATION = "DELETE";

export class MyData {
  /**
   * @param {object} options
   * @param {import("./api.js").Api} options.api
   * @param {{balance: number | null}} options.wallet the coins the deletion would lose, said before
   */
  constructor({ api, wallet }) {
    this.api = api;
    this.wallet = wallet;
    this.root = el("section", { className: "card my-data", "aria-labelledby": "my-data-title" });
    this.render();
  }

  render() {
    const download = el("a", { className: "button-secondary", href: "/api/me/data", download: "openminis-data.json" }, "Download my data");
    const remove = el("button", { type: "button", className: "button-secondary button-danger" }, "Delete my account");
    remove.addEventListener("click", () => this.confirm());
    this.root.replaceChildren(
      el("h2", { className: "card-title", id: "my-data-title" }, "Your data"),
      el("p", { className: "card-note" }, "Everything kept about you (account, coins and their history, purchases, unlocks, saves, posts, activity) in one file."),
      el("div", { className: "my-data-actions" }, download, remove)
    );
  }

  /** The confirmation step: what goes, what stays, and DELETE typed to go on. */
  confirm() {
    const input = el("input", {
      id: "delete-confirmation",
      name: "confirm",
      className: "text-field",
      autocomplete: "off",
      autocapitalize: "characters",
      spellcheck: "false",
      "aria-describedby": "delete-account-note delete-account-error",
    });
    const go = el("button", { type: "submit", className: "button-primary button-danger", disabled: true }, "Delete my account for good");
    const cancel = el("button", { type: "button", className: "button-secondary" }, "Keep my account");
    const message = el("p", { className: "form-error", id: "delete-account-error", role: "alert" });
    input.addEventListener("input", () => {
      go.disabled = input.value.trim() !== CONFIRMATION;
    });
    cancel.addEventListener("click", () => this.render());
    const form = el(
      "form",
      { className: "delete-account", "aria-label": "Delete my account" },
      el(
        "p",
        { className: "card-note", id: "delete-account-note" },
        "Your email, name, password, saves, posts and sign-ins are erased, and the apps you used are told. " +
          `${lostCoins(this.wallet.balance)} Purchases stay on the books without your name. This cannot be undone.`
      ),
      el("label", { for: "delete-confirmation" }, `Type ${CONFIRMATION} to confirm`),
      input,
      message,
      el("div", { className: "my-data-actions" }, cancel, go)
    );
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      whileBusy(go, async () => {
        try {
          await this.api.request("POST", "/api/me/delete", { body: { confirm: input.value.trim() } });
        } catch (error) {
          message.textContent = errorMessage(error);
          return;
        }
        try {
          sessionStorage.setItem(SIGNED_OUT, "deleted"); // the reloaded Me page says it was done (me.js)
        } catch {
          // storage refused: the page reloads all the same
        }
        location.reload(); // signed out: the host starts over as a new guest
      });
    });
    this.root.replaceChildren(el("h2", { className: "card-title", id: "my-data-title" }, "Delete your account?"), form);
    input.focus();
  }
}

/**
 * What the deletion takes from the wallet, by number: "Coins left in your wallet are lost" did not
 * say that 940 coins bought for $9.99 would go (a probe, player52).
 * @param {number | null} balance
 */
export function lostCoins(balance) {
  if (balance === null) return "Coins left in your wallet are lost.";
  if (balance === 0) return "Your wallet is empty.";
  return `The ${coinsLabel(balance)} in your wallet ${balance === 1 ? "is" : "are"} lost.`;
}
