"""The demo games as packages: each is self-contained, so each carries its own copy of the shared
platform layer; one copy for all keeps them from drifting apart."""

from __future__ import annotations

from pathlib import Path

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
GAMES = sorted(path for path in EXAMPLES.iterdir() if (path / "minis.json").is_file())


def test_every_demo_game_carries_the_same_platform_layer():
    copies = {game.name: (game / "platform.js").read_text() for game in GAMES}
    assert len(copies) == 3
    assert len(set(copies.values())) == 1, "examples/*/platform.js differ: change one, copy it to the others"
