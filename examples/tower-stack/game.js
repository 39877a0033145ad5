// Tower Stack: a block slides across the top of the tower; tap to drop it. Whatever
// hangs over the block below is sliced off and falls, so the tower narrows until
// a drop misses completely. Three perfect drops in a row start widening it again.
(function () {
  "use strict";

  const P = window.Platform;
  const Sound = window.Sound;
  const canvas = document.getElementById("game");
  const ctx = canvas.getContext("2d");
  const FONT = '-apple-system, BlinkMacSystemFont, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif';

  // World units: the tower axis is x = 0, the ground is y = 0 and y grows upward.
  // The world is scaled to the viewport so the game plays the same on every screen.
  const BH = 24; // block height
  const BASE_W = 200; // width of the first block
  const SWING = 165; // how far a sliding block's center travels from the axis
  const PERFECT = 5; // a drop closer than this snaps into place and counts as perfect
  const DEPTH_X = 14; // oblique depth of the top and side faces (fake 3D)
  const DEPTH_Y = 9;
  const GRAVITY = 1500;
  const HUE0 = 195; // hue of the first block; each floor shifts it a little

  // Sky colors (top, bottom) by camera altitude: morning, afternoon, dusk, night.
  const SKY = [
    [0, "#8fd3f4", "#fde7c8"],
    [380, "#68a6e6", "#fac5ad"],
    [850, "#5466c8", "#ee9698"],
    [1400, "#2f2a73", "#a8588c"],
    [2000, "#0d0f30", "#2b2263"],
  ];

  let W = 0, H = 0, zoom = 1; // CSS pixel size and world-to-screen scale
  let cam = 0, camZoom = 1, skyAlt = 0; // camera altitude, extra zoom (game over), sky altitude
  const game = { mode: "title", score: 0, best: 0, streak: 0, newBest: false, paused: false, overAt: 0 };
  let stack = []; // placed blocks {x, w, y, hue}; x is the left edge
  let mover = null; // the sliding block, plus vx
  let debris = []; // sliced-off pieces falling with rotation
  let effects = []; // floating texts and perfect-drop rings
  let stars = [], clouds = [], cloudSprites = [], skyline = null;
  let hidden = false, raf = 0, lastT = 0, clock = 0;
  let bestLoad = Promise.resolve(null);

  // ---------- helpers ----------
  const clamp = (v, a, b) => Math.max(a, Math.min(b, v));
  const lerp = (a, b, t) => a + (b - a) * t;
  const hexRgb = (h) => [1, 3, 5].map((i) => parseInt(h.slice(i, i + 2), 16));
  function mixHex(a, b, t) {
    const A = hexRgb(a), B = hexRgb(b);
    return "rgb(" + A.map((v, i) => Math.round(lerp(v, B[i], t))).join(",") + ")";
  }
  const baseY = () => H * 0.8; // screen y of the ground when the camera is at 0
  const sx = (x) => W / 2 + x * zoom * camZoom;
  const sy = (y) => baseY() - (y - cam) * zoom * camZoom;
  const topY = () => stack.length * BH; // altitude of the tower's top surface

  function text(str, x, y, size, color, opts = {}) {
    ctx.font = (opts.weight || "800") + " " + Math.round(size) + "px " + FONT;
    ctx.textAlign = opts.align || "center";
    ctx.textBaseline = "middle";
    if (opts.shadow !== false) {
      ctx.fillStyle = "rgba(20,16,60,0.28)";
      ctx.fillText(str, x, y + Math.max(2, size * 0.05));
    }
    ctx.fillStyle = color;
    ctx.fillText(str, x, y);
  }

  // ---------- one-time art (drawn into offscreen canvases) ----------
  function buildStars() {
    stars = [];
    for (let i = 0; i < 90; i++) {
      stars.push({ x: Math.random(), y: Math.random() * 0.85, r: 0.5 + Math.random() * 1.4, ph: Math.random() * 6.28 });
    }
  }

  function buildClouds() {
    // A few soft cloud shapes, each made of overlapping circles.
    cloudSprites = [0, 1, 2].map((v) => {
      const c = document.createElement("canvas");
      c.width = 240;
      c.height = 110;
      const g = c.getContext("2d");
      g.fillStyle = "#ffffff"; // opaque: overlapping puffs must not show seams (alpha is applied when drawn)
      g.beginPath(); // flat-bottomed capsule, then puffs on top of it
      g.arc(38, 84, 18, Math.PI / 2, Math.PI * 1.5);
      g.arc(202, 84, 18, Math.PI * 1.5, Math.PI / 2);
      g.fill();
      const puffs = 3 + v;
      for (let i = 0; i < puffs; i++) {
        const r = 22 + Math.sin(((i + 0.5) / puffs) * Math.PI) * (12 + v * 5);
        g.beginPath();
        g.arc(60 + (120 * i) / (puffs - 1), 84 - r * 0.5, r, 0, Math.PI * 2);
        g.fill();
      }
      return c;
    });
    // Clouds live at fixed altitudes; they drift sideways and scroll with parallax.
    clouds = [];
    for (let alt = 140; alt < 2600; alt += 110 + Math.random() * 120) {
      clouds.push({ x: Math.random(), alt, s: 0.6 + Math.random() * 0.7, v: 0.006 + Math.random() * 0.012, k: (Math.random() * 3) | 0 });
    }
  }

  function buildSkyline() {
    // Two rows of city buildings behind the tower, redrawn on resize.
    const dpr = Math.min(window.devicePixelRatio || 1, 3);
    const h = Math.round(H * 0.26);
    skyline = document.createElement("canvas");
    skyline.width = Math.round(W * dpr);
    skyline.height = Math.round(h * dpr);
    const g = skyline.getContext("2d");
    g.scale(dpr, dpr);
    const rows = [
      { color: "rgba(120,120,200,0.28)", min: 0.3, max: 0.9, wmin: 26, wmax: 60 },
      { color: "rgba(80,72,160,0.42)", min: 0.12, max: 0.5, wmin: 18, wmax: 46 },
    ];
    for (const row of rows) {
      let x = -10;
      while (x < W + 10) {
        const bw = row.wmin + Math.random() * (row.wmax - row.wmin);
        const bh = h * (row.min + Math.random() * (row.max - row.min));
        g.fillStyle = row.color;
        g.fillRect(x, h - bh, bw - 3, bh);
        // lit windows
        g.fillStyle = "rgba(255,236,170,0.35)";
        for (let wy = h - bh + 8; wy < h - 8; wy += 12) {
          for (let wx = x + 5; wx < x + bw - 9; wx += 9) {
            if (Math.random() < 0.35) g.fillRect(wx, wy, 4, 5);
          }
        }
        x += bw;
      }
    }
  }

  function resize() {
    const s = P.fitCanvas(canvas, ctx);
    W = s.w;
    H = s.h;
    zoom = Math.min(W / 380, H / 680);
    if (skyline) buildSkyline();
  }

  // ---------- game logic ----------
  function resetTower() {
    stack = [{ x: -BASE_W / 2, w: BASE_W, y: 0, hue: HUE0 }];
    mover = null;
    debris = [];
    effects = [];
    game.score = 0;
    game.streak = 0;
    game.newBest = false;
    game.paused = false;
  }

  function startGame() {
    resetTower();
    game.mode = "play";
    spawnMover();
    if (window.Tournament) window.Tournament.roundStarted();
  }

  function spawnMover() {
    const prev = stack[stack.length - 1];
    const n = stack.length;
    const side = n % 2 ? -1 : 1; // alternate the side blocks come from
    const speed = Math.min(480, 190 + 9 * n);
    mover = { x: side * SWING - prev.w / 2, w: prev.w, y: n * BH, hue: (HUE0 + n * 11) % 360, vx: -side * speed };
  }

  function drop() {
    const prev = stack[stack.length - 1];
    const b = mover;
    mover = null;
    if (Math.abs(b.x - prev.x) <= PERFECT) {
      b.x = prev.x;
      game.streak++;
      // Reward a perfect streak by growing the block back toward its original width.
      if (game.streak >= 3 && b.w < BASE_W) {
        const nw = Math.min(BASE_W, b.w + 10);
        b.x -= (nw - b.w) / 2;
        b.w = nw;
      }
      effects.push({ kind: "ring", b: { x: b.x, w: b.w, y: b.y }, t: 0 });
      effects.push({ kind: "text", str: game.streak > 1 ? "Perfect ×" + game.streak : "Perfect!", x: 0, y: b.y + BH * 2.2, t: 0 });
      Sound.tone(523 * Math.pow(2, Math.min(game.streak - 1, 12) / 12), 0.25, { type: "triangle", vol: 0.14 });
      P.vibrate(game.streak >= 3 ? [20, 40, 20] : 15); // felt as well as heard: a streak buzzes twice
    } else {
      game.streak = 0;
      const left = Math.max(b.x, prev.x);
      const right = Math.min(b.x + b.w, prev.x + prev.w);
      if (right <= left) {
        // Missed the tower entirely: the whole block falls and the game ends.
        debris.push({ x: b.x, w: b.w, y: b.y, hue: b.hue, vx: b.vx * 0.25, vy: 0, rot: 0, vr: Math.sign(b.vx) * 1.2 });
        gameOver();
        return;
      }
      const cut = b.x < prev.x ? { x: b.x, w: prev.x - b.x } : { x: right, w: b.x + b.w - right };
      const dir = b.x < prev.x ? -1 : 1;
      debris.push({ x: cut.x, w: cut.w, y: b.y, hue: b.hue, vx: dir * 60, vy: 40, rot: 0, vr: dir * (1 + Math.random()) });
      b.x = left;
      b.w = right - left;
      Sound.tone(330, 0.12, { type: "square", vol: 0.05 });
      Sound.tone(160, 0.18, { type: "sine", vol: 0.12, to: 90 });
    }
    stack.push({ x: b.x, w: b.w, y: b.y, hue: b.hue });
    game.score = stack.length - 1;
    spawnMover();
  }

  function gameOver() {
    game.mode = "over";
    game.overAt = clock;
    if (game.score > game.best) {
      game.best = game.score;
      game.newBest = game.score > 0;
      saveBest();
    }
    Sound.tone(220, 0.6, { type: "sawtooth", vol: 0.08, to: 55 });
    if (window.Tournament) window.Tournament.roundOver(game.score); // the board, and the tournament if in one
  }

  // Saves only after the cloud value was read (and merged by applyBest), so a slow
  // read can never let a lower local best overwrite a higher saved one.
  function saveBest() {
    bestLoad.then(() => P.save("best", game.best));
  }

  function applyBest(v) {
    if (typeof v === "number" && Number.isFinite(v) && v > game.best) game.best = Math.floor(v);
  }

  function press() {
    Sound.unlock();
    if (game.paused) {
      game.paused = false;
    } else if (game.mode === "title") {
      startGame();
    } else if (game.mode === "play") {
      drop();
    } else if (game.mode === "over" && clock - game.overAt > 0.6) {
      startGame(); // the short lockout stops a frantic tap from skipping the score
    }
  }

  function update(dt) {
    clock += dt;
    if (mover && !game.paused) {
      mover.x += mover.vx * dt;
      const c = mover.x + mover.w / 2;
      if (c > SWING) {
        mover.x = SWING - mover.w / 2;
        mover.vx = -Math.abs(mover.vx);
      } else if (c < -SWING) {
        mover.x = -SWING - mover.w / 2;
        mover.vx = Math.abs(mover.vx);
      }
    }

    // Camera: keep the top of the tower a bit above the middle; after a game over,
    // zoom out so the whole tower is visible under the score card.
    let camT = 0, zoomT = 1;
    if (game.mode === "over") {
      zoomT = Math.min(1, (baseY() - H * 0.46) / ((topY() + BH) * zoom));
    } else {
      camT = Math.max(0, topY() + BH - (baseY() - H * 0.42) / zoom);
      skyAlt = lerp(skyAlt, camT, Math.min(1, dt * 2));
    }
    const k = Math.min(1, dt * (game.mode === "over" ? 2.5 : 5));
    cam = lerp(cam, camT, k);
    camZoom = lerp(camZoom, zoomT, k);

    for (const d of debris) {
      d.vy -= GRAVITY * dt;
      d.x += d.vx * dt;
      d.y += d.vy * dt;
      d.rot += d.vr * dt;
    }
    debris = debris.filter((d) => d.y > cam - 1200);
    for (const e of effects) e.t += dt;
    effects = effects.filter((e) => e.t < 1);
    for (const c of clouds) c.x = (c.x + c.v * dt) % 1.4;
  }

  // ---------- drawing ----------
  function drawSky() {
    let i = 0;
    while (i < SKY.length - 2 && skyAlt > SKY[i + 1][0]) i++;
    const [a0, t0, b0] = SKY[i];
    const [a1, t1, b1] = SKY[i + 1];
    const t = clamp((skyAlt - a0) / (a1 - a0), 0, 1);
    const g = ctx.createLinearGradient(0, 0, 0, H);
    g.addColorStop(0, mixHex(t0, t1, t));
    g.addColorStop(1, mixHex(b0, b1, t));
    ctx.fillStyle = g;
    ctx.fillRect(0, 0, W, H);

    const starA = clamp((skyAlt - 1000) / 900, 0, 1);
    if (starA > 0) {
      ctx.fillStyle = "#fff";
      for (const s of stars) {
        ctx.globalAlpha = starA * (0.55 + 0.45 * Math.sin(clock * 2 + s.ph));
        ctx.fillRect(s.x * W, s.y * H, s.r, s.r);
      }
      ctx.globalAlpha = 1;
    }

    // Clouds scroll at 60% of the camera speed so they feel far away.
    const z = zoom * camZoom;
    for (const c of clouds) {
      const y = baseY() - (c.alt - cam * 0.6) * z;
      if (y < -80 || y > H + 20) continue;
      const spr = cloudSprites[c.k];
      const w = spr.width * c.s * z * 0.6;
      ctx.globalAlpha = 0.75 * (1 - starA * 0.6);
      ctx.drawImage(spr, c.x * (W + w * 2) - w * 1.4, y - w * 0.46, w, w * 0.46);
    }
    ctx.globalAlpha = 1;

    // City skyline, parallax 0.4, anchored to the ground line.
    const skyBottom = baseY() + cam * zoom * 0.4 * camZoom;
    const h = H * 0.26;
    if (skyline && skyBottom - h < H) {
      ctx.drawImage(skyline, 0, skyBottom - h, W, h);
      if (skyBottom < H) {
        // The city scrolls slower than the ground, so continue its base down to the
        // bottom edge (same two translucent layers as the buildings).
        ctx.fillStyle = "rgba(120,120,200,0.28)";
        ctx.fillRect(0, skyBottom - 1, W, H - skyBottom + 1);
        ctx.fillStyle = "rgba(80,72,160,0.42)";
        ctx.fillRect(0, skyBottom - 1, W, H - skyBottom + 1);
      }
    }
  }

  function drawGround() {
    const gy = sy(0);
    if (gy > H) return;
    const g = ctx.createLinearGradient(0, gy, 0, gy + 160);
    g.addColorStop(0, "#4a3f8f");
    g.addColorStop(1, "#231d52");
    ctx.fillStyle = g;
    ctx.fillRect(0, gy, W, Math.max(0, H - gy));
    ctx.fillStyle = "rgba(255,255,255,0.18)";
    ctx.fillRect(0, gy, W, 3);
    // the pedestal the tower stands on
    const pw = (BASE_W + 50) * zoom * camZoom;
    const ph = 14 * zoom * camZoom;
    ctx.fillStyle = "#6f63c6";
    ctx.fillRect(W / 2 - pw / 2, gy, pw, ph);
    ctx.fillStyle = "#3a3180";
    ctx.fillRect(W / 2 - pw / 2, gy + ph, pw, ph * 0.5);
  }

  // A block in screen space: front face, a lighter top face and a darker side face.
  function blockShape(x, y, w, h, hue, z) {
    const dx = DEPTH_X * z, dy = DEPTH_Y * z;
    ctx.fillStyle = "hsl(" + hue + ",70%,74%)";
    ctx.beginPath();
    ctx.moveTo(x, y);
    ctx.lineTo(x + dx, y - dy);
    ctx.lineTo(x + w + dx, y - dy);
    ctx.lineTo(x + w, y);
    ctx.fill();
    ctx.fillStyle = "hsl(" + hue + ",55%,42%)";
    ctx.beginPath();
    ctx.moveTo(x + w, y);
    ctx.lineTo(x + w + dx, y - dy);
    ctx.lineTo(x + w + dx, y + h - dy);
    ctx.lineTo(x + w, y + h);
    ctx.fill();
    ctx.fillStyle = "hsl(" + hue + ",62%,58%)";
    ctx.fillRect(x, y, w, h);
    ctx.fillStyle = "rgba(255,255,255,0.22)";
    ctx.fillRect(x, y, w, Math.max(1, h * 0.12));
    ctx.fillStyle = "rgba(0,0,0,0.08)";
    ctx.fillRect(x, y + h * 0.82, w, h * 0.18);
  }

  function drawBlock(b) {
    const z = zoom * camZoom;
    const y = sy(b.y + BH);
    if (y > H + 40 || y + BH * z < -40) return;
    blockShape(sx(b.x), y, b.w * z, BH * z, b.hue, z);
  }

  function drawDebris(d) {
    const z = zoom * camZoom;
    const w = d.w * z, h = BH * z;
    ctx.save();
    ctx.translate(sx(d.x + d.w / 2), sy(d.y + BH / 2));
    ctx.rotate(d.rot);
    blockShape(-w / 2, -h / 2, w, h, d.hue, z);
    ctx.restore();
  }

  function drawEffects() {
    const z = zoom * camZoom;
    for (const e of effects) {
      const a = 1 - e.t;
      if (e.kind === "ring") {
        const grow = 6 + e.t * 26;
        ctx.strokeStyle = "rgba(255,255,255," + a.toFixed(3) + ")";
        ctx.lineWidth = 3;
        ctx.strokeRect(sx(e.b.x) - grow, sy(e.b.y + BH) - grow, e.b.w * z + grow * 2, BH * z + grow * 2);
      } else {
        ctx.globalAlpha = Math.min(1, a * 1.6);
        text(e.str, sx(e.x), sy(e.y) - e.t * 40, 22 * Math.min(1.3, zoom), "#fff");
        ctx.globalAlpha = 1;
      }
    }
  }

  // Where the HUD goes: below the safe area's top (the notch, the host's close capsule).
  function hudLayout() {
    const big = clamp(H * 0.085, 44, 88);
    const top = Math.max(P.safeArea().top, 12);
    return { big, scoreY: top + big * 0.6, titleY: Math.max(H * 0.17, top + big * 0.6), cardY: top + 8 };
  }

  function drawHud() {
    const { big, scoreY, titleY, cardY } = hudLayout();
    const pulse = 0.6 + 0.4 * Math.sin(clock * 4);
    if (game.mode === "title") {
      text("TOWER", W / 2, titleY, big * 1.05, "#ffffff");
      text("STACK", W / 2, titleY + big, big * 1.05, "#ffe27a");
      text("Tap to drop the sliding block.", W / 2, titleY + big * 2, big * 0.26, "#2d2a6e", { weight: "600", shadow: false });
      text("Line it up: overhangs get sliced off.", W / 2, titleY + big * 2.4, big * 0.26, "#2d2a6e", { weight: "600", shadow: false });
      if (game.best > 0) text("Best  " + game.best, W / 2, titleY + big * 3.1, big * 0.34, "#ffffff");
      const bw = big * 3.6, bh = big * 0.8, by = H * 0.5;
      ctx.fillStyle = "rgba(255,255,255," + (0.75 + 0.25 * pulse).toFixed(3) + ")";
      roundRect(W / 2 - bw / 2, by - bh / 2, bw, bh, bh / 2);
      ctx.fill();
      text("TAP TO START", W / 2, by, big * 0.34, "#3a3180", { shadow: false });
      placeSignIn(by + bh / 2 + 16);
    } else if (game.mode === "play") {
      placeSignIn(null);
      text(String(game.score), W / 2, scoreY, big, "#ffffff");
      if (game.paused) {
        ctx.fillStyle = "rgba(20,16,60,0.45)";
        ctx.fillRect(0, 0, W, H);
        text("Paused", W / 2, H * 0.4, big * 0.6, "#fff");
        ctx.globalAlpha = pulse;
        text("Tap to continue", W / 2, H * 0.47, big * 0.32, "#fff");
        ctx.globalAlpha = 1;
      }
    } else {
      const a = clamp((clock - game.overAt) * 3, 0, 1);
      ctx.globalAlpha = a;
      const cw = Math.min(W - 40, 340), ch = big * 3.7, cx = W / 2 - cw / 2, cy = cardY;
      ctx.fillStyle = "rgba(25,20,70,0.55)";
      roundRect(cx, cy, cw, ch, 22);
      ctx.fill();
      text("GAME OVER", W / 2, cy + big * 0.5, big * 0.3, "#ffe27a");
      text(String(game.score), W / 2, cy + big * 1.3, big * 1.1, "#ffffff");
      text(game.score === 1 ? "floor" : "floors", W / 2, cy + big * 2.0, big * 0.26, "#d8d4ff", { weight: "600", shadow: false });
      text(game.newBest ? "New best!" : "Best  " + game.best, W / 2, cy + big * 2.55, big * 0.32, game.newBest ? "#ffe27a" : "#ffffff");
      ctx.globalAlpha = a * pulse;
      text("Tap to restart", W / 2, cy + big * 3.2, big * 0.3, "#ffffff");
      ctx.globalAlpha = 1;
      placeSignIn(cy + ch + 14); // under the card, next to the best score
    }
  }

  // The sign-in pill (signin.js) is HTML over the canvas, so it stays a real, focusable button.
  function placeSignIn(y) {
    if (window.SignIn) window.SignIn.place(y);
  }

  function roundRect(x, y, w, h, r) {
    ctx.beginPath();
    ctx.moveTo(x + r, y);
    ctx.arcTo(x + w, y, x + w, y + h, r);
    ctx.arcTo(x + w, y + h, x, y + h, r);
    ctx.arcTo(x, y + h, x, y, r);
    ctx.arcTo(x, y, x + w, y, r);
    ctx.closePath();
  }

  function draw() {
    drawSky();
    for (const d of debris) drawDebris(d); // behind the ground: pieces fall past the plaza
    drawGround();
    for (const b of stack) drawBlock(b);
    if (mover) drawBlock(mover);
    drawEffects();
    drawHud();
  }

  // ---------- loop and lifecycle ----------
  function frame(t) {
    raf = 0;
    if (hidden) return;
    const dt = lastT ? Math.min(0.05, (t - lastT) / 1000) : 0; // clamp: no huge jump after a stall
    lastT = t;
    update(dt);
    draw();
    raf = requestAnimationFrame(frame);
  }

  function startLoop() {
    if (raf || hidden) return;
    lastT = 0;
    raf = requestAnimationFrame(frame);
  }

  function onHide() {
    hidden = true;
    if (raf) cancelAnimationFrame(raf);
    raf = 0;
    Sound.suspend();
    P.flush();
  }

  function onShow() {
    hidden = false;
    Sound.resume();
    if (game.mode === "play") game.paused = true; // let the player find the block again
    startLoop();
  }

  window.__game = {
    state: () => ({ score: game.score, best: game.best, over: game.mode === "over", started: game.mode !== "title", paused: game.paused || hidden }),
    // How far the sliding block's left edge is from the top block's (tests time their drops by it).
    overhang: () => (mover ? mover.x - stack[stack.length - 1].x : null),
    // The score's text while playing, top and bottom edge in CSS pixels (tests check the safe area).
    score: () => {
      const { big, scoreY } = hudLayout();
      return { top: scoreY - big / 2, bottom: scoreY + big / 2 };
    },
  };

  canvas.addEventListener("pointerdown", (e) => {
    e.preventDefault();
    window.focus(); // inside the host's iframe: let the keyboard work after a click
    press();
  });
  window.addEventListener("keydown", (e) => {
    if (e.target.closest && e.target.closest("button")) return; // Enter on the sign-in pill is for the pill
    if (e.code === "Space" || e.code === "Enter" || e.code === "ArrowDown") {
      e.preventDefault();
      if (!e.repeat) press();
    }
  });
  let booted = false;
  window.addEventListener("resize", () => {
    if (!booted) return;
    resize();
    if (!raf) draw();
  });

  async function boot() {
    const launch = await P.init();
    hidden = launch.visible === false; // prewarmed apps start hidden: stay paused until onShow
    P.onHide(onHide);
    P.onShow(onShow);
    bestLoad = P.load("best");
    bestLoad.then(applyBest);
    P.progress(10);
    resize();
    buildStars();
    P.progress(30);
    buildClouds();
    P.progress(55);
    buildSkyline();
    P.progress(80);
    await P.within(bestLoad, 2500); // a slow cloud save must not hold the first frame forever
    P.progress(100);
    resetTower();
    booted = true;
    draw(); // first frame, drawn synchronously so a hidden prewarmed frame still gets ready()
    P.ready();
    startLoop();
    if (window.SignIn) window.SignIn.start();
    if (window.Tournament) window.Tournament.start();
  }

  boot();
})();
