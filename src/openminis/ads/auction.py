"""The auction: second price among eligible campaigns, over an in-memory index of live ones.

A request must not read every campaign from the database: the index holds the live campaigns
(active, with a creative, able to pay their own bid from their budgets and their advertiser's
funds) sorted by bid, and for each (format, app category, market) it remembers once which of them
may serve there. An auction then walks that list from the top and stops at the second eligible
bid, so its cost hardly depends on how many campaigns there are. A campaign left out neither wins
nor sets the price.

The index is a snapshot: rebuilt when a campaign or a unit changes (``changed``: in this process,
or in another one where the deployment broadcasts signals, openminis/signals.py) and at most every
few seconds otherwise, which is how budgets and funds that ran out (and deposits) reach it. It may
be stale in one direction only, serving a campaign whose budget or funds just ran out; the
impression's billing then refuses, and this process's index leaves the campaign out (``exhausted``,
``short_of_funds``) until the next snapshot.
"""

from __future__ import annotations

import random
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date
from typing import Literal

from sqlalchemy.orm import Session

from openminis import signals
from openminis.ads.media import MediaKind
from openminis.ads.money import MIN_PAID_CPM, impression_price
from openminis.ratelimit import Rate
from openminis.unit_of_work import after_commit

FORMATS = ("rewarded", "interstitial")
AdFormat = Literal["rewarded", "interstitial"]  # a unit's kind: the format of the ads it shows

_generation = 0
_generation_lock = threading.Lock()


def _bump() -> None:
    global _generation
    with _generation_lock:
        _generation += 1


# Another process's changes arrive as this signal where the deployment broadcasts them (signals.py).
signals.on("ads", _bump)


def changed() -> None:
    """A campaign, creative or unit changed (committed): the next auction, in every process, rebuilds."""
    signals.send("ads")


def changes(session: Session) -> None:
    """A campaign, creative or unit changes in ``session``'s unit of work: the new generation goes
    out once it committed, never before (an index rebuilt in between would read the old rows under
    the new generation, and keep them) and never after a rollback."""
    after_commit(session, changed)


def generation() -> int:
    return _generation


@dataclass(frozen=True)
class LiveCreative:
    id: str
    kind: MediaKind
    file: str
    duration_ms: int
    width: int
    height: int
    click_url: str
    title: str


@dataclass(frozen=True)
class LiveCampaign:
    id: str
    advertiser: str  # the advertiser's name, shown on the ad
    house: bool
    bid_cpm: int
    categories: frozenset[str]  # empty: every category
    markets: frozenset[str]  # empty: every market, and requests whose market is unknown
    frequency: Rate | None
    videos: tuple[LiveCreative, ...]
    images: tuple[LiveCreative, ...]
    # What it may still spend at the snapshot: the least of what is left of its total budget, of
    # today's budget and of its advertiser's funds (None: house).
    remaining: int | None = None
    advertiser_id: str = ""  # whose funds pay for it

    def creatives(self, format: str) -> tuple[LiveCreative, ...]:
        # Rewarded ads are videos (a reward is for watching); an interstitial may be either.
        return self.videos if format == "rewarded" else self.videos + self.images

    def targets(self, category: str, market: str | None) -> bool:
        if self.categories and category not in self.categories:
            return False
        return not self.markets or market in self.markets


@dataclass(frozen=True)
class Outcome:
    campaign: LiveCampaign | None
    price_cpm: int = 0  # what the winner pays per thousand
    capped: bool = False  # some demand was there but this person reached its frequency cap

    @property
    def price(self) -> int:
        return impression_price(self.price_cpm)


