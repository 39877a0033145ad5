// A player sent here by another game (minis.openApp: scene "other_app") is greeted once, by that
// game's name. Only games we know are named: a launch's query is whatever the opener wrote.
(function () {
  "use strict";

  const FROM = { "merge-2048": "Merge 2048", "tower-stack": "Tower Stack" };
  const greeting = document.getElementById("greeting");
  let greeted = false;

  function greet() {
    const options = window.minis && window.minis.getLaunchOptions ? window.minis.getLaunchOptions() : null;
    const name = options && options.scene === "other_app" ? FROM[options.query.from] : undefined;
    if (greeted || !name) return;
    greeted = true;
    greeting.textContent = "Welcome from " + name;
    greeting.hidden = false;
    setTimeout(() => (greeting.hidden = true), 5000);
  }

  window.Welcome = {
    // At boot, and at each show: a prewarmed game learns how it was opened only at the tap.
    start() {
      greet();
      window.Platform.onShow(greet);
    },
  };
})();
