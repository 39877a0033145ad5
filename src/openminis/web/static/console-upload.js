// Uploading a version: choose a zip, or drop (or choose) the package folder, which becomes a zip
// here (console-zip.js). A progress bar follows the upload; the validator's error is shown
// against the file or the minis.json field it names (console-problems.js).
// @ts-check

import { errorMessage } from "./api.js";
import { el } from "./dom.js";
import { MANIFEST, formatBytes, placeOf } from "./console-problems.js";
import { note, uid } from "./console-ui.js";
import { withoutSharedRoot, zipNames, zipStore } from "./console-zip.js";

/** @typedef {{path: string, size: number}} PackageFile */

// Files an operating system leaves in folders: never part of a game, and refused or stored as junk.
const JUNK = new Set([".DS_Store", "Thumbs.db", "desktop.ini"]);
const SHOWN_FILES = 200;

/**
 * @param {import("./console-api.js").ConsoleApi} api
 * @param {string} appId
 * @param {(version: any) => void} onUploaded
 */
export function uploadPanel(api, appId, onUploaded) {
  const zipInput = el("input", { type: "file", className: "file-field", id: uid("zip"), accept: ".zip,application/zip", name: "zip" });
  const folderInput = el("input", { type: "file", className: "file-field", id: uid("folder"), name: "folder", multiple: true });
  // Not in the DOM's typings everywhere yet: the attribute that lets a file input pick a folder.
  folderInput.setAttribute("webkitdirectory", "");
  const fill = el("div", { className: "progress-fill" });
  const bar = el("div", { className: "progress upload-progress", role: "progressbar", "aria-label": "Upload progress", "aria-valuemin": "0", "aria-valuemax": "100", "aria-valuenow": "0", hidden: true }, fill);
  const status = el("p", { className: "card-note upload-status", role: "status" });
  const problem = el("div", { className: "upload-problem" });
  const drop = el(
    "div",
    { className: "drop-zone", role: "group", "aria-label": "Drop a package folder or zip here" },
    el("p", { className: "drop-zone-text" }, "Drop the package folder (or its zip) here"),
    el("div", { className: "field" }, el("label", { for: zipInput.id }, "Choose a zip"), zipInput),
    el("div", { className: "field folder-field" }, el("label", { for: folderInput.id }, "Choose a folder"), folderInput)
  );
  const panel = el(
    "section",
    { className: "card console-card upload-panel", "aria-labelledby": "upload-title" },
    el("h3", { className: "card-title", id: "upload-title" }, "Upload a version"),
    note("A zip of the folder with minis.json at its root. It is checked, then you submit it for review."),
    drop,
    bar,
    status,
    problem
  );

  zipInput.addEventListener("change", () => {
    const file = zipInput.files?.[0];
    if (file) uploadZip(file);
    zipInput.value = "";
  });
  folderInput.addEventListener("change", () => {
    const files = [...(folderInput.files || [])].map((file) => ({ path: file.webkitRelativePath || file.name, file }));
    if (files.length) uploadFolder(files);
    folderInput.value = "";
  });
  drop.addEventListener("dragover", (event) => {
    event.preventDefault();
    drop.classList.add("is-over");
  });
  drop.addEventListener("dragleave", () => drop.classList.remove("is-over"));
  drop.addEventListener("drop", async (event) => {
    event.preventDefault();
    drop.classList.remove("is-over");
    const items = [...(event.dataTransfer?.items || [])].map((item) => item.webkitGetAsEntry()).filter((entry) => entry !== null);
    if (items.length === 1 && items[0].isFile && items[0].name.toLowerCase().endsWith(".zip")) {
      uploadZip(await entryFile(/** @type {FileSystemFileEntry} */ (items[0])));
      return;
    }
    try {
      const files = (await Promise.all(items.map((entry) => walk(entry, "")))).flat();
      if (files.length) uploadFolder(files);
      else show(`Nothing to upload: the folder is empty.`);
    } catch (error) {
      show(`The folder could not be read: ${errorMessage(error)}`);
    }
  });

  /** @param {string} text */
  function show(text) {
    status.textContent = text;
  }

  /** @param {File} file */
  async function uploadZip(file) {
    const names = zipNames(new Uint8Array(await file.arrayBuffer())) || [];
    await send(file, names, file.name);
  }

  /** @param {{path: string, file: File}[]} files */
  async function uploadFolder(files) {
    const kept = files.filter(({ path }) => !path.split("/").some((part) => JUNK.has(part) || part === "__MACOSX"));
    const paths = withoutSharedRoot(kept.map(({ path }) => path));
    show(`Packing ${kept.length} files…`);
    const entries = await Promise.all(kept.map(async ({ file }, index) => ({ path: paths[index], data: new Uint8Array(await file.arrayBuffer()) })));
    const zip = zipStore(entries);
    await send(new Blob([zip], { type: "application/zip" }), entries.map((entry) => ({ path: entry.path, size: entry.data.length })), "the folder");
  }

  /**
   * @param {Blob} zip
   * @param {PackageFile[]} files
   * @param {string} what
   */
  async function send(zip, files, what) {
    problem.replaceChildren();
    bar.hidden = false;
    panel.setAttribute("aria-busy", "true");
    progress(0);
    show(`Uploading ${what} (${formatBytes(zip.size)})…`);
    try {
      const version = await api.uploadVersion(appId, zip, { onProgress: progress });
      progress(1);
      show(`Uploaded version ${version.version}.`);
      onUploaded(version);
    } catch (error) {
      show("");
      problem.replaceChildren(...problemView(error, files));
    } finally {
      panel.setAttribute("aria-busy", "false");
    }
  }

  /** @param {number} fraction */
  function progress(fraction) {
    const value = Math.round(fraction * 100);
    bar.setAttribute("aria-valuenow", String(value));
    bar.setAttribute("aria-valuetext", `${value} %`);
    fill.style.transform = `scaleX(${fraction})`;
  }

  return panel;
}

