// __APP_NAME__'s own player, a starting point made by `minis init --template drama`. A drama app
// needs no package at all if the host's built-in player suits it; this one shows how an app with
// a player of its own lists its series, plays an episode and unlocks a locked one (with coins on
// the host's paywall, or with a rewarded ad). The series come from the producer's uploads
// (../README.md): until one is published, the app says so.
"use strict";

const title = document.getElementById("title");
const player = document.getElementById("player");
const list = document.getElementById("episodes");
const statusLine = document.getElementById("status");
let series = null;
let playing = 0;

function say(text) {
  statusLine.textContent = text;
}

async function showEpisodes() {
  const episodes = await minis.drama.getEpisodes(series.id);
  list.replaceChildren(
    ...episodes.map((episode) => {
      const item = document.createElement("li");
      const button = document.createElement("button");
      button.type = "button";
      button.textContent = String(episode.number);
      button.className = episode.access ? "" : "locked";
      button.setAttribute("aria-label", `Episode ${episode.number}${episode.access ? "" : ", locked"}`);
      button.setAttribute("aria-current", String(episode.number === playing));
      button.addEventListener("click", () => play(episode.number, episode.access));
      item.append(button);
      return item;
    })
  );
}

async function play(number, access) {
  try {
    if (!access) {
      // Coins: the host's paywall asks the person and charges only when they confirm there.
      await minis.drama.unlock(series.id, number, "coins");
    }
    const { urls } = await minis.drama.getPlaybackUrl(series.id, number);
    playing = number;
    player.poster = urls.poster;
    player.src = urls.mp4_720;
    player.play().catch(() => say("Tap play to start"));
    say(`${series.title}: episode ${number}`);
  } catch (error) {
    say(error.code === "USER_CANCELLED" ? "Still locked" : `Could not play: ${error.code}`);
  }
  await showEpisodes().catch(() => {});
}

async function start() {
  await minis.init();
  try {
    [series] = await minis.drama.getSeries();
  } catch (error) {
    say(`No series: ${error.code}`);
  }
  await minis.ready();
  minis.onHide(() => player.pause());
  if (!series) {
    say(statusLine.textContent || "No series published yet: see the README to upload one.");
    return;
  }
  title.textContent = series.title;
  await showEpisodes();
}

start().catch((error) => say(`Could not start: ${error.code || error.message}`));
