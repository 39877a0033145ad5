"""A generated avatar: a symmetric 5x5 pattern in a colour taken from the person's id."""

from __future__ import annotations

import hashlib


def avatar_svg(user_id: str) -> str:
    digest = hashlib.sha256(user_id.encode()).digest()
    hue = digest[0] * 360 // 256
    cells = []
    for row in range(5):
        for col in range(3):
            if digest[1 + row * 3 + col] % 2:
                for x in {col, 4 - col}:
                    cells.append(f'<rect x="{x + 1}" y="{row + 1}" width="1" height="1"/>')
    return (
        '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 7 7" shape-rendering="crispEdges">'
        f'<rect width="7" height="7" fill="hsl({hue},45%,92%)"/><g fill="hsl({hue},60%,45%)">{"".join(cells)}</g></svg>'
    )
