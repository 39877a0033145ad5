// Add to home screen: a pill under the sign-in pill, on the start and game-over screens. The
// host shows the browser's install prompt where the browser offers one, or its own guide
// elsewhere; the game only asks, on the person's tap (minis.addToHomeScreen needs one).
(function () {
  "use strict";

  const button = document.getElementById("add-home");
  const sdk = window.minis;
  if (!sdk || !sdk.canIUse || !sdk.canIUse("addToHomeScreen")) return;
  button.hidden = false;
  button.addEventListener("click", (event) => {
    event.stopPropagation();
    sdk.addToHomeScreen().then(
      (answer) => {
        if (answer.added) button.hidden = true; // on the home screen now: nothing more to offer
      },
      () => {} // not now (another sheet open), or no host: the pill stays
    );
  });
})();