/**
 * The validator's error, with the package's files listed and the one it names marked.
 * @param {any} error
 * @param {PackageFile[]} files
 * @returns {Node[]}
 */
export function problemView(error, files) {
  const paths = files.map((file) => file.path);
  const place = placeOf(error, paths);
  const message = errorMessage(error);
  const summary = el("p", { className: "form-error", role: "alert" }, message);
  if (place.file === null || files.length === 0) {
    return [summary, place.field ? note(`About: ${place.field}`) : null].filter((node) => node !== null);
  }
  // A manifest field's message starts "minis.json: version: ": beside the field, the reason is enough.
  const reason = place.field ? message.replace(`${MANIFEST}: ${place.field}: `, "") : message;
  const named = files.find((file) => file.path === place.file) || { path: place.file, size: 0 };
  const others = files.filter((file) => file !== named).slice(0, SHOWN_FILES - 1);
  const row = (/** @type {PackageFile} */ file) => {
    const isNamed = file === named;
    return el(
      "li",
      { className: "package-file", dataset: { path: file.path }, "aria-invalid": isNamed ? "true" : undefined },
      el("span", { className: "mono package-path" }, file.path),
      el("span", { className: "package-size" }, formatBytes(file.size)),
      isNamed && place.field
        ? el("ul", { className: "package-fields" }, el("li", { className: "package-field", dataset: { field: place.field } }, el("span", { className: "mono" }, place.field), el("span", { className: "form-error" }, reason)))
        : null,
      isNamed && !place.field ? el("span", { className: "form-error package-problem" }, reason) : null
    );
  };
  const more = files.length - 1 - others.length;
  return [
    summary,
    el("ul", { className: "package-files", "aria-label": "Files in the package" }, row(named), others.map(row), more > 0 ? el("li", { className: "card-note" }, `and ${more} more`) : null),
  ];
}

/** @param {FileSystemFileEntry} entry @returns {Promise<File>} */
function entryFile(entry) {
  return new Promise((resolve, reject) => entry.file(resolve, reject));
}

/**
 * Every file under a dropped entry, with its path from the drop.
 * @param {FileSystemEntry} entry
 * @param {string} prefix
 * @returns {Promise<{path: string, file: File}[]>}
 */
async function walk(entry, prefix) {
  const path = prefix + entry.name;
  if (entry.isFile) return [{ path, file: await entryFile(/** @type {FileSystemFileEntry} */ (entry)) }];
  const reader = /** @type {FileSystemDirectoryEntry} */ (entry).createReader();
  /** @type {FileSystemEntry[]} */
  const children = [];
  // readEntries answers in batches (100 in Chromium) until it answers none.
  for (;;) {
    const batch = await new Promise((resolve, reject) => reader.readEntries(resolve, reject));
    if (batch.length === 0) break;
    children.push(...batch);
  }
  return (await Promise.all(children.map((child) => walk(child, `${path}/`)))).flat();
}
