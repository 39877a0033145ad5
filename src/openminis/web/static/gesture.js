// Whether the person's latest gesture was in the app: for the SDK methods that need one (message
// consent, the clipboard, add to home screen). The SDK forwards whether the app's frame had
// transient activation, which a frame can forge; the host checks its own activation as well, which
// a tap in the app's frame gives it (activation reaches a frame's ancestors), but so does a press
// on the host's own page: its sheets' buttons. An app re-asked for message consent each time the
// person pressed "Not now" or Escape, with no tap in the game, in a loop only leaving could end (a
// probe). A press inside the app's frame never reaches this document, so a press on an open host
// sheet seen within the browser's activation lifespan means the activation may be the sheet's, not
// the app's. Other presses on the host (the tile that launched the app, its menu) are the person
// choosing this app, whose first tap may well ask at once.
// @ts-check

// Chromium's transient activation lifespan: a press on a host sheet counts for this long.
const ACTIVATION_MS = 5000;
let hostPressedAt = -Infinity;

function pressedHere() {
  const sheets = globalThis.document?.getElementById("sheet-layer");
  if (sheets && !sheets.hidden) hostPressedAt = performance.now();
}

globalThis.document?.addEventListener("pointerdown", pressedHere, true);
globalThis.document?.addEventListener("keydown", pressedHere, true);

/**
 * True when the app says it had a gesture, the host page has activation, and no press on a host
 * sheet could have given it.
 * @param {any} params the method's parameters, with the SDK's `activated`
 */
export function gestureInApp(params) {
  return (
    params.activated === true &&
    Boolean(globalThis.navigator?.userActivation?.isActive) &&
    performance.now() - hostPressedAt > ACTIVATION_MS
  );
}
