// __APP_NAME__: a starting point made by `minis init`. Tap the dot before it gets away.
// It walks through the SDK's whole life: init, loading progress, ready, cloud save, pausing while
// hidden, a rewarded ad and a purchase (docs/sdk-protocol.md; typings in minis-sdk.d.ts).
"use strict";

// Your rewarded ad unit, made with the Open API (POST /openapi/v1/ad-units, docs/ads.md).
// `minis dev` simulates ads for any id: filled, no fill or closed early, from its panel.
const REWARDED_UNIT = "au_replace_me";
const EXTRA_LIFE = "extra-life"; // declared in minis.json's products
const START_LIVES = 3;

const canvas = document.getElementById("game");
const ctx = canvas.getContext("2d");
const adButton = document.getElementById("watch-ad");
const buyButton = document.getElementById("buy-life");
const statusLine = document.getElementById("status");

const game = { score: 0, best: 0, lives: START_LIVES, running: true, x: 0.5, y: 0.4, dx: 0.21, dy: 0.17, last: 0 };
let size = { w: 1, h: 1 };
let ad = null; // the loaded rewarded ad, if any

function say(text) {
  statusLine.textContent = text;
}

function fit() {
  const ratio = Math.min(window.devicePixelRatio || 1, 3);
  size = { w: Math.max(1, innerWidth), h: Math.max(1, innerHeight) };
  canvas.width = Math.round(size.w * ratio);
  canvas.height = Math.round(size.h * ratio);
  ctx.setTransform(ratio, 0, 0, ratio, 0, 0);
}

function radius() {
  return Math.max(18, Math.min(size.w, size.h) * 0.07);
}

function draw() {
  ctx.fillStyle = "#2b2d6e";
  ctx.fillRect(0, 0, size.w, size.h);
  ctx.fillStyle = "#ffcf4d";
  ctx.beginPath();
  ctx.arc(game.x * size.w, game.y * size.h, radius(), 0, Math.PI * 2);
  ctx.fill();
  ctx.fillStyle = "#fff";
  ctx.font = "700 22px system-ui, sans-serif";
  ctx.fillText(`Score ${game.score}`, 20, 44);
  ctx.font = "500 15px system-ui, sans-serif";
  ctx.fillText(`Best ${game.best}   Lives ${"♥".repeat(game.lives) || "0"}`, 20, 70);
  if (!game.running) ctx.fillText("Paused", 20, 96);
}

function step(now) {
  const seconds = Math.min(0.05, (now - game.last) / 1000 || 0);
  game.last = now;
  if (game.running && game.lives > 0) {
    game.x += game.dx * seconds;
    game.y += game.dy * seconds;
    if (game.x < 0.08 || game.x > 0.92) game.dx = -game.dx;
    if (game.y < 0.15 || game.y > 0.75) game.dy = -game.dy;
  }
  draw();
  requestAnimationFrame(step);
}

function save() {
  // Cloud save: kept by the platform per person and app. A failed save costs only the record.
  minis.storage.set("best", game.best).catch((error) => say(`Not saved: ${error.code}`));
}

canvas.addEventListener("pointerdown", (event) => {
  if (!game.running) return;
  if (game.lives === 0) {
    Object.assign(game, { score: 0, lives: START_LIVES });
    return;
  }
  const hit = Math.hypot(event.clientX - game.x * size.w, event.clientY - game.y * size.h) <= radius() * 1.3;
  if (hit) {
    game.score += 1;
    game.dx *= 1.08;
    game.dy *= 1.08;
    if (game.score > game.best) {
      game.best = game.score;
      save();
    }
  } else {
    game.lives -= 1;
    if (game.lives === 0) say("Game over: tap to play again");
  }
});

// Ads: load ahead of the tap, once the app is on screen (a hidden frame may not load one).
async function loadAd() {
  adButton.disabled = true;
  try {
    ad = minis.ads.createRewarded(REWARDED_UNIT);
    await ad.load();
    adButton.disabled = false;
  } catch (error) {
    ad = null;
    say(error.code === "NO_FILL" ? "No ad right now" : `No ad: ${error.code}`);
  }
}

adButton.addEventListener("click", async () => {
  if (!ad) return;
  adButton.disabled = true;
  try {
    const { rewarded } = await ad.show();
    if (rewarded) game.lives += 1;
    say(rewarded ? "+1 life" : "Closed early: no reward");
  } catch (error) {
    say(`Ad failed: ${error.code}`);
  }
  loadAd();
});

// Purchases: the host's sheet shows the price in coins and takes the payment; the app never
// names a price. With a backend, deliver on its signed notification instead (docs/payments.md).
buyButton.addEventListener("click", async () => {
  try {
    await minis.pay({ productId: EXTRA_LIFE });
    game.lives += 1;
    say("+1 life, bought");
  } catch (error) {
    say(error.code === "USER_CANCELLED" ? "Not bought" : `Not bought: ${error.code}`);
  }
});

async function start() {
  fit();
  addEventListener("resize", fit);
  minis.setLoadingProgress(10);
  const launch = await minis.init();
  minis.setLoadingProgress(60);
  game.best = (await minis.storage.get("best").catch(() => null)) ?? 0;
  game.last = performance.now();
  draw(); // the first frame before ready: the host shows the app as soon as it is ready
  requestAnimationFrame(step);
  await minis.ready();
  minis.onHide(() => {
    game.running = false;
    save();
  });
  minis.onShow(() => {
    game.running = true;
    if (!ad) loadAd();
  });
  if (launch.visible) loadAd();
}

start().catch((error) => say(`Could not start: ${error.code || error.message}`));
