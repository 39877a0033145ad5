"""Ad decisions per second over HTTP with 1,000 live campaigns, on SQLite and on PostgreSQL.

Each run seeds 1,000 campaigns (bids, budgets, category and market targeting, some frequency caps,
one video creative each) and a rewarded ad unit straight through the ads services into a new data
dir, starts a real ``minis serve`` on it, then, with the same concurrent clients for the same
duration, measures:

- bare: a FastAPI endpoint that does nothing, served by uvicorn as ``minis serve`` is, in a process of
  its own (bench/baselines.py): the bare limit of a request here, not our code;
- decisions: ``POST /api/ads/requests``, each one an auction over the live-campaign index
  (frequency caps checked with the rate limiter), a decision row committed, two analytics events.

It prints both rates and their ratio (target >= 0.5).
Run: ``python -m bench.ads [--clients 32] [--seconds 8] [--backend sqlite|postgresql|both]``.
"""

from __future__ import annotations

import asyncio
import os
import random
from pathlib import Path

from rich.console import Console

from bench.load import Scratch, bracketed, compare, guest, hammer, run_options, write_package
from openminis.liveserver import LiveServer

APP_ID = "bench-ads"
CAMPAIGNS = 1000
TARGET = 0.5
MANIFEST = {"id": APP_ID, "name": "Bench Ads", "category": "arcade", "description": "Shows rewarded ads, fast."}
MP4 = b"\x00\x00\x00\x18ftypmp42\x00\x00\x00\x00mp42isom" + bytes(1024)


def seed(data_dir: Path, env: dict[str, str]) -> str:
    """Publish the app and create the demand and the unit, before the server starts; returns the unit id."""
    LiveServer.commands.run(
        [
            "publish",
            str(write_package(data_dir.parent / "pkg", **MANIFEST)),
            "--developer",
            "bench-studio@example.com",
            "--data-dir",
            str(data_dir),
        ],
        env={**os.environ, **env},
        check=True,
    )
    from openminis.ads import campaigns, inventory, media
    from openminis.platform import Platform
    from openminis.settings import Settings
    from openminis.unit_of_work import unit_of_work

    platform = Platform(Settings(data_dir=data_dir, database_url=env.get("MINIS_DATABASE_URL", "")))
    rng = random.Random(7)
    try:
        with unit_of_work(platform.db) as session:
            file = media.store(platform.ads.media, MP4, platform.settings.ads_max_creative_bytes).name
            advertisers = [campaigns.create_advertiser(session, name=f"Advertiser {n}").id for n in range(20)]
            for advertiser in advertisers:
                campaigns.deposit(session, advertiser, amount=10**12, idempotency_key="seed")
            for n in range(CAMPAIGNS):
                # A realistic mix: most untargeted, some for other categories or markets, some capped.
                categories = rng.choice([[], [], ["arcade"], ["puzzle"], ["drama", "puzzle"]])
                markets = rng.choice([[], [], ["US"], ["JP", "KR"], ["DE", "FR", "GB"]])
                capped = rng.random() < 0.3
                campaign = campaigns.create_campaign(
                    session,
                    advertiser_id=rng.choice(advertisers),
                    name=f"Campaign {n}",
                    status="active",
                    bid_cpm=rng.randrange(1_000_000, 20_000_000),
                    total_budget=10**10,
                    daily_budget=10**9,
                    categories=categories,
                    markets=markets,
                    frequency_count=3 if capped else None,
                    frequency_seconds=3_600 if capped else None,
                )
                campaigns.add_creative(
                    session,
                    platform.ads.media,
                    campaign.id,
                    file=file,
                    click_url="https://example.com/",
                    title=f"Ad {n}",
                    width=1080,
                    height=1920,
                    duration_ms=30_000,
                )
            unit = inventory.create_unit(
                session,
                APP_ID,
                inventory.UnitFields(name="Bench", kind="rewarded", reward_type="coins", reward_amount=1),
            )
            return unit.id
    finally:
        platform.close()


async def measure(server: LiveServer, bare_url: str, unit_id: str, clients_count: int, seconds: float) -> dict:
    clients = [await guest(server, **{"Accept-Language": "en-US"}) for _ in range(clients_count)]

    async def bare(client, n):
        return await client.get(bare_url)

    async def decision(client, n):
        return await client.post("/api/ads/requests", json={"app_id": APP_ID, "unit_id": unit_id})

    await hammer(clients, 1.0, bare)  # warm-up: the bare server's connections
    await hammer(clients, 1.0, decision)
    rates = await bracketed(clients, seconds, bare, {"decisions": decision})
    for client in clients:
        await client.aclose()
    return rates


def main() -> None:
    args, backends = run_options(__doc__.splitlines()[0], backend="sqlite")
    console = Console()

    def run(scratch: Scratch) -> dict:
        console.print(f"[bold]{scratch.backend}[/bold]: seeding {CAMPAIGNS} campaigns, starting the server")
        unit_id = seed(scratch.data, scratch.env)
        return asyncio.run(measure(scratch.serve(), scratch.bare_fastapi(), unit_id, args.clients, args.seconds))

    title = (
        f"ad decisions per second over {CAMPAIGNS} live campaigns, {args.clients} concurrent clients, "
        f"{args.seconds:.0f} s per phase"
    )
    compare(console, backends, title=title, work="decisions", target=TARGET, measure=run)


if __name__ == "__main__":
    main()
