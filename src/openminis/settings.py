"""Settings from the environment (``MINIS_*``), with embedded defaults for one machine."""

from __future__ import annotations

import ipaddress
import re
import secrets
from datetime import timedelta
from functools import cached_property
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlsplit

from pydantic import Field, ValidationInfo, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from openminis.ratelimit import Rate

# The embedded database in the data directory, when no MINIS_DATABASE_URL names another.
DATABASE_FILE = "minis.db"
# A DNS name: dot-separated labels of letters, digits and inner hyphens.
_LABEL = r"[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
_HOST_NAME = re.compile(rf"^(?=.{{1,253}}\Z){_LABEL}(\.{_LABEL})*\Z")


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="MINIS_", extra="ignore")

    data_dir: Path = Path("minis-data")
    # Empty means the embedded SQLite file in the data dir.
    database_url: str = ""
    public_url: str = "http://localhost:8000"
    # Each app is served on "{app_id}.{apps_domain}" with the public URL's scheme and port.
    apps_domain: str = ""
    secret_key: str = ""
    admin_token: str = ""
    redis_url: str = ""
    # Analytics events: empty means the DuckDB file in the data dir; a postgresql:// URL, a table
    # partitioned by month there (the scale form; it may be the platform's own database).
    analytics_url: str = ""
    # Email (sign-in links): an SMTP server (identity/mail.py says the URL's forms); empty means the
    # server's log is the mailbox, for development.
    smtp_url: str = ""
    mail_from: str = "openminis <no-reply@localhost>"
    # Extra sources every app may connect to, for developing against a backend on this machine
    # (e.g. "http://127.0.0.1:*"). Empty in production: apps reach only their declared domains.
    dev_connect_src: str = ""

    # Every request body but an upload's (JSON, forms, webhooks): refused with 413 past this size,
    # before it is read (web/body_limit.py). Uploads have their own limits below.
    max_body_bytes: int = 1024 * 1024

    # How many apps one developer account may register (teams they join do not count). A new app
    # brings its own Open API token and per-app limits at once: 40 made in a second multiplied them
    # (a probe, attack54), and each takes an id from the platform's one namespace.
    max_apps_per_developer: int = Field(default=50, ge=1, le=100_000)

    # Package limits: checked on every upload, before anything is stored.
    max_package_bytes: int = 50 * 1024 * 1024
    max_uncompressed_bytes: int = 100 * 1024 * 1024
    max_file_bytes: int = 30 * 1024 * 1024
    max_files: int = 2000
    max_compression_ratio: int = 100

    # A version's checks (catalog/checks.py): budgets TikTok sets for a mini game (4 MB loaded
    # before it is interactive, 30 MB in all), and the headless Chromium that measures launches in
    # the real host runtime. Without the browser checks (false, or no Chromium on the machine) a
    # report says so, and the package's own checks (sizes) still decide whether it may be submitted.
    main_package_budget: int = 4_000_000
    total_package_budget: int = 30_000_000
    browser_checks: bool = True
    chromium_path: str = "/usr/bin/chromium"

    # Cloud save: per person per app.
    storage_quota_bytes: int = 1024 * 1024
    # A game made for YouTube Playables (`minis import`, manifest origin_sdk) keeps Playables' 3 MiB
    # save besides the usual quota (docs/compat.md).
    storage_quota_playables_bytes: int = 4 * 1024 * 1024
    storage_value_bytes: int = 64 * 1024
    storage_max_keys: int = 256

    events_batch_max: int = 500

    # A closed app stays alive in the host page, hidden and paused, this long (seconds), so that
    # opening it again resumes it where it was; 0 unloads it at once (launcher.js keeps at most 3).
    keep_minimised_seconds: int = Field(default=300, ge=0, le=3600)

    # Password hashing (argon2id, identity/passwords.py): OWASP's recommended parameters, 19 MiB of
    # memory, 2 passes, 1 lane. Only the tests set a cheaper cost. Hashes made at another cost still
    # verify (a hash carries its parameters) and are made again at this one at the next sign-in.
    password_time_cost: int = 2
    password_memory_kib: int = 19456
    password_parallelism: int = 1

    # Payments: Stripe when both of its keys are set. The sandbox provider (test cards that mint
    # coins for nothing) exists only when sandbox_payments is on: `minis serve --demo` and the
    # tests turn it on; anything else is production, where it does not exist. payment_provider
    # names the one provider top-ups use; empty: Stripe when configured, else the sandbox.
    sandbox_payments: bool = False
    payment_provider: str = ""
    default_market: str = "US"  # which coin-pack prices the host shows
    # The most coins of its funder's that a coupon made by one member of finance may cost (its most
    # off per use times its uses in all, payments/coupons.py); one that can cost more, or has no
    # such bound, is the owner's (role owner) or the admin token's to make. About 1,000 dollars.
    coupon_budget_without_owner: int = 100_000
    stripe_api_key: str = ""
    stripe_webhook_secret: str = ""
    # Where Stripe's API is: Stripe itself, or stripe-mock (or another stand-in) for a staging
    # platform and the tests; outbound calls to it pass the egress policy like any other.
    stripe_api_base: str = "https://api.stripe.com"
    # Short dramas: upload and length limits of an episode.
    max_episode_upload_bytes: int = 500 * 1024 * 1024
    max_episode_seconds: float = 300
    # x264's effort for episodes and posts (drama/media.py): the same renditions at the same bitrates,
    # smaller files for more CPU. Only the tests set "ultrafast", as they set a cheaper password hash.
    transcode_preset: Literal[
        "ultrafast", "superfast", "veryfast", "faster", "fast", "medium", "slow", "slower", "veryslow"
    ] = "veryfast"
    # How long a paid episode's media URLs play (drama/access.py), bound to the viewer; free ones, 6 hours.
    paid_media_url_seconds: int = 300

    # Run the job worker inside ``minis serve`` (the embedded default); off when ``minis worker`` runs.
    embedded_worker: bool = True

    # Admission to the database (web/admission.py). At most db_requests requests hold a database
    # session at once, and on SQLite at most db_sqlite_writers of them write (SQLite has one
    # writer at a time: the rest wait in the event loop, on no thread); a request waits at most
    # db_wait_seconds for its turn, a pooled connection or the write lock, and is answered 503
    # with Retry-After after that, or at once when db_queue requests are already waiting.
    # db_requests stays below threads (the thread pool of sync routes) and below the connection
    # pool, which has db_requests + db_pool_reserve connections (the reserve: jobs, the apps'
    # origins, a request's own second unit of work). Few: each holds a thread, and threads waiting
    # on PostgreSQL's round trips fight for the GIL. On 2 cores, 32 clients at once on PostgreSQL,
    # going from 24 to 8 took GET /api/me from 2,079 to 1,334 µs of server CPU and purchases from
    # 102 to 143 a second (bench.purchase); the others wait in the event loop, on no thread.
    db_requests: int = 8
    db_sqlite_writers: int = 2
    db_wait_seconds: float = 5.0
    db_queue: int = 2000
    db_pool_reserve: int = 12
    threads: int = 40

    # Calls to developers' backends (notifications, reward callbacks; see egress.py and
    # jobs/circuits.py). Loopback addresses and plain http to them are refused unless
    # egress_allow_loopback is on: for a backend on this machine in development, and the tests.
    egress_allow_loopback: bool = False
    # Pending ledger credits folded per transaction by the posting job (wallet/posting.py): larger
    # batches fold a backlog in fewer commits, smaller ones hold the accounts' rows for less time.
    posting_batch: int = Field(default=5000, ge=1, le=100_000)
    delivery_threads: int = 8  # threads calling backends, shared by every app
    delivery_per_app: int = 2  # of which one app may hold at most this many at once
    delivery_connect_timeout_seconds: float = 5.0
    delivery_timeout_seconds: float = 10.0  # for each read; a whole call ends within connect + this
    delivery_breaker_failures: int = 5  # consecutive failed calls that open an app's circuit
    delivery_breaker_cooldown_seconds: float = 60.0  # until one call probes the backend again

    # Rate limits ("N/second", "N/minute", "N/hour"): in-process, or shared through Redis.
    rate_per_ip: str = "1200/minute"
    rate_per_app: str = "3000/minute"
    rate_failures: str = "10/minute"
    # Host limits (web/limits.py). Guests made per IP (each cookie-less request would make one);
    # every state-changing host request per IP, and per person per route (high enough for a burst
    # of real taps, low enough that a script's repeats wait); analytics batches per person and
    # events per app; billed ad impressions per person and per IP (an ad's token bills once, these
    # cap how many tokens a script or a farm behind one address can turn into money).
    rate_guests_per_ip: str = "60/minute"
    rate_changes_per_ip: str = "1200/minute"
    rate_changes_per_person: str = "240/minute"
    # Reports of posts, apps, series, episodes and creators a person may send (moderation/).
    rate_reports_per_person: str = "30/hour"
    # Scores a person's front end may submit to one leaderboard (minis.leaderboard.submit): a game
    # ends a round every few seconds at most; a script posting in a loop waits.
    rate_scores_per_person: str = "10/minute"
    # Subscribe messages an app's backend may send (POST /openapi/v1/messages): in all, and to one
    # person. Grants bound what reaches a person already; these bound a backend sending in a loop.
    rate_messages_per_app: str = "1000/minute"
    rate_messages_per_person: str = "30/hour"
    # Coupon codes a person, and an address, may try (POST /api/coupons/claim): a person types a
    # code now and then; a script guessing codes waits (a 4-character code has 36^4 values).
    rate_coupon_claims_per_person: str = "20/minute"
    rate_coupon_claims_per_ip: str = "120/minute"
    # Team invitations (each one mails the address): to one address from every app, and from one
    # developer account to anyone. A probe mailed one address 60 times in 2 seconds, its subject the
    # sender's own account name, from the platform's own sender.
    rate_invitations_per_address: str = "5/hour"
    rate_invitations_per_developer: str = "60/hour"
    rate_event_batches_per_person: str = "60/minute"
    rate_events_per_app: str = "60000/minute"
    rate_ad_impressions_per_person: str = "120/hour"
    rate_ad_impressions_per_ip: str = "600/hour"
    # The proxies whose X-Forwarded-For and X-Forwarded-Proto are believed (uvicorn's
    # forwarded_allow_ips: comma-separated addresses or networks, or "*"). The per-IP limits key on
    # the address this yields: behind a load balancer, list its addresses, or every person would
    # share the balancer's one limit; anyone else who sends the header is not believed.
    trusted_proxies: str = "127.0.0.1"

    # Attribution: a conversion goes to the last creator whose post brought the person to the app
    # within this many days (last touch; see attribution/service.py).
    attribution_window_days: float = 7

    # Ads. Money is micros of USD (a $5.00 CPM is 5_000_000; see docs/ads.md). The app's share of
    # its ad revenue unless set per app; how stale the auction's campaign index may get (changes
    # made in this process apply at once); how long a decision may wait for its impression; how
    # far the host's reported watch time may run ahead of the server's clock (network delay); how
    # long a retired reward-signing key stays listed; where creatives are served from (empty: the
    # host's /media/ads/).
    ads_developer_share_bps: int = 7000
    ads_index_refresh_seconds: float = 5.0
    ads_decision_ttl_seconds: int = 600
    # How long the show token the host's ad player gets when a creative is on screen stays good
    # for billing that impression (ads/show_tokens.py).
    ads_show_token_ttl_seconds: int = 120
    ads_clock_grace_ms: int = 500
    ads_key_retention_days: int = 30
    ads_max_creative_bytes: int = 50 * 1024 * 1024
    ads_media_url: str = ""

    # Object storage (storage.py, docs/storage.md): empty means files in the data dir; else
    # "s3://bucket/prefix" of any S3-compatible store, at storage_endpoint_url (empty: AWS S3),
    # with these credentials (empty: boto3's own chain, e.g. an instance role).
    storage_url: str = ""
    storage_endpoint_url: str = ""
    storage_region: str = "us-east-1"
    storage_access_key_id: str = ""
    storage_secret_access_key: str = ""
    # A CDN in front of the bucket: public immutable media (ad creatives, episode posters and
    # thumbnails) is linked there; everything else through presigned URLs of this lifetime.
    media_base_url: str = ""
    media_url_seconds: int = 60

    @property
    def attribution_window(self) -> timedelta:
        return timedelta(days=self.attribution_window_days)

    @field_validator("smtp_url")
    @classmethod
    def _smtp_url_names_a_server(cls, url: str) -> str:
        if url:
            from openminis.identity.mail import SmtpServer

            SmtpServer.parse(url)  # a wrong URL stops the start with its reason, not the first sign-in
        return url

    @field_validator("apps_domain")
    @classmethod
    def _apps_domain_is_a_host_name(cls, domain: str) -> str:
        # A name only: with its port ("apps.localhost:8000") no request's Host matched it, and every
        # app's origin was answered as the host itself (a probe, attack54, set it so by mistake).
        # Nor an address: "x.127.0.0.1" is no name a browser resolves (attack54b).
        if domain and (not _HOST_NAME.match(domain) or domain.replace(".", "").isdigit()):
            raise ValueError(
                "MINIS_APPS_DOMAIN is a domain name alone, e.g. apps.example.net: no scheme, port or path"
                " (the port and scheme are MINIS_PUBLIC_URL's)"
            )
        return domain

    @field_validator("storage_url")
    @classmethod
    def _storage_url_names_a_bucket(cls, url: str) -> str:
        if url:
            _bucket(url)
        return url

    @field_validator("storage_endpoint_url", "media_base_url")
    @classmethod
    def _http_url(cls, url: str, info: ValidationInfo) -> str:
        parts = urlsplit(url)
        if url and (parts.scheme not in ("http", "https") or not parts.netloc or parts.query or parts.fragment):
            name = f"MINIS_{(info.field_name or '').upper()}"
            raise ValueError(f"{name} must be an http(s) URL without query, e.g. https://media.example.com")
        return url

    @field_validator("media_url_seconds")
    @classmethod
    def _presigned_lifetime(cls, seconds: int) -> int:
        if not 1 <= seconds <= 3600:
            raise ValueError("MINIS_MEDIA_URL_SECONDS is 1 to 3600 (a presigned link is short-lived)")
        return seconds

    @model_validator(mode="after")
    def _rates_are_rates(self) -> Settings:
        # Refused at start: a rate without its unit started a server whose every request was a 500
        # (attack56b).
        for name in type(self).model_fields:
            if name.startswith("rate_"):
                try:
                    Rate.parse(getattr(self, name))
                except ValueError as exc:
                    raise ValueError(f"MINIS_{name.upper()}: {exc}") from None
        return self

    @model_validator(mode="after")
    def _storage_settings_agree(self) -> Settings:
        if bool(self.storage_access_key_id) != bool(self.storage_secret_access_key):
            raise ValueError("set both MINIS_STORAGE_ACCESS_KEY_ID and MINIS_STORAGE_SECRET_ACCESS_KEY, or neither")
        if not self.storage_url:
            for name in ("storage_endpoint_url", "storage_access_key_id", "media_base_url"):
                if getattr(self, name):
                    raise ValueError(f"MINIS_{name.upper()} is set but MINIS_STORAGE_URL is not (s3://bucket/prefix)")
        return self

    @property
    def storage_bucket(self) -> tuple[str, str]:
        """(bucket, key prefix) of ``storage_url``."""
        return _bucket(self.storage_url)

    @cached_property
    def database(self) -> str:
        return self.database_url or f"sqlite:///{(self.data_dir / DATABASE_FILE).resolve()}"

    @cached_property
    def analytics_path(self) -> Path:
        return self.data_dir / "events.duckdb"

    @cached_property
    def packages_dir(self) -> Path:
        return self.data_dir / "packages"

    @cached_property
    def ads_media_dir(self) -> Path:
        return self.data_dir / "ads"

    @cached_property
    def work_dir(self) -> Path:
        """This machine's scratch folders (scratch.py): transcodes, checks, uploads on their way in."""
        return self.data_dir / "work"

    @cached_property
    def host_origin(self) -> str:
        parts = urlsplit(self.public_url)
        return f"{parts.scheme}://{parts.netloc}"

    @cached_property
    def apps_host(self) -> str:
        """The apps domain without port, e.g. ``apps.localhost``."""
        if self.apps_domain:
            return self.apps_domain.lower()
        return f"apps.{urlsplit(self.public_url).hostname}"

    def cookie_warnings(self) -> list[str]:
        """What in this deployment lets an app reach the host's sessions, for ``minis serve`` to say.

        Apps must live on a registrable domain of their own (as Facebook serves Instant Games from
        fbsbx.com): under the host's, an app is same-site with it, sends the host's cookies with
        its requests and can set cookies for the shared parent domain. Localhost is exempt: to
        browsers ``apps.localhost`` is a site apart from ``localhost``.
        """
        host = (urlsplit(self.public_url).hostname or "").lower()
        if _is_local(host):
            return []
        warnings = []
        if registrable_domain(self.apps_host) == registrable_domain(host):
            warnings.append(
                f"apps are served under {self.apps_host}, on the same registrable domain as the host {host}: "
                "a hostile app could send the host's cookies or toss its own. "
                "Set MINIS_APPS_DOMAIN to a domain of its own (e.g. example-apps.com for example.com)."
            )
        if not self.public_url.startswith("https://"):
            warnings.append(
                f"MINIS_PUBLIC_URL {self.public_url} is not https: "
                "session cookies are sent in the clear and cannot be __Host- cookies."
            )
        return warnings

    def app_origin(self, app_id: str) -> str:
        parts = urlsplit(self.public_url)
        port = f":{parts.port}" if parts.port else ""
        return f"{parts.scheme}://{app_id}.{self.apps_host}{port}"

    def resolved_secret(self) -> str:
        """The signing secret: from the environment, or made once and kept in the data dir."""
        if self.secret_key:
            return self.secret_key
        path = self.data_dir / "secret.key"
        if not path.exists():
            self.data_dir.mkdir(parents=True, exist_ok=True)
            path.write_text(secrets.token_urlsafe(48))
            path.chmod(0o600)
        return path.read_text().strip()


