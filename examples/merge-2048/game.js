// Merge 2048: slide every tile on a 4x4 board at once; two equal tiles that collide
// merge into their sum. A new tile appears after every move. Reach 2048 to win, keep
// going if you like; the game ends when no move changes the board.
(function () {
  "use strict";

  const P = window.Platform;
  const Sound = window.Sound;
  const canvas = document.getElementById("game");
  const ctx = canvas.getContext("2d");
  const FONT = '-apple-system, BlinkMacSystemFont, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif';

  const N = 4;
  const SLIDE = 0.11; // seconds a slide takes
  const POP = 0.18; // seconds a new or merged tile takes to pop in
  const SWIPE = 22; // px a drag must travel to count as a swipe
  const WIN = 2048;
  // [tile color, text color] per value; glow from 128 up.
  const TILE = {
    2: ["#eef2ff", "#2a2f55"], 4: ["#d3e0ff", "#2a2f55"], 8: ["#8be0c9", "#0f3a3a"],
    16: ["#45c2a3", "#ffffff"], 32: ["#58a8ff", "#ffffff"], 64: ["#3a6ff2", "#ffffff"],
    128: ["#9c7bff", "#ffffff"], 256: ["#7c4ef0", "#ffffff"], 512: ["#d264ee", "#ffffff"],
    1024: ["#ff6fa8", "#ffffff"], 2048: ["#ffc23d", "#4a2a00"], 4096: ["#ff8a3d", "#ffffff"],
    8192: ["#ff4d5e", "#ffffff"],
  };
  const tileColors = (v) => TILE[v] || ["#1b1b2e", "#ffc23d"];
  const DIRS = [[-1, 0], [0, 1], [1, 0], [0, -1]]; // up, right, down, left as [dr, dc]

  let W = 0, H = 0, dpr = 1;
  let L = {}; // layout rectangles, recomputed on resize
  const game = { mode: "title", score: 0, best: 0, won: false, newBest: false, overAt: 0, resumed: false };
  let cells = []; // cells[r][c] = tile {v, r, c, fr, fc, appear, merged} or null
  let ghosts = []; // tiles that merged away: they slide to their target, then vanish
  let animStart = -10; // when the current slide began (seconds)
  let confirmUntil = 0; // "New game" asks for a second tap until this time
  let sprites = {}, bg = null;
  let hidden = false, raf = 0, booted = false, saveAllowed = false;
  let drag = null;

  const now = () => performance.now() / 1000;
  const clamp = (v, a, b) => Math.max(a, Math.min(b, v));
  const easeOut = (t) => 1 - Math.pow(1 - t, 3);

  // ---------- board logic ----------
  function emptyGrid() {
    return Array.from({ length: N }, () => Array(N).fill(null));
  }

  function addRandomTile(appear) {
    const free = [];
    for (let r = 0; r < N; r++) for (let c = 0; c < N; c++) if (!cells[r][c]) free.push([r, c]);
    if (!free.length) return;
    const [r, c] = free[(Math.random() * free.length) | 0];
    cells[r][c] = { v: Math.random() < 0.9 ? 2 : 4, r, c, fr: r, fc: c, appear, merged: false };
  }

  function newGame() {
    cells = emptyGrid();
    ghosts = [];
    game.score = 0;
    game.won = false;
    game.newBest = false;
    game.resumed = false;
    const t = now();
    addRandomTile(t);
    addRandomTile(t + 0.05);
    saveBoard();
  }

  function canMove() {
    for (let r = 0; r < N; r++) {
      for (let c = 0; c < N; c++) {
        const t = cells[r][c];
        if (!t) return true;
        if (c + 1 < N && cells[r][c + 1] && cells[r][c + 1].v === t.v) return true;
        if (r + 1 < N && cells[r + 1][c] && cells[r + 1][c].v === t.v) return true;
      }
    }
    return false;
  }

  function move(dir) {
    if (game.mode !== "play") return;
    const t0 = now();
    const [dr, dc] = DIRS[dir];
    // Walk from the far edge toward the near one so leading tiles settle first.
    const order = [0, 1, 2, 3];
    const rows = dr > 0 ? [...order].reverse() : order;
    const cols = dc > 0 ? [...order].reverse() : order;
    for (let r = 0; r < N; r++) for (let c = 0; c < N; c++) {
      const t = cells[r][c];
      if (t) { t.fr = r; t.fc = c; t.merged = false; t.appear = 0; }
    }
    const nextGhosts = [];
    let moved = false, gained = 0, madeWin = false, best = 0;
    for (const r of rows) {
      for (const c of cols) {
        const t = cells[r][c];
        if (!t) continue;
        let nr = r, nc = c;
        while (true) {
          const ar = nr + dr, ac = nc + dc;
          if (ar < 0 || ar >= N || ac < 0 || ac >= N || cells[ar][ac]) break;
          nr = ar;
          nc = ac;
        }
        const ar = nr + dr, ac = nc + dc;
        const other = ar >= 0 && ar < N && ac >= 0 && ac < N ? cells[ar][ac] : null;
        cells[r][c] = null;
        if (other && other.v === t.v && !other.merged) {
          // Both tiles slide into the target cell as ghosts; the sum pops in after the slide.
          const v = t.v * 2;
          nextGhosts.push({ v: t.v, fr: r, fc: c, r: ar, c: ac });
          nextGhosts.push({ v: other.v, fr: other.fr, fc: other.fc, r: ar, c: ac });
          cells[ar][ac] = { v, r: ar, c: ac, fr: ar, fc: ac, appear: t0 + SLIDE, merged: true };
          gained += v;
          best = Math.max(best, v);
          if (v === WIN && !game.won) madeWin = true;
          moved = true;
        } else {
          cells[nr][nc] = t;
          t.r = nr;
          t.c = nc;
          if (nr !== r || nc !== c) moved = true;
        }
      }
    }
    if (!moved) return;
    ghosts = nextGhosts;
    animStart = t0;
    addRandomTile(t0 + SLIDE);
    game.score += gained;
    if (game.score > game.best) {
      game.best = game.score;
      game.newBest = true;
      if (saveAllowed) P.saveLater("best", game.best, 800);
    }
    if (best) {
      // Pitch climbs with the merged value: 4 -> low, 2048 -> two octaves up.
      Sound.tone(330 * Math.pow(2, (Math.log2(best) - 2) / 5), 0.16, { type: "triangle", vol: 0.13 });
    } else {
      Sound.tone(180, 0.07, { type: "sine", vol: 0.05, to: 140 });
    }
    if (madeWin) {
      game.won = true;
      game.mode = "won";
      game.overAt = t0;
      [523, 659, 784, 1047].forEach((f, i) => Sound.tone(f, 0.3, { type: "triangle", vol: 0.12, delay: 0.15 + i * 0.1 }));
      Social.roundOver(game.score);
    } else if (!canMove()) {
      game.mode = "over";
      game.overAt = t0;
      Social.roundOver(game.score);
      Sound.tone(300, 0.7, { type: "sawtooth", vol: 0.06, to: 80, delay: 0.15 });
    }
    saveBoard();
  }

  // ---------- social: the weekly board, a challenge shared with friends ----------
  // The board takes scores from the game itself (minis.json `client_scores`, capped by max_score):
  // fine for a casual puzzle. Opened standalone there is no host: every call just fails quietly.
  const Social = {
    // The score a friend's share dared this player to beat. Read when drawn: a prewarmed game
    // learns that it was opened from a share only at the tap.
    get challenge() {
      const options = minis.getLaunchOptions();
      const dared = options && options.scene === "share" ? Number(options.query.challenge) : NaN;
      return Number.isInteger(dared) && dared > 0 ? dared : null;
    },
    playing(on) {
      // No interstitial mid-round: the host holds them until the round ends.
      (on ? minis.gameplayStart() : minis.gameplayStop()).catch(() => {});
    },
    roundOver(score) {
      this.playing(false);
      if (score > 0 && minis.canIUse("leaderboard.submit")) minis.leaderboard.submit("best", score).catch(() => {});
    },
    showBoard() {
      minis.leaderboard.show("best").catch(() => {});
    },
    challengeFriends(score) {
      minis.share({ title: "I scored " + score + " in Merge 2048. Beat it!", query: { challenge: String(score) } }).catch(() => {});
    },
    // "Remind me": one message when the weekly board closes, with the player's rank (minis.json
    // `messages`). Asked only on this tap, never on its own; the studio's backend sends it with
    // POST /openapi/v1/messages (MinisClient.send_message) and the tap on it reopens the game.
    reminder: null, // null: not asked this session; "accept" or "reject": the person's answer
    // "Copy result": a line to paste to friends. The host copies only right after a tap in the
    // game, so this runs inside the tap's own handler, before anything awaits. The SDK gives the
    // game no link of its own to add (a share's link is shown on the host's sheet only).
    copied: null, // what the last copy said, shown under the buttons: {text, until}
    copyResult() {
      const text = "I scored " + game.score + " in Merge 2048, best tile " + bestTile() + ".";
      minis.setClipboardData(text).then(
        () => (this.copied = { text: "Copied", until: now() + 2.5 }),
        (error) => {
          const why = error && error.code === "NOT_ALLOWED" ? "tap Copy result again" : (error && error.code) || "no clipboard";
          this.copied = { text: "Couldn't copy: " + why, until: now() + 4 };
        }
      );
    },
    // "More games": the host asks the person first; on Open this game closes and Sky Runner opens,
    // told where the player came from (its launch's query). Cancel leaves the player here.
    moreGames() {
      minis.openApp("sky-runner", { query: { from: "merge-2048" } }).catch(() => {});
    },
    remindMe() {
      if (this.reminder || !minis.canIUse("requestSubscribeMessage")) return;
      minis.requestSubscribeMessage(["weekly_result"]).then(
        (answers) => (this.reminder = answers.weekly_result),
        () => {}
      );
    },
  };

  function bestTile() {
    let best = 0;
    for (const row of cells) for (const tile of row) if (tile && tile.v > best) best = tile.v;
    return best;
  }

  // ---------- persistence ----------
  function saveBoard() {
    if (!saveAllowed) return; // never overwrite the cloud save before it has been read
    if (game.mode === "over") {
      P.save("board", null);
      if (game.newBest) P.save("best", game.best);
      return;
    }
    const flat = [];
    for (let r = 0; r < N; r++) for (let c = 0; c < N; c++) flat.push(cells[r][c] ? cells[r][c].v : 0);
    P.saveLater("board", { v: 1, cells: flat, score: game.score, won: game.won }, 400);
  }

  function restoreBoard(saved) {
    if (!saved || typeof saved !== "object" || !Array.isArray(saved.cells) || saved.cells.length !== N * N) return false;
    const ok = saved.cells.every((v) => v === 0 || (Number.isInteger(v) && v >= 2 && v <= 131072 && (v & (v - 1)) === 0));
    if (!ok || !saved.cells.some((v) => v > 0) || !Number.isFinite(saved.score) || saved.score < 0) return false;
    cells = emptyGrid();
    const t = now();
    saved.cells.forEach((v, i) => {
      const r = (i / N) | 0, c = i % N;
      if (v) cells[r][c] = { v, r, c, fr: r, fc: c, appear: t + i * 0.015, merged: false };
    });
    if (!canMove()) return false;
    ghosts = [];
    game.score = Math.floor(saved.score);
    game.best = Math.max(game.best, game.score); // the board may be newer than the saved best
    game.won = !!saved.won;
    game.resumed = true;
    return true;
  }

  function applyBest(v) {
    if (typeof v === "number" && Number.isFinite(v) && v > game.best) game.best = Math.floor(v);
  }

  // ---------- layout and sprites ----------
  function resize() {
    const s = P.fitCanvas(canvas, ctx);
    W = s.w;
    H = s.h;
    dpr = s.dpr;
    // Centred in the safe area (platform.js): clear of the notch, the home bar and the host's capsule.
    const safe = P.safeArea();
    const size = Math.floor(Math.min(W - 32 - safe.left - safe.right, H * 0.6, 480));
    const gap = Math.max(6, Math.round(size * 0.028));
    const headH = Math.round(size * 0.2);
    const btnH = Math.max(36, Math.round(size * 0.1));
    const total = headH + 12 + btnH + 16 + size + 50;
    const top = Math.max(safe.top + 12, safe.top + (H - safe.top - safe.bottom - total) / 2);
    const x0 = safe.left + (W - safe.left - safe.right - size) / 2;
    const boxW = (size - headH - 20) / 2;
    L = {
      size, gap, x0, top, headH, btnH,
      cell: (size - gap * (N + 1)) / N,
      boardY: top + headH + 12 + btnH + 16,
      logo: { x: x0, y: top, w: headH, h: headH },
      scoreBox: { x: x0 + headH + 10, y: top, w: boxW, h: headH },
      bestBox: { x: x0 + size - boxW, y: top, w: boxW, h: headH },
      newBtn: { x: x0 + size - size * 0.36, y: top + headH + 12, w: size * 0.36, h: btnH },
    };
    L.hintY = L.boardY + size + 28;
    buildBackground();
    buildSprites();
  }

  function buildBackground() {
    // Soft colored blobs on deep navy, drawn once per size.
    bg = document.createElement("canvas");
    bg.width = Math.round(W * dpr);
    bg.height = Math.round(H * dpr);
    const g = bg.getContext("2d");
    g.scale(dpr, dpr);
    const base = g.createLinearGradient(0, 0, 0, H);
    base.addColorStop(0, "#1d2246");
    base.addColorStop(1, "#141731");
    g.fillStyle = base;
    g.fillRect(0, 0, W, H);
    const blobs = [[0.1, 0.12, "rgba(124,78,240,0.35)"], [0.95, 0.3, "rgba(69,194,163,0.22)"], [0.2, 0.9, "rgba(255,111,168,0.2)"], [0.85, 0.95, "rgba(88,168,255,0.22)"]];
    for (const [fx, fy, col] of blobs) {
      const r = Math.max(W, H) * 0.45;
      const rg = g.createRadialGradient(fx * W, fy * H, 0, fx * W, fy * H, r);
      rg.addColorStop(0, col);
      rg.addColorStop(1, "rgba(0,0,0,0)");
      g.fillStyle = rg;
      g.fillRect(0, 0, W, H);
    }
  }

  function roundRect(g, x, y, w, h, r) {
    g.beginPath();
    g.moveTo(x + r, y);
    g.arcTo(x + w, y, x + w, y + h, r);
    g.arcTo(x + w, y + h, x, y + h, r);
    g.arcTo(x, y + h, x, y, r);
    g.arcTo(x, y, x + w, y, r);
    g.closePath();
  }

  // One pre-rendered canvas per tile value at the current cell size, so a frame is
  // just 16 drawImage calls (glows and text are the expensive parts).
  function buildSprites() {
    sprites = {};
    const cell = L.cell, pad = Math.ceil(cell * 0.18);
    for (let v = 2; v <= 131072; v *= 2) {
      const c = document.createElement("canvas");
      c.width = c.height = Math.ceil((cell + pad * 2) * dpr);
      const g = c.getContext("2d");
      g.scale(dpr, dpr);
      const [fill, ink] = tileColors(v);
      const r = cell * 0.14;
      if (v >= 128) {
        g.shadowColor = fill;
        g.shadowBlur = cell * (v >= WIN ? 0.3 : 0.16);
      }
      g.fillStyle = "rgba(0,0,0,0.25)"; // bottom edge for a little depth
      roundRect(g, pad, pad + cell * 0.05, cell, cell, r);
      g.fill();
      g.shadowBlur = 0;
      g.fillStyle = fill;
      roundRect(g, pad, pad, cell, cell, r);
      g.fill();
      const shine = g.createLinearGradient(0, pad, 0, pad + cell);
      shine.addColorStop(0, "rgba(255,255,255,0.22)");
      shine.addColorStop(0.5, "rgba(255,255,255,0)");
      g.fillStyle = shine;
      roundRect(g, pad, pad, cell, cell, r);
      g.fill();
      const digits = String(v).length;
      const size = cell * (digits <= 2 ? 0.46 : digits === 3 ? 0.38 : digits === 4 ? 0.3 : 0.24);
      g.font = "800 " + Math.round(size) + "px " + FONT;
      g.textAlign = "center";
      g.textBaseline = "middle";
      g.fillStyle = ink;
      g.fillText(String(v), pad + cell / 2, pad + cell / 2 + size * 0.04);
      sprites[v] = { c, pad };
    }
  }

  // ---------- drawing ----------
  const cellX = (c) => L.x0 + L.gap + c * (L.cell + L.gap);
  const cellY = (r) => L.boardY + L.gap + r * (L.cell + L.gap);

  function drawTile(v, x, y, scale) {
    const s = sprites[v] || sprites[131072];
    const full = L.cell + s.pad * 2;
    const size = full * scale;
    ctx.drawImage(s.c, x + L.cell / 2 - size / 2, y + L.cell / 2 - size / 2, size, size);
  }

  function text(str, x, y, size, color, weight = "800", align = "center") {
    ctx.font = weight + " " + Math.round(size) + "px " + FONT;
    ctx.textAlign = align;
    ctx.textBaseline = "middle";
    ctx.fillStyle = color;
    ctx.fillText(str, x, y);
  }

  function drawButton(b, label, fill, ink) {
    ctx.fillStyle = fill;
    roundRect(ctx, b.x, b.y, b.w, b.h, b.h / 2);
    ctx.fill();
    text(label, b.x + b.w / 2, b.y + b.h / 2, b.h * 0.4, ink);
  }

  function drawHeader(t) {
    const { logo, scoreBox, bestBox, headH } = L;
    const lg = ctx.createLinearGradient(logo.x, logo.y, logo.x + logo.w, logo.y + logo.h);
    lg.addColorStop(0, "#ffc23d");
    lg.addColorStop(1, "#ff6fa8");
    ctx.fillStyle = lg;
    roundRect(ctx, logo.x, logo.y, logo.w, logo.h, headH * 0.18);
    ctx.fill();
    text("2048", logo.x + logo.w / 2, logo.y + logo.h / 2, headH * 0.3, "#2a1a3a");
    for (const [box, label, value] of [[scoreBox, "SCORE", game.score], [bestBox, "BEST", game.best]]) {
      ctx.fillStyle = "rgba(255,255,255,0.08)";
      roundRect(ctx, box.x, box.y, box.w, box.h, headH * 0.18);
      ctx.fill();
      text(label, box.x + box.w / 2, box.y + box.h * 0.3, headH * 0.16, "#a9b0e6", "700");
      const vs = String(value);
      text(vs, box.x + box.w / 2, box.y + box.h * 0.66, Math.min(headH * 0.34, (box.w * 1.5) / Math.max(3, vs.length)), "#ffffff");
    }
    text("Merge the tiles, reach 2048!", L.x0, L.newBtn.y + L.btnH / 2, L.btnH * 0.38, "#c9cdf5", "600", "left");
    const asking = t < confirmUntil;
    drawButton(L.newBtn, asking ? "Sure? Tap again" : "New game", asking ? "#ff6fa8" : "#7c4ef0", "#ffffff");
  }

  function drawBoard(t) {
    const { x0, boardY, size, gap, cell } = L;
    ctx.fillStyle = "#2a2f5c";
    roundRect(ctx, x0, boardY, size, size, gap * 1.6);
    ctx.fill();
    ctx.fillStyle = "rgba(255,255,255,0.06)";
    for (let r = 0; r < N; r++) for (let c = 0; c < N; c++) {
      roundRect(ctx, cellX(c), cellY(r), cell, cell, cell * 0.14);
      ctx.fill();
    }
    const p = easeOut(clamp((t - animStart) / SLIDE, 0, 1));
    if (p < 1) {
      for (const g of ghosts) {
        drawTile(g.v, cellX(g.fc + (g.c - g.fc) * p), cellY(g.fr + (g.r - g.fr) * p), 1);
      }
    }
    for (let r = 0; r < N; r++) for (let c = 0; c < N; c++) {
      const tile = cells[r][c];
      if (!tile || t < tile.appear) continue;
      let scale = 1;
      const q = clamp((t - tile.appear) / POP, 0, 1);
      if (tile.merged) scale = 1 + 0.18 * Math.sin(q * Math.PI); // bump
      else if (tile.appear > 0) scale = easeOut(q) * (1 + 0.1 * Math.sin(q * Math.PI)); // grow in
      if (scale <= 0.01) continue;
      drawTile(tile.v, cellX(tile.fc + (c - tile.fc) * p), cellY(tile.fr + (r - tile.fr) * p), scale);
    }
  }

  // The social buttons show only where the host has the call (minis.canIUse).
  const can = (name) => minis.canIUse(name);

  // A result's "Copied" (or why not), under the buttons for a moment.
  function drawCopied(t, x, y, size) {
    const c = Social.copied;
    if (c && t < c.until) text(c.text, x, y, size * 0.045, c.text === "Copied" ? "#8be0c9" : "#ff9ac1", "700");
  }

  function drawOverlay(t) {
    if (game.mode === "play") return;
    const { x0, boardY, size } = L;
    const a = game.mode === "title" ? 1 : clamp((t - game.overAt - 0.25) * 4, 0, 1);
    if (a <= 0) return;
    ctx.globalAlpha = a;
    ctx.fillStyle = "rgba(20,23,49,0.86)";
    roundRect(ctx, x0, boardY, size, size, L.gap * 1.6);
    ctx.fill();
    const cx = x0 + size / 2, cy = boardY + size / 2;
    const pulse = 0.65 + 0.35 * Math.sin(t * 4);
    const bw = size * 0.38, bh = size * 0.1;
    const pair = (y) => [{ x: cx - bw - size * 0.02, y, w: bw, h: bh }, { x: cx + size * 0.02, y, w: bw, h: bh }];
    const single = (y, h = bh) => ({ x: cx - bw / 2, y, w: bw, h });
    L.copyBtn = L.moreBtn = L.remindBtn = null;
    if (game.mode === "title") {
      text("2048", cx, cy - size * 0.2, size * 0.24, "#ffc23d");
      text("Swipe, drag or use the arrow keys.", cx, cy - size * 0.03, size * 0.045, "#c9cdf5", "600");
      text("Equal tiles merge into one.", cx, cy + size * 0.035, size * 0.045, "#c9cdf5", "600");
      L.overlayBtn = { x: cx - size * 0.25, y: cy + size * 0.12, w: size * 0.5, h: size * 0.13 };
      ctx.globalAlpha = 0.8 + 0.2 * pulse;
      drawButton(L.overlayBtn, game.resumed ? "Continue" : "Play", "#45c2a3", "#ffffff");
      ctx.globalAlpha = 1;
      if (can("openApp")) {
        L.moreBtn = single(cy + size * 0.285, bh * 0.85);
        drawButton(L.moreBtn, "More games", "#2c3166", "#c9cdf5");
      }
      if (game.best > 0) text("Best " + game.best, cx, cy + size * 0.43, size * 0.05, "#a9b0e6", "700");
      if (Social.challenge) text("A friend scored " + Social.challenge + ": beat it!", cx, cy - size * 0.36, size * 0.05, "#ffc23d", "700");
    } else if (game.mode === "won") {
      text("2048!", cx, cy - size * 0.2, size * 0.2, "#ffc23d");
      text("You made it. Score " + game.score, cx, cy - size * 0.03, size * 0.05, "#ffffff", "700");
      [L.keepBtn, L.againBtn] = pair(cy + size * 0.1).map((b) => ({ ...b, h: size * 0.13 }));
      drawButton(L.keepBtn, "Keep going", "#45c2a3", "#ffffff");
      drawButton(L.againBtn, "New game", "#7c4ef0", "#ffffff");
      if (can("setClipboardData")) {
        L.copyBtn = single(cy + size * 0.27);
        drawButton(L.copyBtn, "Copy result", "#2c3166", "#c9cdf5");
        drawCopied(t, cx, cy + size * 0.42, size);
      }
    } else if (game.mode === "over") {
      text("No moves left", cx, cy - size * 0.36, size * 0.07, "#ff6fa8");
      text(String(game.score), cx, cy - size * 0.22, size * 0.14, "#ffffff");
      text(game.newBest ? "New best!" : "Best " + game.best, cx, cy - size * 0.1, size * 0.055, game.newBest ? "#ffc23d" : "#c9cdf5", "700");
      [L.boardBtn, L.shareBtn] = pair(cy - size * 0.04);
      drawButton(L.boardBtn, "Leaderboard", "#45c2a3", "#ffffff");
      drawButton(L.shareBtn, "Challenge", "#7c4ef0", "#ffffff");
      const [left, right] = pair(cy + size * 0.08);
      if (can("setClipboardData")) L.copyBtn = can("openApp") ? left : single(left.y);
      if (can("openApp")) L.moreBtn = can("setClipboardData") ? right : single(right.y);
      if (L.copyBtn) drawButton(L.copyBtn, "Copy result", "#2c3166", "#ffffff");
      if (L.moreBtn) drawButton(L.moreBtn, "More games", "#2c3166", "#ffffff");
      L.remindBtn = Social.reminder ? null : single(cy + size * 0.2, bh * 0.8);
      if (L.remindBtn) drawButton(L.remindBtn, "Remind me", "#2c3166", "#c9cdf5");
      else if (Social.reminder === "accept") text("We'll tell you your rank", cx, cy + size * 0.24, size * 0.045, "#a9b0e6", "600");
      drawCopied(t, cx, cy + size * 0.335, size);
      ctx.globalAlpha = a * pulse;
      text("Tap to restart", cx, cy + size * 0.43, size * 0.055, "#ffffff", "700");
    }
    ctx.globalAlpha = 1;
  }

  function draw() {
    const t = now();
    ctx.drawImage(bg, 0, 0, W, H);
    drawHeader(t);
    drawBoard(t);
    drawOverlay(t);
    if (game.mode === "play") {
      text("Swipe or use arrow keys / WASD", W / 2, L.hintY, Math.max(12, L.size * 0.034), "rgba(201,205,245,0.6)", "600");
    }
  }

  // ---------- input ----------
  const inside = (b, x, y) => b && x >= b.x && x <= b.x + b.w && y >= b.y && y <= b.y + b.h;

  function startPlay() {
    game.mode = "play";
    Social.playing(true);
  }

  function restart() {
    const roundEnded = game.mode === "over" || game.mode === "won";
    newGame();
    game.mode = "play";
    Social.playing(true);
    // A natural break: the new board is ready behind the ad when it closes.
    if (roundEnded && window.Interstitials) window.Interstitials.atBreak();
  }

  function tap(x, y) {
    Sound.unlock();
    const t = now();
    if (game.mode === "title") {
      if (inside(L.moreBtn, x, y)) Social.moreGames();
      else startPlay();
    } else if (game.mode === "won") {
      if (t - game.overAt < 0.5) return;
      if (inside(L.againBtn, x, y)) restart();
      else if (inside(L.keepBtn, x, y)) game.mode = "play";
      else if (inside(L.copyBtn, x, y)) Social.copyResult();
    } else if (game.mode === "over") {
      if (inside(L.boardBtn, x, y)) Social.showBoard();
      else if (inside(L.shareBtn, x, y)) Social.challengeFriends(game.score);
      else if (inside(L.copyBtn, x, y)) Social.copyResult();
      else if (inside(L.moreBtn, x, y)) Social.moreGames();
      else if (inside(L.remindBtn, x, y)) Social.remindMe();
      else if (t - game.overAt > 0.8) restart(); // lockout: the swipe that ended it must not restart
    } else if (inside(L.newBtn, x, y)) {
      // A second tap within 2 s confirms, so a stray tap cannot wipe a long game.
      if (t < confirmUntil || game.score === 0) {
        confirmUntil = 0;
        restart();
      } else {
        confirmUntil = t + 2;
      }
    }
  }

  function pos(e) {
    const r = canvas.getBoundingClientRect();
    return [e.clientX - r.left, e.clientY - r.top];
  }

  canvas.addEventListener("pointerdown", (e) => {
    e.preventDefault();
    window.focus(); // inside the host's iframe: let the keyboard work after a click
    const [x, y] = pos(e);
    drag = { id: e.pointerId, x, y, used: false };
    try { canvas.setPointerCapture(e.pointerId); } catch (err) { /* synthetic pointers */ }
  });
  canvas.addEventListener("pointermove", (e) => {
    if (!drag || drag.used || e.pointerId !== drag.id) return;
    const [x, y] = pos(e);
    const dx = x - drag.x, dy = y - drag.y;
    if (Math.max(Math.abs(dx), Math.abs(dy)) < SWIPE) return;
    drag.used = true; // one move per swipe, fired as soon as the finger has committed
    Sound.unlock();
    if (game.mode === "title") startPlay();
    if (Math.abs(dx) > Math.abs(dy)) move(dx > 0 ? 1 : 3);
    else move(dy > 0 ? 2 : 0);
  });
  const endDrag = (e) => {
    if (!drag || e.pointerId !== drag.id) return;
    const d = drag;
    drag = null;
    if (!d.used && e.type === "pointerup") tap(...pos(e));
  };
  canvas.addEventListener("pointerup", endDrag);
  canvas.addEventListener("pointercancel", endDrag);

  const KEYS = { ArrowUp: 0, KeyW: 0, ArrowRight: 1, KeyD: 1, ArrowDown: 2, KeyS: 2, ArrowLeft: 3, KeyA: 3 };
  window.addEventListener("keydown", (e) => {
    if (e.code in KEYS) {
      e.preventDefault();
      Sound.unlock();
      if (game.mode === "title") startPlay();
      move(KEYS[e.code]);
    } else if (e.code === "Enter" || e.code === "Space") {
      e.preventDefault();
      Sound.unlock();
      if (game.mode === "title") startPlay();
      else if (game.mode === "won") game.mode = "play";
      else if (game.mode === "over" && now() - game.overAt > 0.8) restart();
    }
  });

  window.addEventListener("resize", () => {
    if (!booted) return;
    resize();
    if (!raf) draw();
  });
  P.onSafeAreaChange(() => {
    if (!booted) return;
    resize();
    if (!raf) draw();
  });

  // ---------- loop and lifecycle ----------
  function frame() {
    raf = 0;
    if (hidden) return;
    draw();
    raf = requestAnimationFrame(frame);
  }

  function startLoop() {
    if (!raf && !hidden) raf = requestAnimationFrame(frame);
  }

  function onHide() {
    hidden = true;
    if (raf) cancelAnimationFrame(raf);
    raf = 0;
    Sound.suspend();
    P.flush(); // the board is saved before the app may be closed
  }

  function onShow() {
    hidden = false;
    Sound.resume();
    startLoop();
  }

  window.__game = {
    state: () => ({ score: game.score, best: game.best, over: game.mode === "over", started: game.mode !== "title", won: game.won }),
    // Where the game-over overlay's "Remind me" is drawn (null until it is, and once answered).
    remindButton: () => (game.mode === "over" && L.remindBtn ? { ...L.remindBtn } : null),
    // Where an overlay's "Copy result" ("copy") or "More games" ("more") is drawn, or null.
    button: (name) => {
      const b = game.mode !== "play" && { copy: L.copyBtn, more: L.moreBtn }[name];
      return b ? { ...b } : null;
    },
    // What the overlay says under its buttons after a copy ("Copied", or why not), or null.
    copied: () => (Social.copied && now() < Social.copied.until ? Social.copied.text : null),
  };

  async function boot() {
    const launch = await P.init();
    hidden = launch.visible === false; // prewarmed apps start hidden: no loop until onShow
    P.onHide(onHide);
    P.onShow(onShow);
    P.progress(10);
    const bestLoad = P.load("best");
    const boardLoad = P.load("board");
    bestLoad.then(applyBest);
    resize(); // background and tile sprites
    P.progress(50);
    const [, saved] = await Promise.all([P.within(bestLoad, 2500), P.within(boardLoad, 2500, undefined)]);
    P.progress(90);
    if (!restoreBoard(saved)) newGame();
    if (saved === undefined) {
      // The save was slow: take it if it arrives before the player has started.
      boardLoad.then((late) => {
        if (game.mode === "title") restoreBoard(late);
        saveAllowed = true;
      });
      setTimeout(() => (saveAllowed = true), 8000);
    } else {
      saveAllowed = true;
    }
    P.progress(100);
    booted = true;
    draw(); // first frame, drawn synchronously so a hidden prewarmed frame still gets ready()
    P.ready();
    startLoop();
    window.dispatchEvent(new Event("minis-game-booted"));
  }

  boot();
})();
