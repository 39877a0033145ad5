// Sky Runner: Pip runs by itself across stone pillars rising from a sea of clouds.
// Tap to jump, tap again in the air to double jump; hold for a higher jump. Falling
// into a gap, running into a pillar's side or touching a crystal ends the run.
(function () {
  "use strict";

  const P = window.Platform;
  const Sound = window.Sound;
  const canvas = document.getElementById("game");
  const ctx = canvas.getContext("2d");
  const FONT = '-apple-system, BlinkMacSystemFont, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif';

  // World units are scaled to the screen (see resize) so a phone and a desktop see
  // roughly the same look-ahead. Screen-like axes: y grows downward.
  const GRAVITY = 2400;
  const JUMP_V = 800; // first jump: ~133 units high, ~0.67 s in the air
  const DOUBLE_V = 720;
  const SHORT_HOP_V = 330; // releasing early caps the upward speed at this (variable jump height)
  const MIN_HOLD = 0.12; // ...but only after this long, so even an instant tap clears a crystal
  const COYOTE = 0.1; // a jump still counts this long after running off an edge
  const BUFFER = 0.12; // a press this long before landing jumps on touchdown
  const UNITS_PER_M = 20;
  const PW = 26, PH = 34; // player collision box (feet at the bottom center)

  let W = 0, H = 0, dpr = 1, s = 1, viewW = 0, viewH = 0, base = 0, playerX = 0;
  const game = { mode: "title", score: 0, best: 0, newBest: false, paused: false, overAt: 0 };
  const pl = { x: 0, y: 0, vy: 0, grounded: true, jumps: 0, coyote: 0, buffer: 0, spin: 0, squash: 0, jumpT: 0, cut: false, dead: false, run: 0 };
  let dist = 0, speed = 0, camX = 0, shake = 0, nextMilestone = 100;
  let pillars = []; // {x, w, off, spikes: [{x, w, h}], spots}; top = base + off
  let particles = [];
  let far = null, sea = null, cloudSprites = [], clouds = [];
  let hidden = false, raf = 0, lastT = 0, clock = 0, booted = false;
  let skin = "default"; // "golden" once the golden bird is bought (shop.js)
  let continued = false; // a run may be continued once, for coins
  const REVIVE_RUNWAY = 260; // flat ground, free of crystals, to land on when continuing
  let bestLoad = Promise.resolve(null);

  const clamp = (v, a, b) => Math.max(a, Math.min(b, v));
  const rand = (a, b) => a + Math.random() * (b - a);
  const topOf = (p) => base + p.off;

  // ---------- level generation ----------
  // Time in the air before the player comes back down to a ledge `rise` units higher.
  function airTime(rise) {
    const disc = JUMP_V * JUMP_V - 2 * GRAVITY * rise;
    return (JUMP_V + Math.sqrt(Math.max(0, disc))) / GRAVITY;
  }

  function makePillar(x, w, off, withSpikes) {
    const p = { x, w, off, spikes: [], spots: [] };
    for (let i = 0; i < w / 26; i++) p.spots.push({ dx: rand(8, w - 8), dy: rand(30, 400), r: rand(2, 5) });
    if (withSpikes && w > 240) {
      // Leave room to land before the first crystal and to take off after the last one.
      let sx = speed * 0.4 + 50;
      while (sx < w - 90) {
        if (Math.random() < 0.55) {
          const sw = Math.random() < 0.25 ? rand(52, 64) : rand(26, 40);
          p.spikes.push({ x: sx, w: sw, h: rand(28, 42) });
          sx += sw + Math.max(speed * 0.8, 220); // enough space to land and jump again
        } else {
          sx += 90;
        }
      }
    }
    return p;
  }

  function generate() {
    // Keep pillars ready until well past the right edge of the screen.
    while (!pillars.length || pillars[pillars.length - 1].x + pillars[pillars.length - 1].w < camX + viewW + 500) {
      const last = pillars[pillars.length - 1];
      const genSpeed = Math.max(speed, 300);
      const off = clamp(last.off + rand(-70, 60), -110, 70);
      const rise = Math.max(0, last.off - off);
      // Gaps stay within one jump; later on some ask for the double jump.
      const reach = genSpeed * airTime(rise);
      const hard = dist > 1500 && Math.random() < 0.22;
      const gap = hard ? rand(reach * 0.85, reach * 1.2) : rand(70, Math.max(90, reach * 0.72));
      const w = rand(genSpeed * 0.55, genSpeed * (dist < 3000 ? 2.4 : 1.8));
      pillars.push(makePillar(last.x + last.w + gap, w, off, true));
    }
    pillars = pillars.filter((p) => p.x + p.w > camX - 200);
  }

  function resetRun() {
    dist = 0;
    speed = 300;
    camX = 0;
    shake = 0;
    nextMilestone = 100;
    particles = [];
    Object.assign(pl, { x: playerX, y: base, vy: 0, grounded: true, jumps: 0, coyote: 0, buffer: 0, spin: 0, squash: 0, jumpT: 0, cut: false, dead: false, run: 0 });
    pillars = [makePillar(-300, 1300, 0, false)]; // a long safe start
    generate();
    game.score = 0;
    game.newBest = false;
    game.paused = false;
  }

  // ---------- player ----------
  function jump() {
    if (pl.grounded || pl.coyote > 0) {
      pl.jumpT = 0;
      pl.vy = -JUMP_V;
      pl.grounded = false;
      pl.coyote = 0;
      pl.jumps = 1;
      pl.squash = -0.25;
      puff(pl.x, pl.y, 6);
      Sound.tone(440, 0.14, { type: "square", vol: 0.04, to: 720 });
    } else if (pl.jumps < 2) {
      pl.jumpT = 0;
      pl.vy = -DOUBLE_V;
      pl.jumps = 2;
      pl.spin = 1;
      ring(pl.x, pl.y - PH / 2);
      Sound.tone(660, 0.16, { type: "square", vol: 0.04, to: 1200 });
    } else {
      pl.buffer = BUFFER;
    }
  }

  function puff(x, y, n) {
    for (let i = 0; i < n; i++) {
      particles.push({ x: x + rand(-10, 10), y: y - 2, vx: rand(-90, 40) - speed * 0.5, vy: rand(-80, -10), r: rand(3, 6), t: 0, life: rand(0.3, 0.5), kind: "dust" });
    }
  }

  function ring(x, y) {
    particles.push({ x, y, vx: -speed * 0.3, vy: 0, r: 8, t: 0, life: 0.35, kind: "ring" });
  }

  function crash(fromFall) {
    if (pl.dead) return;
    pl.dead = true;
    game.mode = "over";
    game.overAt = clock;
    if (!fromFall) {
      pl.vy = -520; // a little hop back before falling off the screen
      shake = 0.35;
      for (let i = 0; i < 14; i++) {
        particles.push({ x: pl.x, y: pl.y - PH / 2, vx: rand(-260, 120), vy: rand(-320, 80), r: rand(2, 5), t: 0, life: rand(0.4, 0.8), kind: "spark" });
      }
    }
    Sound.tone(300, 0.5, { type: "sawtooth", vol: 0.07, to: 60 });
    if (game.score > game.best) {
      game.best = game.score;
      game.newBest = true;
      saveBest();
    }
  }

  // Saves only after the cloud value was read (and merged by applyBest), so a slow
  // read can never let a lower local best overwrite a higher saved one.
  function saveBest() {
    bestLoad.then(() => P.save("best", game.best));
  }

  function applyBest(v) {
    if (typeof v === "number" && Number.isFinite(v) && v > game.best) game.best = Math.floor(v);
  }

  function pillarUnder(wx) {
    for (const p of pillars) if (wx + PW / 2 > p.x && wx - PW / 2 < p.x + p.w) return p;
    return null;
  }

  function updatePlayer(dt) {
    const wx = camX + pl.x; // player's world x
    const prevY = pl.y;
    pl.jumpT += dt;
    if (pl.cut && pl.jumpT >= MIN_HOLD) {
      if (pl.vy < -SHORT_HOP_V) pl.vy = -SHORT_HOP_V;
      pl.cut = false;
    }
    pl.vy += GRAVITY * dt;
    pl.y += pl.vy * dt;
    pl.squash *= Math.pow(0.001, dt);
    if (pl.spin > 0) pl.spin = Math.max(0, pl.spin - dt / 0.35);
    pl.buffer = Math.max(0, pl.buffer - dt);
    if (pl.dead) return;

    const wasGrounded = pl.grounded;
    pl.grounded = false;
    for (const p of pillars) {
      if (wx + PW / 2 <= p.x || wx - PW / 2 >= p.x + p.w) continue;
      const top = topOf(p);
      if (pl.vy >= 0 && prevY <= top + 1 && pl.y >= top) {
        pl.y = top;
        pl.vy = 0;
        pl.grounded = true;
        pl.jumps = 0;
        if (!wasGrounded) {
          pl.squash = 0.3;
          puff(pl.x, pl.y, 4);
          Sound.tone(140, 0.08, { vol: 0.08, to: 90 });
          if (pl.buffer > 0) jump();
        }
      } else if (pl.y > top + 8) {
        crash(false); // ran into the side of a pillar
        return;
      }
    }
    if (wasGrounded && !pl.grounded && pl.vy >= 0) pl.coyote = COYOTE;
    else pl.coyote = Math.max(0, pl.coyote - dt);

    // Crystals: a slightly smaller box than drawn, so near misses feel fair.
    for (const p of pillars) {
      for (const sp of p.spikes) {
        const sx0 = p.x + sp.x + sp.w * 0.15, sx1 = p.x + sp.x + sp.w * 0.85;
        const sTop = topOf(p) - sp.h * 0.8;
        if (wx + PW / 2 - 4 > sx0 && wx - PW / 2 + 4 < sx1 && pl.y > sTop) {
          crash(false);
          return;
        }
      }
    }
    if (pl.y - PH > viewH) crash(true); // fell into a gap
  }

  // ---------- update ----------
  function update(dt) {
    clock += dt;
    shake = Math.max(0, shake - dt);
    for (const c of clouds) c.x -= c.v * dt;
    if (game.mode === "title") {
      camX += 40 * dt; // slow drift so the title screen feels alive
      pl.run += dt * 6;
      pl.x = playerX;
      pl.y = topOf(pillars[0]);
      if (camX + pl.x > pillars[0].x + pillars[0].w - 400) camX = 0;
      generate();
    } else if (game.mode === "play" && !game.paused) {
      speed = Math.min(640, 300 + dist * 0.012);
      const dx = speed * dt;
      camX += dx;
      dist += dx;
      pl.run += dt * speed * 0.045;
      game.score = Math.floor(dist / UNITS_PER_M);
      if (game.score >= nextMilestone) {
        nextMilestone += 100;
        Sound.tone(880, 0.12, { type: "triangle", vol: 0.08 });
        Sound.tone(1320, 0.18, { type: "triangle", vol: 0.08, delay: 0.1 });
      }
      generate();
      updatePlayer(dt);
    } else if (game.mode === "over") {
      updatePlayer(dt); // the fall continues behind the score card
    }
    for (const q of particles) {
      q.t += dt;
      q.x += q.vx * dt;
      q.y += q.vy * dt;
      if (q.kind === "spark") q.vy += GRAVITY * 0.5 * dt;
    }
    particles = particles.filter((q) => q.t < q.life);
  }

  // ---------- art built once per size ----------
  function layer(width, height) {
    const c = document.createElement("canvas");
    c.width = Math.ceil(width * dpr);
    c.height = Math.ceil(height * dpr);
    const g = c.getContext("2d");
    g.scale(dpr, dpr);
    return [c, g];
  }

  function buildFar() {
    // Distant hills, tileable: integer-period sine sums wrap seamlessly.
    const lw = Math.ceil(Math.max(W, 600)), lh = Math.ceil(H * 0.5);
    const [c, g] = layer(lw, lh);
    const bands = [["rgba(160,150,230,0.55)", 0.55, 1], ["rgba(125,110,210,0.6)", 0.35, 2]];
    for (const [col, hk, seed] of bands) {
      g.fillStyle = col;
      g.beginPath();
      g.moveTo(0, lh);
      for (let x = 0; x <= lw; x += 4) {
        const t = (x / lw) * Math.PI * 2;
        const y = lh * (1 - hk) + Math.sin(t * 2 + seed) * lh * 0.1 + Math.sin(t * 5 + seed * 2) * lh * 0.05 + Math.sin(t * 11) * lh * 0.02;
        g.lineTo(x, y);
      }
      g.lineTo(lw, lh);
      g.fill();
    }
    far = { c, w: lw, h: lh };
  }

  function buildSea() {
    // Sea of clouds along the bottom, drawn in front of the pillars' feet.
    const lw = Math.ceil(Math.max(W, 600)), lh = Math.ceil(Math.max(110, H * 0.2));
    const [c, g] = layer(lw, lh);
    for (const [col, yk, rk] of [["#f3eefe", 0.5, 0.3], ["#ffffff", 0.75, 0.26]]) {
      g.fillStyle = col;
      // A whole number of puffs per tile, each also drawn one tile left and right,
      // makes the strip wrap without a seam.
      const n = Math.max(4, Math.round(lw / (lh * 0.42)));
      for (let i = 0; i < n; i++) {
        const x = (i + yk) * (lw / n);
        const r = lh * rk * (0.8 + 0.4 * Math.abs(Math.sin(i * 2.3 + yk * 7)));
        for (const ox of [0, lw, -lw]) {
          g.beginPath();
          g.arc(x + ox, lh * yk, r, 0, Math.PI * 2);
          g.fill();
        }
      }
      g.fillRect(0, lh * yk, lw, lh);
    }
    sea = { c, w: lw, h: lh };
  }

  function buildClouds() {
    cloudSprites = [0, 1].map((v) => {
      const [c, g] = layer(200, 80);
      g.fillStyle = "#ffffff"; // opaque: overlapping puffs must not show seams (alpha is applied when drawn)
      g.beginPath(); // flat-bottomed capsule, then puffs on top of it
      g.arc(34, 58, 14, Math.PI / 2, Math.PI * 1.5);
      g.arc(166, 58, 14, Math.PI * 1.5, Math.PI / 2);
      g.fill();
      const n = 3 + v;
      for (let i = 0; i < n; i++) {
        const r = 18 + Math.sin(((i + 0.5) / n) * Math.PI) * 12;
        g.beginPath();
        g.arc(50 + (100 * i) / (n - 1), 58 - r * 0.5, r, 0, Math.PI * 2);
        g.fill();
      }
      return c;
    });
    clouds = [];
    for (let i = 0; i < 6; i++) clouds.push({ x: rand(0, W), y: rand(0.08, 0.45), v: rand(8, 22), k: i % 2, sc: rand(0.6, 1.1) });
  }

  function resize() {
    const r = P.fitCanvas(canvas, ctx);
    W = r.w;
    H = r.h;
    dpr = r.dpr;
    s = Math.min(W / 420, H / 640);
    viewW = W / s;
    viewH = H / s;
    const oldBase = base;
    base = viewH * 0.62;
    playerX = Math.min(viewW * 0.25, 170);
    if (booted) {
      pl.y += base - oldBase;
      pl.x = playerX;
    }
  }

  // ---------- drawing ----------
  function tiled(img, parallax, y, h) {
    const off = ((camX * s * parallax) % img.w + img.w) % img.w;
    for (let x = -off; x < W; x += img.w) ctx.drawImage(img.c, x, y, img.w, h);
  }

  function drawBackground() {
    const g = ctx.createLinearGradient(0, 0, 0, H);
    g.addColorStop(0, "#4fb6f7");
    g.addColorStop(0.6, "#a6dcff");
    g.addColorStop(1, "#ffe0b8");
    ctx.fillStyle = g;
    ctx.fillRect(0, 0, W, H);
    const sx = W * 0.78, sy = H * 0.16, sr = Math.min(W, H) * 0.08;
    const glow = ctx.createRadialGradient(sx, sy, sr * 0.5, sx, sy, sr * 3);
    glow.addColorStop(0, "rgba(255,244,200,0.8)");
    glow.addColorStop(1, "rgba(255,244,200,0)");
    ctx.fillStyle = glow;
    ctx.fillRect(sx - sr * 3, sy - sr * 3, sr * 6, sr * 6);
    ctx.fillStyle = "#fff6d6";
    ctx.beginPath();
    ctx.arc(sx, sy, sr, 0, Math.PI * 2);
    ctx.fill();
    for (const c of clouds) {
      const spr = cloudSprites[c.k];
      const w = 200 * c.sc * Math.max(0.7, s);
      let x = ((c.x - camX * s * 0.2) % (W + w * 2) + (W + w * 2)) % (W + w * 2) - w;
      ctx.globalAlpha = 0.88;
      ctx.drawImage(spr, x, c.y * H, w, w * 0.4);
    }
    ctx.globalAlpha = 1;
    const farY = base * s - far.h * 0.55;
    tiled(far, 0.12, farY, far.h);
    // continue the hills' foot down to the bottom so gaps never show bare sky
    ctx.fillStyle = "rgba(160,150,230,0.55)";
    ctx.fillRect(0, farY + far.h - 1, W, H);
    ctx.fillStyle = "rgba(125,110,210,0.6)";
    ctx.fillRect(0, farY + far.h - 1, W, H);
  }

  function drawPillar(p) {
    const x = (p.x - camX) * s, w = p.w * s, top = topOf(p) * s;
    if (x > W || x + w < 0) return;
    const body = ctx.createLinearGradient(0, top, 0, H);
    body.addColorStop(0, "#6a58b8");
    body.addColorStop(1, "#2c2468");
    ctx.fillStyle = body;
    ctx.fillRect(x, top, w, H - top);
    ctx.fillStyle = "rgba(20,12,60,0.25)"; // shaded right side
    ctx.fillRect(x + w - 10 * s, top, 10 * s, H - top);
    ctx.fillStyle = "rgba(255,255,255,0.08)";
    ctx.fillRect(x, top, 5 * s, H - top);
    ctx.fillStyle = "rgba(30,20,80,0.35)";
    for (const d of p.spots) {
      const y = top + d.dy * s;
      if (y > H) continue;
      ctx.beginPath();
      ctx.arc(x + d.dx * s, y, d.r * s, 0, Math.PI * 2);
      ctx.fill();
    }
    // grass cap with a darker lip
    ctx.fillStyle = "#2f9e63";
    ctx.fillRect(x - 3 * s, top, w + 6 * s, 14 * s);
    ctx.fillStyle = "#58d68d";
    ctx.fillRect(x - 3 * s, top - 2 * s, w + 6 * s, 10 * s);
    ctx.fillStyle = "#7de8a8";
    ctx.fillRect(x - 3 * s, top - 2 * s, w + 6 * s, 3 * s);
    for (const sp of p.spikes) drawCrystal(x + sp.x * s, top, sp.w * s, sp.h * s);
  }

  function drawCrystal(x, top, w, h) {
    const n = w > 48 * s ? 3 : w > 34 * s ? 2 : 1;
    const cw = w / n;
    for (let i = 0; i < n; i++) {
      const cx = x + cw * i, hh = h * (n > 1 && i % 2 ? 0.8 : 1);
      ctx.fillStyle = "#ff5fa2";
      ctx.beginPath();
      ctx.moveTo(cx, top);
      ctx.lineTo(cx + cw / 2, top - hh);
      ctx.lineTo(cx + cw, top);
      ctx.fill();
      ctx.fillStyle = "#ffb3d3"; // lit facet
      ctx.beginPath();
      ctx.moveTo(cx + cw * 0.18, top);
      ctx.lineTo(cx + cw / 2, top - hh);
      ctx.lineTo(cx + cw * 0.45, top);
      ctx.fill();
    }
  }

  function drawPlayer() {
    const x = pl.x * s, feet = pl.y * s, r = 15 * s;
    ctx.save();
    ctx.translate(x, feet);
    const sq = pl.squash; // >0 squashed (landing), <0 stretched (jumping)
    ctx.scale(1 + sq * 0.5, 1 - sq * 0.5);
    const cy = -r - 6 * s;
    // legs: alternate while running, tucked in the air
    ctx.strokeStyle = "#c2571b";
    ctx.lineWidth = 4 * s;
    ctx.lineCap = "round";
    const airborne = !pl.grounded || pl.dead;
    for (const side of [-1, 1]) {
      const a = airborne ? 0.5 * side : Math.sin(pl.run + (side > 0 ? Math.PI : 0)) * 0.8;
      ctx.beginPath();
      ctx.moveTo(side * 4 * s, cy + r * 0.7);
      ctx.lineTo(side * 4 * s + Math.sin(a) * 8 * s, airborne ? -4 * s : -Math.max(0, Math.cos(a)) * 2 * s);
      ctx.stroke();
    }
    ctx.translate(0, cy);
    if (pl.spin > 0) ctx.rotate((1 - pl.spin) * Math.PI * 2);
    if (pl.dead) ctx.rotate(clock * 8);
    // scarf trailing behind, waving with time
    ctx.fillStyle = skin === "golden" ? "#7c4dff" : "#ff4d5e";
    ctx.beginPath();
    ctx.moveTo(-r * 0.5, -r * 0.1);
    for (let i = 0; i <= 6; i++) ctx.lineTo(-r * 0.5 - i * 5 * s, -r * 0.1 + Math.sin(clock * 14 - i * 0.9) * i * 1.1 * s);
    for (let i = 6; i >= 0; i--) ctx.lineTo(-r * 0.5 - i * 5 * s, r * 0.3 + Math.sin(clock * 14 - i * 0.9) * i * 1.1 * s);
    ctx.fill();
    const gold = skin === "golden";
    const body = ctx.createRadialGradient(-r * 0.35, -r * 0.4, r * 0.2, 0, 0, r);
    body.addColorStop(0, gold ? "#fffbe0" : "#ffd45c");
    body.addColorStop(0.45, gold ? "#ffd94a" : "#ffc24d");
    body.addColorStop(1, gold ? "#c98a00" : "#ff9a1f");
    ctx.fillStyle = body;
    ctx.beginPath();
    ctx.arc(0, 0, r, 0, Math.PI * 2);
    ctx.fill();
    if (gold) {
      // a little crown, and a glint that runs around the golden body
      ctx.fillStyle = "#ffd94a";
      ctx.strokeStyle = "#b07a0c";
      ctx.lineWidth = 1.2 * s;
      ctx.beginPath();
      ctx.moveTo(-r * 0.45, -r * 0.82);
      ctx.lineTo(-r * 0.5, -r * 1.35);
      ctx.lineTo(-r * 0.22, -r * 1.08);
      ctx.lineTo(0, -r * 1.45);
      ctx.lineTo(r * 0.22, -r * 1.08);
      ctx.lineTo(r * 0.5, -r * 1.35);
      ctx.lineTo(r * 0.45, -r * 0.82);
      ctx.closePath();
      ctx.fill();
      ctx.stroke();
      ctx.strokeStyle = "rgba(255,255,255,0.85)";
      ctx.lineWidth = 2 * s;
      ctx.beginPath();
      ctx.arc(0, 0, r * 0.78, clock * 3, clock * 3 + 0.7);
      ctx.stroke();
    }
    ctx.fillStyle = gold ? "#7c4dff" : "#ff4d5e"; // scarf knot over the body
    ctx.fillRect(-r * 0.75, r * 0.05, r * 1.3, r * 0.28);
    ctx.fillStyle = "#ffffff";
    ctx.beginPath();
    ctx.arc(r * 0.38, -r * 0.3, r * 0.32, 0, Math.PI * 2);
    ctx.fill();
    ctx.fillStyle = "#2a1a3a";
    if (pl.dead) {
      ctx.font = "900 " + Math.round(r * 0.55) + "px " + FONT;
      ctx.textAlign = "center";
      ctx.textBaseline = "middle";
      ctx.fillText("×", r * 0.38, -r * 0.3);
    } else {
      ctx.beginPath();
      ctx.arc(r * 0.46, -r * 0.3, r * 0.15, 0, Math.PI * 2);
      ctx.fill();
    }
    ctx.fillStyle = "#ff7a1a"; // beak
    ctx.beginPath();
    ctx.moveTo(r * 0.85, -r * 0.05);
    ctx.lineTo(r * 1.3, r * 0.08);
    ctx.lineTo(r * 0.85, r * 0.22);
    ctx.fill();
    ctx.restore();
  }

  function drawParticles() {
    for (const q of particles) {
      const a = 1 - q.t / q.life;
      if (q.kind === "ring") {
        ctx.strokeStyle = "rgba(255,255,255," + a.toFixed(3) + ")";
        ctx.lineWidth = 3 * s;
        ctx.beginPath();
        ctx.arc(q.x * s, q.y * s, (q.r + q.t * 90) * s, 0, Math.PI * 2);
        ctx.stroke();
      } else {
        ctx.fillStyle = q.kind === "spark" ? "rgba(255,210,90," + a.toFixed(3) + ")" : "rgba(255,255,255," + (a * 0.8).toFixed(3) + ")";
        ctx.beginPath();
        ctx.arc(q.x * s, q.y * s, q.r * s * (q.kind === "dust" ? 1 + q.t * 2 : 1), 0, Math.PI * 2);
        ctx.fill();
      }
    }
  }

  function text(str, x, y, size, color, weight = "800", shadow = true, outline = null) {
    ctx.font = weight + " " + Math.round(size) + "px " + FONT;
    ctx.textAlign = "center";
    ctx.textBaseline = "middle";
    if (outline) {
      ctx.strokeStyle = outline; // keeps white titles readable over white clouds
      ctx.lineWidth = size * 0.09;
      ctx.lineJoin = "round";
      ctx.strokeText(str, x, y);
    }
    if (shadow) {
      ctx.fillStyle = "rgba(40,30,100,0.3)";
      ctx.fillText(str, x, y + Math.max(2, size * 0.06));
    }
    ctx.fillStyle = color;
    ctx.fillText(str, x, y);
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

  function drawHud() {
    if (window.WideView) window.WideView.show(game.mode !== "play"); // a tap mid-run is a jump
    const big = clamp(Math.min(W * 0.16, H * 0.075), 36, 80);
    const pulse = 0.6 + 0.4 * Math.sin(clock * 4);
    const cx = W / 2;
    // Below the safe area's top (platform.js): the notch, the host's close capsule.
    const top = Math.max(P.safeArea().top, 12);
    const titleY = Math.max(H * 0.14, top + big * 0.7), scoreY = top + big * 0.55;
    if (game.mode === "title") {
      text("SKY", cx, titleY, big * 1.2, "#ffffff", "800", true, "#2d5fae");
      text("RUNNER", cx, titleY + big * 1.1, big * 1.2, "#ffd45c", "800", true, "#2d5fae");
      text("Tap, click or press space to jump.", cx, titleY + big * 2.1, big * 0.3, "#22407a", "600", false);
      text("Tap again in the air to double jump.", cx, titleY + big * 2.55, big * 0.3, "#22407a", "600", false);
      if (game.best > 0) text("Best  " + game.best + " m", cx, titleY + big * 3.3, big * 0.38, "#ffffff");
      const bw = big * 3.8, bh = big * 0.85, by = titleY + big * 4.3;
      ctx.fillStyle = "rgba(255,77,94," + (0.8 + 0.2 * pulse).toFixed(3) + ")";
      roundRect(cx - bw / 2, by - bh / 2, bw, bh, bh / 2);
      ctx.fill();
      text("TAP TO RUN", cx, by, big * 0.36, "#ffffff", "800", false);
      placeShop(by + bh / 2 + 18, null);
      return;
    }
    text(game.score + " m", cx, scoreY, big, "#ffffff");
    if (game.mode === "play") {
      placeShop(null, null);
      if (game.best > 0) text("Best " + Math.max(game.best, game.score) + " m", cx, scoreY + big * 0.75, big * 0.28, "#ffffff", "700");
      if (game.paused) {
        ctx.fillStyle = "rgba(30,40,90,0.45)";
        ctx.fillRect(0, 0, W, H);
        text("Paused", cx, H * 0.38, big * 0.8, "#ffffff");
        ctx.globalAlpha = pulse;
        text("Tap to continue", cx, H * 0.38 + big * 0.8, big * 0.36, "#ffffff");
        ctx.globalAlpha = 1;
      }
      return;
    }
    const a = clamp((clock - game.overAt - 0.35) * 3, 0, 1);
    if (a <= 0) return placeShop(null, null);
    ctx.globalAlpha = a;
    const cw = Math.min(W - 40, 340), ch = big * 4.1, x0 = cx - cw / 2, y0 = Math.max(H * 0.2, scoreY + big * 0.75);
    ctx.fillStyle = "rgba(34,40,110,0.72)";
    roundRect(x0, y0, cw, ch, 22);
    ctx.fill();
    text("GAME OVER", cx, y0 + big * 0.55, big * 0.36, "#ffd45c");
    text(game.score + " m", cx, y0 + big * 1.45, big * 1.05, "#ffffff");
    text(game.newBest ? "New best!" : "Best  " + game.best + " m", cx, y0 + big * 2.4, big * 0.38, game.newBest ? "#ffd45c" : "#ffffff", "700");
    ctx.globalAlpha = a * pulse;
    text("Tap to restart", cx, y0 + big * 3.3, big * 0.36, "#ffffff", "700");
    ctx.globalAlpha = 1;
    placeShop(null, continued ? null : y0 + ch + 16);
  }

  // The shop's buttons (shop.js) are HTML over the canvas, so they stay real, focusable buttons.
  function placeShop(goldenY, reviveY) {
    if (window.Shop) window.Shop.place(goldenY, reviveY);
  }

  function draw() {
    ctx.save();
    if (shake > 0) ctx.translate(rand(-1, 1) * shake * 24, rand(-1, 1) * shake * 24);
    drawBackground();
    for (const p of pillars) drawPillar(p);
    drawParticles();
    drawPlayer();
    tiled(sea, 1.3, H - sea.h, sea.h);
    ctx.restore();
    drawHud();
  }

  // ---------- input ----------
  function press() {
    Sound.unlock();
    pl.cut = false;
    if (game.paused) game.paused = false;
    else if (game.mode === "title") startRun();
    else if (game.mode === "play") jump();
    else if (game.mode === "over" && clock - game.overAt > 0.8) startRun(); // lockout: no accidental restarts
  }

  // Letting go early makes a lower jump (applied in updatePlayer once MIN_HOLD has passed).
  function release() {
    if (game.mode === "play" && !pl.dead && !pl.grounded) pl.cut = true;
  }

  function startRun() {
    resetRun();
    continued = false;
    game.mode = "play";
  }

  // A continue (paid, or for a watched ad): back on solid ground at the first spot ahead of the
  // crash with a runway long enough to get going, crystals there cleared, paused until the next tap.
  function revive() {
    if (game.mode !== "over") return;
    generate();
    const wx = camX + playerX;
    let land = null;
    for (const p of pillars) {
      const x = Math.max(wx, p.x + 40);
      if (p.x + p.w - x >= REVIVE_RUNWAY) {
        land = { p, x };
        break;
      }
    }
    if (!land) {
      // No ledge ahead is long enough (a paid or watched continue must never do nothing): stretch
      // the first one and lay the level out again after it.
      const index = pillars.findIndex((q) => q.x + q.w > wx);
      const first = pillars[index];
      const x = Math.max(wx, first.x + 40);
      first.w = x - first.x + REVIVE_RUNWAY;
      pillars.splice(index + 1);
      generate();
      land = { p: first, x };
    }
    const { p, x } = land;
    p.spikes = p.spikes.filter((sp) => p.x + sp.x > x + REVIVE_RUNWAY + 60 || p.x + sp.x + sp.w < x - PW);
    const shift = x - wx;
    camX += shift;
    dist += shift;
    Object.assign(pl, { x: playerX, y: topOf(p), vy: 0, grounded: true, jumps: 0, coyote: 0, buffer: 0, spin: 0, squash: 0.3, jumpT: 0, cut: false, dead: false });
    particles = [];
    shake = 0;
    continued = true;
    game.mode = "play";
    game.paused = true; // "Tap to continue": the player chooses the moment
    generate();
  }

  canvas.addEventListener("pointerdown", (e) => {
    e.preventDefault();
    window.focus(); // inside the host's iframe: let the keyboard work after a click
    press();
  });
  window.addEventListener("pointerup", release);
  window.addEventListener("pointercancel", release);
  const JUMP_KEYS = ["Space", "ArrowUp", "KeyW", "Enter"];
  window.addEventListener("keydown", (e) => {
    if (e.target.closest && e.target.closest("button")) return; // Enter on a shop button is for the button
    if (!JUMP_KEYS.includes(e.code)) return;
    e.preventDefault();
    if (!e.repeat) press();
  });
  window.addEventListener("keyup", (e) => {
    if (JUMP_KEYS.includes(e.code)) release();
  });
  function relayout() {
    resize();
    buildFar();
    buildSea();
    if (!raf) draw();
  }
  window.addEventListener("resize", () => booted && relayout());

  // ---------- loop and lifecycle ----------
  function frame(t) {
    raf = 0;
    if (hidden) return;
    const dt = lastT ? Math.min(0.04, (t - lastT) / 1000) : 0; // clamp: no jump through walls after a stall
    lastT = t;
    update(dt);
    draw();
    raf = requestAnimationFrame(frame);
  }

  function startLoop() {
    if (raf || hidden || !booted) return; // before boot there is no level to run: boot() starts the loop
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
    if (game.mode === "play" && !pl.dead) game.paused = true; // never resume straight into a gap
    startLoop();
  }

  window.__game = {
    state: () => ({ score: game.score, best: game.best, over: game.mode === "over", started: game.mode !== "title", paused: game.paused || hidden, skin, continued }),
  };

  async function boot() {
    const launch = await P.init();
    hidden = launch.visible === false; // prewarmed apps start hidden: stay paused until onShow
    P.onHide(onHide);
    P.onShow(onShow);
    bestLoad = P.load("best");
    bestLoad.then(applyBest);
    if (window.WideView) window.WideView.start(); // the player's wide view, asked for at once
    P.progress(10);
    resize();
    buildFar();
    P.progress(35);
    buildSea();
    P.progress(55);
    buildClouds();
    P.progress(75);
    await P.within(bestLoad, 2500); // a slow cloud save must not hold the first frame forever
    P.progress(100);
    resetRun();
    booted = true;
    // The wide view (wide.js) may have widened the frame while the art was being built.
    if (W !== Math.max(1, window.innerWidth) || H !== Math.max(1, window.innerHeight)) relayout();
    draw(); // first frame, drawn synchronously so a hidden prewarmed frame still gets ready()
    P.ready();
    startLoop();
    if (window.Welcome) window.Welcome.start();
    if (window.Shop) {
      window.Shop.start({
        onGolden: () => {
          skin = "golden";
          if (!raf) draw();
        },
        onRevive: revive,
      });
    }
  }

  boot();
})();
