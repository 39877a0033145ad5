"""A ~1 MB mini-program for the launch benchmark: real code to parse and run, a binary asset to decode.

Generated, not committed: level data as JavaScript (what a game bundle mostly is), plus a
binary atlas fetched and checksummed before the first frame, as a real game loads its assets.
"""

from __future__ import annotations

import json
import random
from pathlib import Path

APP_ID = "bench-launch"


def write(root: Path, *, js_bytes: int = 700_000, asset_bytes: int = 300_000) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    rng = random.Random(7)
    manifest = {
        "id": APP_ID,
        "name": "Launch Bench",
        "kind": "game",
        "version": "1.0.0",
        "entry": "index.html",
        "orientation": "portrait",
        "category": "benchmark",
        "icon": "icon.svg",
        "description": "A one-megabyte package for timing launches.",
        "allowed_domains": [],
    }
    (root / "minis.json").write_text(json.dumps(manifest))
    (root / "icon.svg").write_text(
        '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 8 8"><rect width="8" height="8" fill="#e84"/></svg>'
    )
    levels, size, n = [], 0, 0
    while size < js_bytes:
        tiles = ",".join(str(rng.randrange(16)) for _ in range(200))
        line = f"levels.push(function level{n}(){{return [{tiles}];}});\n"
        levels.append(line)
        size += len(line)
        n += 1
    (root / "levels.js").write_text("const levels = [];\n" + "".join(levels))
    (root / "atlas.bin").write_bytes(rng.randbytes(asset_bytes))
    (root / "game.js").write_text(GAME_JS)
    page = (
        '<!doctype html><html><head><meta charset="utf-8"><meta name="viewport" content="width=device-width">'
        "<style>html,body{margin:0;height:100%;background:#123}canvas{display:block;width:100%;height:100%}</style></head>"
        '<body><canvas id="c"></canvas><script src="/minis-sdk.js"></script><script src="levels.js"></script>'
        '<script src="game.js"></script></body></html>'
    )
    (root / "index.html").write_text(page)
    # The same page off the entry, for bench/launch.py's "direct" baseline: a tab that opens the
    # app's entry is sent to the host's launcher (runtime/serving.py).
    (root / "direct.html").write_text(page)
    return root


GAME_JS = r"""
(async function () {
  const launch = await minis.init();
  minis.setLoadingProgress(30);
  const atlas = new Uint8Array(await (await fetch("atlas.bin")).arrayBuffer());
  let checksum = 0;
  for (let i = 0; i < atlas.length; i++) checksum = (checksum + atlas[i] * (i & 255)) >>> 0;
  minis.setLoadingProgress(70);
  let tiles = 0;
  for (const level of levels) tiles += level().length;
  const canvas = document.getElementById("c");
  canvas.width = innerWidth; canvas.height = innerHeight;
  const ctx = canvas.getContext("2d");
  ctx.fillStyle = "#e84";
  ctx.fillRect(20, 20, 100 + (checksum % 50), 100 + (tiles % 50));
  const readyAt = performance.now();
  window.__bench = { readyAt, epochReadyAt: performance.timeOrigin + readyAt, tiles, checksum, launch };
  minis.ready();
})();
"""
