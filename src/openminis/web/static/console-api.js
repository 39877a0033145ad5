// The developer console's calls (developers/console.py, payments/console.py, ads/console.py,
// messages/console.py), on top of the host's Api: the same cookie session, CSRF token and error
// envelope.
// @ts-check

import { Api, uploadWithProgress } from "./api.js";

/** @param {string} appId */
const appPath = (appId) => `/api/developer/apps/${encodeURIComponent(appId)}`;

export class ConsoleApi extends Api {
  developerMe() {
    return this.request("GET", "/api/developer");
  }

  /** The studio's new name. @param {string} name */
  renameStudio(name) {
    return this.request("PATCH", "/api/developer", { body: { name } });
  }

  /** @param {{app_id: string, name: string, kind: string, category: string}} app */
  createApp(app) {
    return this.request("POST", "/api/developer/apps", { body: app });
  }

  /** @param {string} appId */
  app(appId) {
    return this.request("GET", appPath(appId));
  }

  /** @param {string} appId @param {number} graceSeconds */
  rotateSecret(appId, graceSeconds) {
    return this.request("POST", `${appPath(appId)}/secret`, { body: { grace_seconds: graceSeconds } });
  }

  /** @param {string} appId */
  messageTemplates(appId) {
    return this.request("GET", `${appPath(appId)}/message-templates`);
  }

  // Versions

  /** @param {string} appId */
  versions(appId) {
    return this.request("GET", `${appPath(appId)}/versions`);
  }

  /** @param {string} appId @param {string} version */
  version(appId, version) {
    return this.request("GET", `${appPath(appId)}/versions/${encodeURIComponent(version)}`);
  }

  /** @param {string} appId @param {string} version */
  submit(appId, version) {
    return this.request("POST", `${appPath(appId)}/versions/${encodeURIComponent(version)}/submit`);
  }

  /** @param {string} appId @param {string} version */
  checkAgain(appId, version) {
    return this.request("POST", `${appPath(appId)}/versions/${encodeURIComponent(version)}/checks`);
  }

  /** @param {string} appId @param {string} version @param {number} percent */
  release(appId, version, percent) {
    return this.request("POST", `${appPath(appId)}/versions/${encodeURIComponent(version)}/release`, { body: { percent } });
  }

  /** @param {string} appId @param {string} version @param {string} note */
  rollback(appId, version, note) {
    return this.request("POST", `${appPath(appId)}/rollback`, { body: { version, note } });
  }

  /** @param {string} appId @param {string} version */
  previewQrUrl(appId, version) {
    return `${appPath(appId)}/versions/${encodeURIComponent(version)}/preview.svg`;
  }

  /** @param {string} appId @param {string} version @param {string} name */
  screenshotUrl(appId, version, name) {
    return `${appPath(appId)}/versions/${encodeURIComponent(version)}/screenshots/${encodeURIComponent(name)}`;
  }

  /**
   * Uploads a package zip as the raw body, reporting progress (`onProgress(0..1)`).
   * @param {string} appId
   * @param {Blob} zip
   * @param {{onProgress?: (fraction: number) => void}} [options]
   * @returns {Promise<any>} the version (ConsoleVersionOut)
   */
  uploadVersion(appId, zip, { onProgress = () => {} } = {}) {
    return uploadWithProgress(`${appPath(appId)}/versions`, zip, "application/zip", this.csrfToken, { onProgress });
  }

  // The team

  /** @param {string} appId */
  team(appId) {
    return this.request("GET", `${appPath(appId)}/team`);
  }

  /** @param {string} appId @param {string} email @param {string} role */
  invite(appId, email, role) {
    return this.request("POST", `${appPath(appId)}/team/invitations`, { body: { email, role } });
  }

  /** @param {string} appId @param {string} developerId @param {string | null} role null removes them */
  setRole(appId, developerId, role) {
    return this.request("PUT", `${appPath(appId)}/team/${encodeURIComponent(developerId)}`, { body: { role } });
  }

  myInvitations() {
    return this.request("GET", "/api/developer/invitations");
  }

  /** @param {string} invitationId */
  acceptInvitation(invitationId) {
    return this.request("POST", `/api/developer/invitations/${encodeURIComponent(invitationId)}/accept`);
  }

  // Money

  /** @param {string} appId */
  consoleProducts(appId) {
    return this.request("GET", `${appPath(appId)}/products`);
  }

  /** @param {string} appId @param {string} productId @param {{type: string, price: number, title: Record<string, string>}} product */
  putProduct(appId, productId, product) {
    return this.request("PUT", `${appPath(appId)}/products/${encodeURIComponent(productId)}`, { body: product });
  }

  /** @param {string} appId @param {string} productId */
  retireProduct(appId, productId) {
    return this.request("DELETE", `${appPath(appId)}/products/${encodeURIComponent(productId)}`);
  }

  /** @param {string} appId */
  paymentSettings(appId) {
    return this.request("GET", `${appPath(appId)}/payment-settings`);
  }

  /** @param {string} appId @param {string | null} notifyUrl */
  setNotifyUrl(appId, notifyUrl) {
    return this.request("PUT", `${appPath(appId)}/payment-settings`, { body: { notify_url: notifyUrl } });
  }

  /** @param {string} appId */
  deliveries(appId) {
    return this.request("GET", `${appPath(appId)}/notifications`);
  }

  /** @param {string} appId @param {string} eventId */
  resend(appId, eventId) {
    return this.request("POST", `${appPath(appId)}/notifications/${encodeURIComponent(eventId)}/resend`);
  }

  // Ads

  /** @param {string} appId */
  adUnits(appId) {
    return this.request("GET", `${appPath(appId)}/ad-units`);
  }

  /** @param {string} appId @param {Record<string, unknown>} unit */
  createAdUnit(appId, unit) {
    return this.request("POST", `${appPath(appId)}/ad-units`, { body: unit });
  }

  /** @param {string} appId @param {string} unitId @param {Record<string, unknown>} unit */
  putAdUnit(appId, unitId, unit) {
    return this.request("PUT", `${appPath(appId)}/ad-units/${encodeURIComponent(unitId)}`, { body: unit });
  }
}