# Second-level labels under which country codes register names (example.co.uk, example.com.au).
# A close reading of the public suffix list without shipping it: a miss only warns too often.
_SECOND_LEVELS = {"ac", "co", "com", "edu", "gov", "go", "ne", "net", "or", "org"}


def registrable_domain(hostname: str) -> str:
    """The part of a host name that is registered (``example.com`` of ``apps.example.com``)."""
    labels = hostname.lower().rstrip(".").split(".")
    if len(labels) >= 3 and len(labels[-1]) == 2 and labels[-2] in _SECOND_LEVELS:
        return ".".join(labels[-3:])
    return ".".join(labels[-2:])


def _is_local(host: str) -> bool:
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


# S3's bucket naming rules: 3-63 lower-case letters, digits, dots and hyphens.
_BUCKET = re.compile(r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]\Z")


def _bucket(url: str) -> tuple[str, str]:
    parts = urlsplit(url)
    if parts.scheme != "s3" or not _BUCKET.match(parts.netloc) or parts.query or parts.fragment:
        raise ValueError(
            f"MINIS_STORAGE_URL must be s3://bucket/prefix (a bucket of 3-63 lower-case letters, digits, "
            f"dots or hyphens), or empty for files in the data dir; got {url!r}"
        )
    return parts.netloc, parts.path.strip("/")


def load_settings(**overrides: Any) -> Settings:
    return Settings(**overrides)
