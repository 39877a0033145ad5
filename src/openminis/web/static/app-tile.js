// An app's icon and its compact tile, shared by the hub grid, the recents row and search.
// @ts-check

const KIND_LABELS = { game: "Game", drama: "Drama" };

export function kindLabel(kind) {
  return KIND_LABELS[kind] || kind;
}

export function categoryLabel(category) {
  return category.replace(/-/g, " ");
}

// A stable hue per app, for the monogram and the feed card's glow.
export function appHue(appId) {
  let hash = 0;
  for (const char of appId) hash = (hash * 31 + char.charCodeAt(0)) >>> 0;
  return hash % 360;
}

function monogram(card, size) {
  const element = document.createElement("span");
  element.className = `app-icon app-icon-${size} app-icon-monogram`;
  element.style.setProperty("--hue", String(appHue(card.app_id)));
  element.textContent = card.name.trim().charAt(0).toUpperCase();
  element.setAttribute("aria-hidden", "true");
  return element;
}

/** The app's icon (decorative: the name is always next to it); a monogram if it fails. */
export function appIcon(card, size = "medium") {
  if (!card.icon_url) return monogram(card, size);
  const image = document.createElement("img");
  image.className = `app-icon app-icon-${size}`;
  image.src = card.icon_url;
  image.alt = "";
  image.decoding = "async";
  image.addEventListener("error", () => image.replaceWith(monogram(card, size)), { once: true });
  return image;
}

/**
 * A tile that launches the app. `onLaunch(card, source, event)` gets the click so the
 * launcher can time from the tap.
 */
export function appTile(card, source, onLaunch) {
  const tile = document.createElement("button");
  tile.type = "button";
  tile.className = "app-tile";
  tile.dataset.appId = card.app_id;
  tile.setAttribute("aria-label", `Play ${card.name}, ${kindLabel(card.kind)}, ${categoryLabel(card.category)}`);
  const name = document.createElement("span");
  name.className = "app-tile-name";
  name.textContent = card.name;
  const meta = document.createElement("span");
  meta.className = "app-tile-meta";
  meta.textContent = categoryLabel(card.category);
  tile.append(appIcon(card), name, meta);
  tile.addEventListener("click", (event) => onLaunch(card, source, event));
  return tile;
}
