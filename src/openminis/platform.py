"""The running platform's parts, built once from settings and handed to routes and the CLI."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import timedelta
from functools import cached_property
from typing import TYPE_CHECKING, Unpack

import httpx

from openminis import scratch, signals
from openminis.catalog.package import Limits
from openminis.catalog.store import PackageStore, StoredPackages
from openminis.db import Database, deployment_key
from openminis.errors import NotFound
from openminis.events.store import EventStore, open_store
from openminis.jobs.service import Lane, Registry, Worker, WorkerOptions
from openminis.loop_reads import LoopReads
from openminis.ratelimit import Rate, RateLimiter, rate_limiter_from_url
from openminis.runtime.service import StorageLimits
from openminis.settings import Settings
from openminis.storage import ObjectStore, open_storage

if TYPE_CHECKING:  # imported where used, to keep the domains' imports of this module free of cycles
    from openminis.admission import Admission
    from openminis.ads.serving import AdServer
    from openminis.analytics.conversions import ConversionEvents
    from openminis.egress import EgressPolicy
    from openminis.feed.hub import Boards
    from openminis.feed.ranking import Ranking
    from openminis.identity.mail import Mailbox
    from openminis.identity.passwords import Passwords
    from openminis.payments.providers import PaymentProvider
    from openminis.payments.providers.sandbox import SandboxProvider
    from openminis.payouts.providers import PayoutProvider

log = logging.getLogger(__name__)


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
        self.db = Database(
            settings.database, pool_size=settings.db_requests + settings.db_pool_reserve, wait=settings.db_wait_seconds
        )
        self.secret = settings.resolved_secret()
        self._broadcast: signals.Broadcast | None = None
        self._subscribe()
        # Made in its event loop by a serving process on PostgreSQL (server.py), closed there.
        self.loop_reads: LoopReads | None = None

    async def open_loop_reads(self) -> None:
        """The serving loop's reads of one statement (loop_reads.py), on PostgreSQL."""
        if self.db.engine.dialect.name == "postgresql" and self.loop_reads is None:
            self.loop_reads = LoopReads(
                self.settings.database, connections=self.settings.db_requests, wait=self.settings.db_wait_seconds
            )
            await self.loop_reads.open()

    async def close_loop_reads(self) -> None:
        if self.loop_reads is not None:
            reads, self.loop_reads = self.loop_reads, None
            await reads.close()

    def start_signals(self, *, receive: bool = True) -> None:
        """Link this process to the deployment's other processes (signals.py): its changes reach
        their caches at once, and, with ``receive``, theirs this one's. Every command does; the
        serving and worker commands receive."""
        if self._broadcast is None:
            self._broadcast = signals.listen(self.settings.database, self.settings.redis_url, receive=receive)
        elif receive:
            self._broadcast.start()

    def _subscribe(self) -> None:
        """The domains' hooks, wired here so that a lower domain never imports a higher one."""
        from openminis.catalog import releases
        from openminis.catalog import service as catalog
        from openminis.identity import accounts
        from openminis.messages import templates
        from openminis.payments import orders, topups
        from openminis.social import boards

        accounts.on_guest_signed_in(topups.hand_over)
        catalog.on_new_version(orders.refuse_products_sold_through_the_api)
        releases.on_release(orders.sell_declared_products)
        releases.on_release(boards.keep_declared_boards)
        releases.on_release(templates.keep_declared_templates)

    @cached_property
    def admission(self) -> Admission:
        """The web requests' turns at the database (admission.py)."""
        from openminis.admission import Admission

        s = self.settings
        writers = s.db_sqlite_writers if self.db.engine.dialect.name == "sqlite" else None
        return Admission(
            self.db,
            requests=s.db_requests,
            writers=writers,
            wait=s.db_wait_seconds,
            queue=s.db_queue,
            threads=s.threads,
        )

    @cached_property
    def storage(self) -> ObjectStore:
        """Packages, media, creatives and staged uploads: the data dir's files, or a bucket (storage.py)."""
        return open_storage(self.settings)

    @cached_property
    def packages(self) -> PackageStore:
        return StoredPackages(self.storage, self.settings.data_dir / "cache" / "packages")

    @cached_property
    def events(self) -> EventStore:
        s = self.settings
        return open_store(s.analytics_url, s.analytics_path, lock_wait=s.db_wait_seconds)

    @cached_property
    def ranking(self) -> Ranking:
        """The feed's ranking snapshots, kept in memory and rebuilt from posts and events as they age."""
        from openminis.feed.ranking import Ranking

        return Ranking(self.events)

    @cached_property
    def hub(self) -> Boards:
        """The hub's sections that are the same for everyone, rebuilt as they age (feed/hub.py)."""
        from openminis.feed.hub import Boards

        return Boards()

    @cached_property
    def conversions(self) -> ConversionEvents:
        """Conversion events (paid, unlock, rewarded, refund) on their way to the analytics store."""
        from openminis.analytics.conversions import ConversionEvents

        return ConversionEvents(lambda: self.events)

    @cached_property
    def package_limits(self) -> Limits:
        return Limits.from_settings(self.settings)

    @cached_property
    def storage_limits(self) -> StorageLimits:
        s = self.settings
        return StorageLimits(
            quota_bytes=s.storage_quota_bytes,
            value_bytes=s.storage_value_bytes,
            max_keys=s.storage_max_keys,
            playables_quota_bytes=s.storage_quota_playables_bytes,
        )

    @cached_property
    def limiter(self) -> RateLimiter:
        return rate_limiter_from_url(self.settings.redis_url, deployment_key(self.settings.database))

    @cached_property
    def passwords(self) -> Passwords:
        """Password hashes at the settings' cost (identity/passwords.py)."""
        from openminis.identity.passwords import Passwords

        return Passwords.from_settings(self.settings)

    @cached_property
    def mailbox(self) -> Mailbox:
        from openminis.identity.mail import Mailbox

        return Mailbox(self.settings.smtp_url, self.settings.mail_from)

    @cached_property
    def rates(self) -> Rates:
        s = self.settings
        return Rates(
            per_ip=Rate.parse(s.rate_per_ip), per_app=Rate.parse(s.rate_per_app), failures=Rate.parse(s.rate_failures)
        )

    @cached_property
    def sandbox(self) -> SandboxProvider:
        """The sandbox provider, or refused when it is off: its test cards mint coins for nothing,
        so in production (sandbox_payments off, the default) it does not exist at all."""
        from openminis.payments.providers.sandbox import SandboxProvider

        if not self.settings.sandbox_payments:
            raise NotFound("sandbox payments are off here (MINIS_SANDBOX_PAYMENTS)", code="PROVIDER_UNAVAILABLE")
        return SandboxProvider(self.secret)

    @cached_property
    def providers(self) -> dict[str, PaymentProvider]:
        providers: dict[str, PaymentProvider] = {}
        if self.settings.sandbox_payments:
            providers["sandbox"] = self.sandbox
        if self.settings.stripe_api_key and self.settings.stripe_webhook_secret:
            from openminis.payments.providers.stripe import StripeProvider

            providers["stripe"] = StripeProvider(
                self.settings.stripe_api_key,
                self.settings.stripe_webhook_secret,
                http=self.http,
                api_base=self.settings.stripe_api_base,
            )
        return providers

    @property
    def offered_provider(self) -> str | None:
        """The one provider top-ups go through: the configured one, else Stripe when its keys are
        set, else the sandbox when it is on; None when there is none."""
        name = self.settings.payment_provider or ("stripe" if "stripe" in self.providers else "sandbox")
        return name if name in self.providers else None

    def payment_provider(self, name: str | None = None) -> PaymentProvider:
        """A configured provider (a webhook names its own), refused when it is not configured here."""
        name = name or self.offered_provider
        if name is None or name not in self.providers:
            raise NotFound(f"payment provider {name!r} is not configured here", code="PROVIDER_UNAVAILABLE")
        return self.providers[name]

    def topup_provider(self, asked: str | None = None) -> PaymentProvider:
        """The provider a person's top-up goes through: only the one the platform offers. A client
        naming another one (the sandbox, where Stripe takes real cards) is refused."""
        offered = self.offered_provider
        if offered is None:
            raise NotFound("no payment provider is configured here", code="PROVIDER_UNAVAILABLE")
        if asked is not None and asked != offered:
            raise NotFound(
                f"payment provider {asked!r} is not offered here", code="PROVIDER_UNAVAILABLE", field="provider"
            )
        return self.providers[offered]

    @cached_property
    def egress(self) -> EgressPolicy:
        """Where the platform may send requests for a developer (egress.py)."""
        from openminis.egress import EgressPolicy

        s = self.settings
        return EgressPolicy(
            allow_loopback=s.egress_allow_loopback,
            connect_timeout=s.delivery_connect_timeout_seconds,
            read_timeout=s.delivery_timeout_seconds,
        )

    @cached_property
    def http(self) -> httpx.Client:
        """Outbound HTTP (notifications, providers), every connection checked by the egress policy.
        Tests replace it to reach a local backend."""
        return self.egress.client()

    @cached_property
    def jobs(self) -> Registry:
        from openminis.ads import background as ads_jobs
        from openminis.catalog import check_job
        from openminis.creators import pipeline as creators_pipeline
        from openminis.drama import pipeline
        from openminis.drama.subscriptions import RENEW_JOB, renewer
        from openminis.jobs.circuits import Lanes
        from openminis.messages import push
        from openminis.messages.service import PUSH_JOB
        from openminis.payments import background as payments_jobs
        from openminis.payouts import background as payouts_jobs
        from openminis.social import service as social

        s = self.settings
        registry = Registry(
            lanes=Lanes(
                s.delivery_per_app, s.delivery_breaker_failures, timedelta(seconds=s.delivery_breaker_cooldown_seconds)
            )
        )
        payments_jobs.register(registry, self)
        ads_jobs.register(registry, self)
        work, longest, preset = s.work_dir, s.max_episode_seconds, s.transcode_preset
        pipeline.register(registry, self.db, self.storage, work, longest, preset)
        creators_pipeline.register(registry, self.db, self.storage, work, longest, preset)
        registry.register(RENEW_JOB, renewer(self.secret))
        check_job.register(registry, self)
        payouts_jobs.register(registry, lambda: self.payout_providers)
        social.register(registry, self.secret)
        pusher = push.Pusher(lambda: self.http, self.egress, push.subject(s.public_url))
        registry.register_call(PUSH_JOB, pusher, push.POLICY)
        return registry

    @cached_property
    def payout_providers(self) -> dict[str, PayoutProvider]:
        """Where earnings are paid: Stripe Connect transfers when Stripe is configured (its secret
        key pays connected accounts), the sandbox when sandbox payments are on (never in production)."""
        from openminis.payouts.providers.sandbox import SandboxPayouts

        providers: dict[str, PayoutProvider] = {}
        if self.settings.sandbox_payments:
            providers["sandbox"] = SandboxPayouts(self.db)
        if self.settings.stripe_api_key:
            from openminis.payouts.providers.stripe import StripeConnectPayouts

            providers["stripe"] = StripeConnectPayouts(
                self.settings.stripe_api_key, http=self.http, api_base=self.settings.stripe_api_base
            )
        return providers

    def payout_provider(self) -> PayoutProvider:
        """The provider new payout accounts are opened with: Stripe when configured, else the sandbox."""
        providers = self.payout_providers
        found = providers.get("stripe") or providers.get("sandbox")
        if found is None:
            raise NotFound("no payout provider is configured here", code="PROVIDER_UNAVAILABLE")
        return found

    @cached_property
    def ads(self) -> AdServer:
        """The ad server's long-lived parts: the live-campaign index, creative files, event buffer, clock."""
        from openminis.ads.serving import AdServer

        return AdServer(self)

    def worker(self, **options: Unpack[WorkerOptions]) -> Worker:
        return Worker(self.db, self.jobs, **options)

    def sweep_scratch(self) -> None:
        """Remove the scratch folders a killed process on this machine left (scratch.py): at the
        start of every serving process and worker, beside any still working."""
        work = self.settings.work_dir
        if work.exists() and not work.is_dir():
            # Every upload and transcode would fail, each with a 500 (an attack): no start instead.
            raise RuntimeError(f"{work} must be a folder (this machine's scratch space), and is a file: remove it")
        if removed := scratch.sweep(work):
            log.warning("removed %d scratch folders left by stopped processes: %s", len(removed), ", ".join(removed))

    def workers(self) -> list[Lane]:
        """The embedded workers: one lane for media transcoding, which takes minutes, one for
        everything else, and the delivery pool for calls to developers' backends, so that neither
        a video nor a slow backend holds up anything else; and the ledger's posting of pending credits."""
        from openminis.catalog.check_job import CHECK_JOB
        from openminis.creators.service import TRANSCODE_JOB as POST_TRANSCODE_JOB
        from openminis.drama.catalog import TRANSCODE_JOB
        from openminis.jobs.deliveries import DeliveryPool
        from openminis.wallet.posting import Posting

        slow = frozenset({TRANSCODE_JOB, POST_TRANSCODE_JOB})
        # A version's checks drive Chromium for up to a minute: a lane of their own, so that neither
        # a transcode delays a developer's report nor a check delays a reward callback.
        checks = frozenset({CHECK_JOB})
        deliveries = DeliveryPool(self.db, self.jobs, threads=self.settings.delivery_threads)
        return [
            self.worker(only=slow),
            self.worker(only=checks),
            self.worker(skip=slow | checks | self.jobs.call_kinds),
            deliveries,
            Posting(self.db, self.settings.posting_batch),
        ]

    def close(self) -> None:
        if self._broadcast is not None:
            signals.stop(self._broadcast)
            self._broadcast = None
        if "ads" in self.__dict__:
            self.ads.events.flush()  # buffered ad events reach the store before it closes
        if "conversions" in self.__dict__:
            self.conversions.flush()
        if "ranking" in self.__dict__:
            self.ranking.served.flush()
        if "events" in self.__dict__:
            self.events.close()
        if "http" in self.__dict__:
            self.http.close()
        self.db.dispose()
