// An app's ad units: rewarded (what watching earns, checked by the app's verify URL) and
// interstitial (between levels), with the app's share of ad revenue.
// @ts-check

import { el } from "./dom.js";
import { formatUsdMicros } from "./format.js";
import { bpsPercent, busy, card, errorLine, field, input, may, note, select } from "./console-ui.js";

/** @typedef {import("./console-versions.js").Context} Context */

/**
 * @param {Context} context
 * @returns {Promise<Node[]>}
 */
export async function adsScreen(context) {
  const { api, app } = context;
  const units = await api.adUnits(app.app_id);
  const editable = may(app.role, "advertise");
  const editor = el("div", { className: "unit-editor" });
  /** @param {any} unit */
  const edit = (unit) => {
    editor.replaceChildren(unitForm(context, unit));
    editor.querySelector("input")?.focus();
  };
  const table = el(
    "table",
    { className: "data-table", "aria-label": "Ad units" },
    el("thead", {}, el("tr", {}, ["Unit", "Kind", "Reward", "Floor CPM", "State", editable ? "" : null].filter((head) => head !== null).map((head) => el("th", { scope: "col" }, head)))),
    el(
      "tbody",
      {},
      units.items.map((unit) =>
        el(
          "tr",
          { dataset: { unit: unit.id } },
          el("th", { scope: "row" }, unit.name, el("div", { className: "mono card-note" }, unit.id)),
          el("td", {}, unit.kind),
          el("td", {}, unit.reward ? `${unit.reward.amount} ${unit.reward.type}` : "–"),
          el("td", {}, formatUsdMicros(unit.floor_cpm)),
          el("td", {}, unit.active ? "active" : "paused"),
          editable ? el("td", {}, el("button", { type: "button", className: "button-secondary button-small", onclick: () => edit(unit) }, "Edit")) : null
        )
      )
    )
  );
  return [
    card(
      "Ad units",
      note(`Your share of ad revenue: ${bpsPercent(units.developer_share_bps)} (set by the platform's operator).`),
      units.items.length ? el("div", { className: "table-scroll" }, table) : note("No ad units yet."),
      editable ? el("button", { type: "button", className: "button-secondary", onclick: () => edit(null) }, "New ad unit") : null,
      editor
    ),
  ];
}

/**
 * @param {Context} context
 * @param {any} unit an AdUnitOut, or null for a new one
 */
function unitForm(context, unit) {
  const { api, app } = context;
  const name = input({ name: "name", required: true, maxLength: 60, value: unit?.name || "" });
  const kind = select(
    "kind",
    [
      ["rewarded", "Rewarded (watched for a reward)"],
      ["interstitial", "Interstitial (between levels)"],
    ],
    unit?.kind || "rewarded"
  );
  kind.disabled = Boolean(unit); // a unit's kind stays what it was made as
  const id = input({ name: "id", maxLength: 32, pattern: "au_[a-z0-9_]{3,28}", placeholder: "au_extra_life", spellcheck: false });
  const rewardType = input({ name: "reward_type", maxLength: 32, value: unit?.reward?.type || "", placeholder: "coins_ingame" });
  const rewardAmount = input({ type: "number", name: "reward_amount", min: 1, step: 1, value: unit?.reward ? String(unit.reward.amount) : "" });
  const verifyUrl = input({ type: "url", name: "verify_url", maxLength: 500, value: unit?.verify_url || "", placeholder: "https://your-backend.example/rewards" });
  const watch = input({ type: "number", name: "min_watch_seconds", min: 1, max: 300, step: 1, value: unit?.min_watch_seconds ? String(unit.min_watch_seconds) : "" });
  const interval = input({ type: "number", name: "min_interval_seconds", min: 0, max: 86400, step: 1, value: unit?.min_interval_seconds !== null && unit?.min_interval_seconds !== undefined ? String(unit.min_interval_seconds) : "" });
  const floor = input({ type: "number", name: "floor", min: 0, step: 0.01, value: unit ? String(unit.floor_cpm / 1_000_000) : "0" });
  const active = el("input", { type: "checkbox", name: "active", checked: unit ? unit.active : true, id: `active-${unit?.id || "new"}` });
  const rewarded = el("div", { className: "console-form" }, field("Reward type", rewardType), field("Reward amount", rewardAmount), field("Verify URL", verifyUrl, "Called, signed, for every reward earned; optional."), field("Minimum watch (seconds)", watch, "Default 15."));
  const between = el("div", { className: "console-form" }, field("Minimum interval (seconds)", interval, "Per person; default 60."));
  const showKind = () => {
    rewarded.hidden = kind.value !== "rewarded";
    between.hidden = kind.value === "rewarded";
  };
  kind.addEventListener("change", showKind);
  showKind();
  const message = errorLine();
  const save = el("button", { type: "submit", className: "button-primary" }, unit ? "Save" : "Create ad unit");
  const form = el(
    "form",
    { className: "console-form", "aria-label": unit ? `Edit ${unit.name}` : "New ad unit" },
    field("Name", name),
    field("Kind", kind),
    unit ? null : field("Unit id (optional)", id, "A fixed id to ship in the package; made up when empty."),
    rewarded,
    between,
    field("Floor CPM (USD)", floor, "The lowest price per thousand impressions."),
    el("label", { className: "check-field", for: active.id }, active, " Active"),
    message,
    save
  );
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const isRewarded = kind.value === "rewarded";
    /** @type {Record<string, unknown>} */
    const body = {
      name: name.value.trim(),
      kind: kind.value,
      floor_cpm: Math.round(Number(floor.value || 0) * 1_000_000),
      active: active.checked,
      reward: isRewarded ? { type: rewardType.value.trim(), amount: Number(rewardAmount.value) } : null,
      verify_url: isRewarded && verifyUrl.value.trim() ? verifyUrl.value.trim() : null,
      min_watch_seconds: isRewarded && watch.value ? Number(watch.value) : null,
      min_interval_seconds: !isRewarded && interval.value ? Number(interval.value) : null,
    };
    if (!unit && id.value.trim()) body.id = id.value.trim();
    const saved = await busy(save, message, () => (unit ? api.putAdUnit(app.app_id, unit.id, body) : api.createAdUnit(app.app_id, body)));
    if (saved) context.reload();
  });
  return form;
}