@dataclass
class LiveIndex:
    campaigns: list[LiveCampaign]
    generation: int
    built_at: float
    day: date | None = None  # the UTC day whose budgets ``remaining`` counts
    _paid: dict[str, list[LiveCampaign]] = field(init=False)
    _house: dict[str, list[LiveCampaign]] = field(init=False)
    _targeted: dict[tuple[str, str, str | None], tuple[list[LiveCampaign], list[LiveCampaign]]] = field(
        init=False, default_factory=dict
    )
    _exhausted: set[str] = field(init=False, default_factory=set)
    _short: dict[str, int] = field(init=False, default_factory=dict)  # advertiser: a price its funds cannot pay

    def __post_init__(self) -> None:
        # Highest bid first; equal bids in a fixed order, so that a test (and a dispute) can replay one.
        ordered = sorted(self.campaigns, key=lambda c: (-c.bid_cpm, c.id))
        affordable = [c for c in ordered if c.house or (c.remaining or 0) >= impression_price(c.bid_cpm)]
        self._paid = {f: [c for c in affordable if not c.house and c.creatives(f)] for f in FORMATS}
        self._house = {f: [c for c in affordable if c.house and c.creatives(f)] for f in FORMATS}

    def __len__(self) -> int:
        return len(self.campaigns)

    def candidates(
        self, format: str, category: str, market: str | None
    ) -> tuple[list[LiveCampaign], list[LiveCampaign]]:
        """(paid by bid, house) campaigns that may serve this format in this category and market."""
        key = (format, category, market)
        found = self._targeted.get(key)
        if found is None:
            # Racing threads may both compute it; they compute the same lists.
            found = (
                [c for c in self._paid[format] if c.targets(category, market)],
                [c for c in self._house[format] if c.targets(category, market)],
            )
            self._targeted[key] = found
        return found

    def exhausted(self, campaign_id: str) -> None:
        """The database refused to bill this campaign: stop serving it until the next snapshot."""
        self._exhausted.add(campaign_id)

    def short_of_funds(self, advertiser_id: str, price: int) -> None:
        """The advertiser's funds could not pay ``price``: until the next snapshot reads them, none of
        its campaigns whose bid costs as much takes part (a cheaper one may still be payable)."""
        known = self._short.get(advertiser_id)
        self._short[advertiser_id] = price if known is None else min(known, price)

    def _serves(self, campaign: LiveCampaign) -> bool:
        if campaign.id in self._exhausted:
            return False
        short = self._short.get(campaign.advertiser_id) if self._short else None
        return short is None or impression_price(campaign.bid_cpm) < short

    def auction(
        self, format: str, category: str, market: str | None, floor_cpm: int, allowed: Callable[[LiveCampaign], bool]
    ) -> Outcome:
        paid, house = self.candidates(format, category, market)
        # Left out before ``allowed``: a campaign that cannot be billed is no demand this person
        # was capped from (NO_FILL, not FREQUENCY_CAPPED).
        serves = self._serves
        return run((c for c in paid if serves(c)), (c for c in house if serves(c)), floor_cpm, allowed)


def run(
    paid: Iterable[LiveCampaign], house: Iterable[LiveCampaign], floor_cpm: int, allowed: Callable[[LiveCampaign], bool]
) -> Outcome:
    """Second price: the highest eligible bid at or above the floor wins and pays the larger of
    the second-highest eligible bid and the floor (and of the platform's reserve). ``paid`` is
    sorted by bid, highest first. Without paid demand, an eligible house ad fills, for nothing.

    ``allowed`` checks what the snapshot cannot know (frequency caps); it is called on as few
    campaigns as the answer needs.
    """
    winner = second = None
    capped = False
    for campaign in paid:
        if campaign.bid_cpm < floor_cpm:
            break  # sorted: every bid after this one is below the floor too
        if not allowed(campaign):
            capped = True
            continue
        if winner is None:
            winner = campaign
        else:
            second = campaign
            break
    if winner is not None:
        return Outcome(winner, max(second.bid_cpm if second else 0, floor_cpm, MIN_PAID_CPM))
    house = [c for c in house]
    random.shuffle(house)  # house ads take turns
    for campaign in house:
        if allowed(campaign):
            return Outcome(campaign, 0)
        capped = True
    return Outcome(None, capped=capped)
