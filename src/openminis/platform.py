"""The running platform's parts, built once from settings and handed to routes and the CLI."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

from openminis.analytics.store import DuckDBEventStore, EventStore
from openminis.catalog.package import Limits
from openminis.catalog.store import LocalPackageStore, PackageStore
from openminis.db import Database
from openminis.ratelimit import Rate, RateLimiter, rate_limiter_from_url
from openminis.runtime.service import StorageLimits
from openminis.settings import Settings


@dataclass(frozen=True)
class Rates:
    per_ip: Rate
    per_app: Rate
    # Failed guesses (secrets, login codes, passwords) per target before the door shuts.
    failures: Rate


class Platform:
    def __init__(self, settings: Settings):
        self.settings = settings
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        self.db = Database(settings.database)
        self.secret = settings.resolved_secret()

    @cached_property
    def packages(self) -> PackageStore:
        return LocalPackageStore(self.settings.packages_dir)

    @cached_property
    def events(self) -> EventStore:
        return DuckDBEventStore(self.settings.analytics_path)

    @cached_property
    def package_limits(self) -> Limits:
        return Limits.from_settings(self.settings)

    @cached_property
    def storage_limits(self) -> StorageLimits:
        s = self.settings
        return StorageLimits(quota_bytes=s.storage_quota_bytes, value_bytes=s.storage_value_bytes, max_keys=s.storage_max_keys)

    @cached_property
    def limiter(self) -> RateLimiter:
        return rate_limiter_from_url(self.settings.redis_url)

    @cached_property
    def rates(self) -> Rates:
        s = self.settings
        return Rates(per_ip=Rate.parse(s.rate_per_ip), per_app=Rate.parse(s.rate_per_app), failures=Rate.parse(s.rate_failures))

    def close(self) -> None:
        if "events" in self.__dict__:
            self.events.close()
        self.db.dispose()
