// Sign in: a pill on the start and game-over screens. minis.login() gets a one-time code
// silently; minis.getUserProfile() asks the person (the host draws that sheet, not us). Then,
// when config.js names a backend, the code and the launch's initData go to it, and the
// backend's own check with the platform is what earns "verified ✓". Without the host, or when
// the person says no, the game plays on exactly as before.
(function () {
  "use strict";

  const P = window.Platform;
  const root = document.getElementById("account");
  const button = document.getElementById("sign-in");
  const who = document.getElementById("who");
  const avatar = document.getElementById("avatar");
  const monogram = document.getElementById("monogram");
  const hello = document.getElementById("hello");
  const verified = document.getElementById("verified");
  const note = document.getElementById("account-note");

  const state = { available: false, busy: false, profile: null, verified: false, openid: null };
  let top = null; // where game.js wants the pill (CSS px from the top), or null to hide it

  function render() {
    root.hidden = !state.available || top === null;
    if (top !== null) root.style.top = top + "px";
    button.hidden = state.profile !== null;
    button.disabled = state.busy;
    button.textContent = state.busy ? "Signing in…" : "Sign in";
    who.hidden = state.profile === null;
    verified.hidden = !state.verified;
  }

  function showProfile(profile) {
    state.profile = profile;
    hello.textContent = "Hi, " + profile.displayName;
    monogram.textContent = profile.displayName.trim().charAt(0).toUpperCase();
    avatar.hidden = false;
    monogram.hidden = true;
    avatar.src = profile.avatarUrl;
  }

  // The avatar lives on the host's origin; if it cannot load here, the initial stands in.
  avatar.addEventListener("error", () => {
    avatar.hidden = true;
    monogram.hidden = false;
  });

  function say(text) {
    note.textContent = text;
    clearTimeout(say.timer);
    say.timer = setTimeout(() => (note.textContent = ""), 3500);
  }

  // Our backend checks the code and the signed launch with the platform; resolves its answer,
  // or null when there is no backend or it said no.
  async function verify(code) {
    const base = String(window.TOWER_BACKEND_URL || "").replace(/\/+$/, "");
    if (!base) return null;
    const response = await fetch(base + "/login", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ code, init_data: P.launchInfo().initData }),
    });
    if (!response.ok) {
      console.warn("[tower] backend refused the login: HTTP " + response.status);
      return null;
    }
    return response.json();
  }

  async function signIn() {
    if (state.busy) return;
    state.busy = true;
    render();
    try {
      const { code } = await P.request("login");
      showProfile(await P.request("getUserProfile"));
      render();
      let answer = await verify(code).catch(() => null);
      // A code lives 5 minutes and works once: if the consent sheet took longer, ask again.
      if (answer === null && window.TOWER_BACKEND_URL) answer = await verify((await P.request("login")).code).catch(() => null);
      if (answer && answer.verified === true) {
        state.verified = true;
        state.openid = answer.openid;
      }
    } catch (error) {
      const code = error && error.code;
      if (code === "USER_DENIED" || code === "USER_CANCELLED") say("No problem: play on as a guest.");
      else if (code === "NO_HOST") state.available = false;
      else {
        console.warn("[tower] sign-in failed", error);
        say("Couldn’t sign in right now.");
      }
    } finally {
      state.busy = false;
      render();
    }
  }

  button.addEventListener("click", (event) => {
    event.stopPropagation();
    signIn();
  });

  window.SignIn = {
    /** Shown only inside the openminis host, where someone can be asked. */
    async start() {
      state.available = await P.inHost();
      render();
    },
    /** Place the pill at `y` CSS px from the top, or hide it with null (during play). */
    place(y) {
      const next = y === null ? null : Math.round(y);
      if (next === top) return;
      top = next;
      render();
    },
    state: () => ({ signedIn: state.profile !== null, name: state.profile && state.profile.displayName, verified: state.verified, openid: state.openid }),
  };
})();
