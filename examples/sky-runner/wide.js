// Wide view: a corner pill that asks the host to lay the game out landscape (minis.setOrientation),
// where the screen has room beside the phone-shaped column (a desktop, a tablet, a phone turned
// sideways); a phone held upright has none, so there is no pill. The frame's new size reaches
// game.js as a resize, which lays the canvas out again: a wide view sees farther ahead. The choice
// is kept in the game's storage and asked for again at the next launch.
(function () {
  "use strict";

  const P = window.Platform;
  const sdk = window.minis;
  const button = document.getElementById("wide");
  const state = { available: false, wide: false, shown: false, busy: false };

  const supported = () => !!(sdk && sdk.canIUse && sdk.canIUse("setOrientation"));
  // The screen's width as the device is held now (iOS keeps screen.width upright when turned).
  function screenWidth() {
    const type = (screen.orientation && screen.orientation.type) || "";
    const [short, long] = [Math.min(screen.width, screen.height), Math.max(screen.width, screen.height)];
    return type.startsWith("landscape") ? long : type.startsWith("portrait") ? short : screen.width;
  }
  const room = () => state.wide || screenWidth() > window.innerWidth * 1.2;

  function render() {
    button.hidden = !state.available || !state.shown || !room();
    button.setAttribute("aria-pressed", String(state.wide));
    button.disabled = state.busy;
  }

  async function setWide(wide) {
    await sdk.setOrientation(wide ? "landscape" : "portrait");
    state.wide = wide;
    render();
  }

  button.addEventListener("click", async (event) => {
    event.stopPropagation();
    if (state.busy) return;
    state.busy = true;
    render();
    try {
      await setWide(!state.wide);
      P.save("wide", state.wide);
    } catch (error) {
      console.warn("[sky] orientation not changed", error);
    } finally {
      state.busy = false;
      render();
    }
  });
  window.addEventListener("resize", render); // a phone turned sideways gains the room

  window.WideView = {
    async start() {
      state.available = supported() && (await P.inHost());
      if (state.available && (await P.load("wide")) === true) await setWide(true).catch(() => {});
      render();
    },
    /** Shown on the title and game-over screens; never mid-run, where a tap is a jump. */
    show(on) {
      if (on === state.shown) return;
      state.shown = on;
      render();
    },
  };
})();
