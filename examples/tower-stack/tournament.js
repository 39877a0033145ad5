// Tournaments with friends (docs/social.md). Every round's height goes to the "floors" board
// (minis.json: scores from the game are allowed, up to max_score). After a round, "Challenge
// friends" starts a tournament on that board ending in a week, enters the round that was just
// played, and opens the host's share sheet for its link. Whoever opens the link plays inside the
// tournament (the launch's context): a banner then shows it, who is in it and its top three,
// refreshed after each score, and the button becomes "Invite friends" (a link into the same
// tournament). The host names only the people who allowed the game their profile (Sign in): the
// others are counted, and ranked as "Player", as the SDK gives them.
(function () {
  "use strict";

  const P = window.Platform;
  const sdk = window.minis;
  const BOARD = "floors";
  const WEEK_MS = 7 * 24 * 3600 * 1000;

  const challenge = document.getElementById("challenge");
  const note = document.getElementById("challenge-note");
  const banner = document.getElementById("tournament");
  const line = document.getElementById("tournament-line");
  const ranking = document.getElementById("tournament-ranking");
  const members = document.getElementById("tournament-members");

  const can = (name) => !!(sdk && sdk.canIUse && sdk.canIUse(name));
  const state = { inHost: false, over: false, busy: false, score: 0 };
  let current = null; // the launch's tournament on our board: {endsAt, players, named, entries}, or null
  let asked = 0; // refreshes overlap (a score, onShow): only the newest answer is drawn

  const live = () => current !== null && Date.parse(current.endsAt) > Date.now();

  function endsIn(iso) {
    const left = Date.parse(iso) - Date.now();
    if (!(left > 0)) return "ended";
    const minutes = Math.ceil(left / 60000);
    const days = Math.floor(minutes / 1440), hours = Math.floor((minutes % 1440) / 60);
    if (days > 0) return "ends in " + days + " d " + hours + " h";
    if (hours > 0) return "ends in " + hours + " h " + (minutes % 60) + " min";
    return "ends in " + minutes + " min";
  }

  function row(entry) {
    const item = document.createElement("li");
    item.className = entry.isMe ? "is-me" : "";
    for (const [name, text] of [["rank", entry.rank], ["name", entry.isMe ? "You" : entry.name], ["score", entry.formatted]]) {
      const cell = document.createElement("span");
      cell.className = name;
      cell.textContent = String(text);
      item.append(cell);
    }
    return item;
  }

  function render() {
    banner.hidden = current === null;
    if (current) {
      line.textContent = ["Tournament", current.players + (current.players === 1 ? " player" : " players"), endsIn(current.endsAt)].join(" · ");
      ranking.replaceChildren(...current.entries.map(row));
      // The others, named where they allowed it: the player's own name (once signed in) is left out.
      const me = window.SignIn && window.SignIn.state().name;
      const named = current.named.slice();
      if (me && named.includes(me)) named.splice(named.indexOf(me), 1);
      const unnamed = current.players - 1 - named.length;
      members.textContent = named.length ? "With " + named.join(", ") + (unnamed > 0 ? " and " + unnamed + " more" : "") : "";
    }
    challenge.hidden = !(state.inHost && state.over && can("tournament.create"));
    challenge.disabled = state.busy;
    challenge.textContent = state.busy ? "Starting…" : live() ? "Invite friends" : "Challenge friends";
  }

  function say(text) {
    note.textContent = text;
    clearTimeout(say.timer);
    say.timer = setTimeout(() => (note.textContent = ""), 3500);
  }

  // The launch's context, when it is a tournament on our board, and its ranking. Read again on
  // every show: a prewarmed game learns only at the tap that a share link opened it.
  async function refresh() {
    const ask = ++asked;
    let found = null;
    try {
      const context = can("context.get") ? await sdk.context.get() : null;
      if (context && context.type === "tournament" && context.board === BOARD) {
        const [page, people] = await Promise.all([
          sdk.leaderboard.getEntries(BOARD, { scope: "context", limit: 3 }),
          sdk.context.getMembers(),
        ]);
        const named = people.map((person) => person.name);
        found = { endsAt: context.endsAt, players: context.membersCount, named, entries: page.entries };
      }
    } catch (error) {
      if (ask === asked && current) return; // keep what is shown over a failed read
    }
    if (ask !== asked) return;
    current = found;
    render();
  }

  async function submit(score) {
    if (score <= 0 || !can("leaderboard.submit")) return;
    try {
      await sdk.leaderboard.submit(BOARD, score);
    } catch (error) {
      // Too many rounds a minute, or the tournament is over: the round still counts here.
      if (error && error.code === "TOURNAMENT_ENDED") say("This tournament is over: challenge friends to a new one.");
    }
  }

  async function challengeFriends() {
    if (state.busy) return;
    state.busy = true;
    render();
    try {
      if (!live()) {
        await sdk.tournament.create({ board: BOARD, endsAt: new Date(Date.now() + WEEK_MS) });
        await submit(state.score); // the round that was just played is the one to beat
        await refresh();
      }
      state.busy = false;
      render();
      await sdk.tournament.share({ title: "Beat my " + state.score + " floors in Tower Stack" });
    } catch (error) {
      const code = error && error.code;
      if (code !== "USER_CANCELLED" && code !== "NOT_ALLOWED") {
        console.warn("[tower] tournament failed", error);
        say("Couldn’t start a tournament right now.");
      }
    } finally {
      state.busy = false;
      render();
    }
  }

  challenge.addEventListener("click", (event) => {
    event.stopPropagation();
    challengeFriends();
  });

  window.Tournament = {
    async start() {
      state.inHost = await P.inHost();
      if (!state.inHost) return;
      P.onShow(refresh);
      setInterval(() => current && render(), 30000); // the time left
      await refresh();
    },
    roundStarted() {
      state.over = false;
      render();
    },
    async roundOver(score) {
      state.over = true;
      state.score = score;
      render();
      if (!state.inHost) return;
      await submit(score);
      if (current) refresh();
    },
  };
})();
