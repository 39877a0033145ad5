// An app's team: its members and their roles, invitations by email (owners only), and the
// invitations waiting for the signed-in person, with an Accept button.
// @ts-check

import { el } from "./dom.js";
import { formatDateTime } from "./format.js";
import { busy, card, errorLine, field, input, may, note, select } from "./console-ui.js";

/** @typedef {import("./console-versions.js").Context} Context */

/** @type {[string, string][]} */
const ROLES = [
  ["owner", "Owner: everything, releases, secret and team"],
  ["developer", "Developer: uploads, submits, sells, ads"],
  ["viewer", "Viewer: sees everything, changes nothing"],
  ["tester", "Tester: opens previews only"],
];

/**
 * @param {Context} context
 * @returns {Promise<Node[]>}
 */
export async function teamScreen(context) {
  const { api, app } = context;
  const team = await api.team(app.app_id);
  const manages = may(app.role, "team");
  const message = errorLine();
  const members = el(
    "ul",
    { className: "member-list", "aria-label": "Members" },
    team.members.map((member) => {
      const row = el("li", { className: "member", dataset: { developer: member.developer_id } }, el("span", { className: "member-name" }, member.name));
      if (!manages) {
        row.append(el("span", { className: "role-badge" }, member.role));
        return row;
      }
      const role = select("role", ROLES.map(([value]) => [value, value]), member.role);
      role.setAttribute("aria-label", `Role of ${member.name}`);
      role.addEventListener("change", async () => {
        const done = await busy(null, message, () => api.setRole(app.app_id, member.developer_id, role.value));
        if (done === undefined) role.value = member.role;
        else context.reload();
      });
      const remove = el("button", { type: "button", className: "button-secondary button-small" }, "Remove");
      remove.setAttribute("aria-label", `Remove ${member.name}`);
      remove.addEventListener("click", async () => {
        const done = await busy(remove, message, () => api.setRole(app.app_id, member.developer_id, null));
        if (done !== undefined) context.reload();
      });
      row.append(role, remove);
      return row;
    })
  );
  const pending = team.invitations.length
    ? el(
        "ul",
        { className: "member-list", "aria-label": "Invited" },
        team.invitations.map((invitation) => el("li", { className: "member" }, el("span", { className: "member-name" }, invitation.email), el("span", { className: "role-badge" }, invitation.role), el("span", { className: "card-note" }, `invited ${formatDateTime(invitation.created_at)}`)))
      )
    : null;
  return [card("Team", members, message, pending ? el("h4", { className: "card-title" }, "Invited") : null, pending), manages ? inviteCard(context) : null].filter((node) => node !== null);
}

/** @param {Context} context */
function inviteCard(context) {
  const { api, app } = context;
  const email = input({ type: "email", name: "email", required: true, maxLength: 254, autocomplete: "off" });
  const role = select("role", ROLES, "developer");
  const message = errorLine();
  const sent = el("p", { className: "card-note", role: "status" });
  const invite = el("button", { type: "submit", className: "button-primary" }, "Invite");
  const form = el("form", { className: "console-form" }, field("Email", email), field("Role", role), message, sent, invite);
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const invitation = await busy(invite, message, () => api.invite(app.app_id, email.value.trim(), role.value));
    if (invitation) context.reload();
  });
  return card("Invite someone", note("They get an email, and accept in this console once signed in with that address."), form);
}

/**
 * The invitations waiting for the signed-in person; null when there are none.
 * @param {import("./console-api.js").ConsoleApi} api
 * @param {(appId: string) => void} onAccepted
 */
export async function myInvitations(api, onAccepted) {
  const { items } = await api.myInvitations().catch(() => ({ items: [] }));
  if (!items.length) return null;
  const message = errorLine();
  return el(
    "section",
    { className: "card console-card invitations", "aria-labelledby": "invitations-title" },
    el("h2", { className: "section-title", id: "invitations-title" }, "Invitations"),
    el(
      "ul",
      { className: "member-list" },
      items.map((invitation) => {
        const accept = el("button", { type: "button", className: "button-primary button-small" }, "Accept");
        accept.setAttribute("aria-label", `Accept the invitation to ${invitation.app_id}`);
        accept.addEventListener("click", async () => {
          const app = await busy(accept, message, () => api.acceptInvitation(invitation.id));
          if (app) onAccepted(app.app_id);
        });
        return el("li", { className: "member", dataset: { invitation: invitation.id } }, el("span", { className: "member-name" }, `${invitation.app_id} as ${invitation.role}`), accept);
      })
    ),
    message
  );
}
