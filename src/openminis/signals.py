"""Signals between processes: "what the feed lists changed", "the ads changed".

A change committed in one process (a publish through one server, a post made ready by ``minis
worker``) must reach every process that caches what it changed (the feed's ranking snapshot, the
ad auction's index) at their next request, not when their caches age out. Each such cache keeps
a process-wide generation (openminis/changes.py, ads/auction.py) and registers how to bump it
(``on``); ``send`` bumps it here and tells the other processes through the broadcast the
deployment has:

- Redis pub/sub, when ``MINIS_REDIS_URL`` is set;
- otherwise PostgreSQL's LISTEN/NOTIFY, when the database is PostgreSQL;
- otherwise none: the embedded default is one process, whose caches the local bump reaches.

Serving and worker processes listen; every command sends (``Platform.start_signals``); a process
without a broadcast (a test's platform) still bumps its own caches. Delivery is at most once
and may lag; a listener that lost its connection bumps every signal when it is back, since it may
have missed some. So a cache never serves past its own time to live what another process changed.
"""

from __future__ import annotations

import logging
import secrets
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Protocol

from openminis.db import deployment_key, libpq_url

if TYPE_CHECKING:
    import psycopg

log = logging.getLogger("openminis.signals")

CHANNEL = "minis_signals"
RETRY_SECONDS = 1.0

_handlers: dict[str, Callable[[], None]] = {}
_broadcasts: list[Broadcast] = []
_lock = threading.Lock()


class Broadcast(Protocol):
    def publish(self, name: str) -> None: ...

    def start(self) -> None:
        """Take the other processes' signals from now on (once; again is nothing)."""

    def close(self) -> None: ...


def on(name: str, bump: Callable[[], None]) -> None:
    """``bump()`` is how this process takes signal ``name``, from itself or from another process."""
    _handlers[name] = bump


def send(name: str) -> None:
    """Signal ``name``: here at once, then to the other processes (after the commit it follows)."""
    _handlers[name]()
    with _lock:
        broadcasts = list(_broadcasts)
    for broadcast in broadcasts:
        try:
            broadcast.publish(name)
        except Exception:  # the change is committed; the others' caches age out instead
            log.warning("signal %s could not be broadcast", name, exc_info=True)


def _received(payload: str, me: str) -> None:
    sender, _, name = payload.partition(":")
    if sender != me and name in _handlers:
        _handlers[name]()


def _nothing_missed() -> None:
    pass


def _missed_some() -> None:
    for bump in list(_handlers.values()):
        bump()


def listen(database_url: str, redis_url: str, *, receive: bool = True) -> Broadcast | None:
    """Start this process's broadcast for the deployment (None for the embedded default); it
    sends this process's signals and, with ``receive``, takes the others' until ``stop``."""
    broadcast: Broadcast
    if redis_url:
        # One Redis may serve several deployments (or a test run's many databases): the channel
        # is the database's, as NOTIFY's channels are each database's own.
        channel = f"{CHANNEL}:{deployment_key(database_url)}"
        broadcast = RedisBroadcast(redis_url, channel)
    elif (conninfo := libpq_url(database_url)) is not None:
        broadcast = PostgresBroadcast(conninfo)
    else:
        return None
    if receive:
        broadcast.start()
    with _lock:
        _broadcasts.append(broadcast)
    return broadcast


def stop(broadcast: Broadcast) -> None:
    with _lock:
        if broadcast in _broadcasts:
            _broadcasts.remove(broadcast)
    broadcast.close()


class _Listener:
    """A daemon thread that takes messages until closed, reconnecting after a lost connection."""

    def __init__(self, name: str) -> None:
        # A process's own messages come back to it (pub/sub and NOTIFY deliver to every listener):
        # it knows them by this id, made with the broadcast (so after the fork of a server from a
        # parent that imported this module: two servers forked from one zygote are two senders).
        self.sender = secrets.token_hex(6)
        self.closed = threading.Event()
        self.thread = threading.Thread(target=self._run, name=name, daemon=True)

    def start(self) -> None:
        if not self.thread.is_alive() and not self.closed.is_set():
            self.thread.start()

    def _run(self) -> None:
        first = True
        while not self.closed.is_set():
            try:
                self.take(on_ready=_nothing_missed if first else _missed_some)
            except Exception:
                if not self.closed.is_set():
                    log.warning("signals: listener lost its connection; retrying", exc_info=True)
            first = False
            self.closed.wait(RETRY_SECONDS)

    def take(self, on_ready: Callable[[], None]) -> None:
        raise NotImplementedError

    def close(self) -> None:
        self.closed.set()
        if self.thread.is_alive():
            self.thread.join(timeout=5)


class PostgresBroadcast(_Listener):
    """LISTEN/NOTIFY on the platform's PostgreSQL: no other service to run."""

    def __init__(self, conninfo: str) -> None:
        super().__init__("signals-postgres")
        self.conninfo = conninfo
        self._send_lock = threading.Lock()
        self._sender: psycopg.Connection[Any] | None = None

    def take(self, on_ready: Callable[[], None]) -> None:
        import psycopg

        with psycopg.connect(self.conninfo, autocommit=True, connect_timeout=5) as connection:
            connection.execute(f"LISTEN {CHANNEL}")
            on_ready()
            while not self.closed.is_set():
                for notice in connection.notifies(timeout=0.5, stop_after=64):
                    _received(notice.payload, self.sender)

    def publish(self, name: str) -> None:
        import psycopg

        with self._send_lock:
            for attempt in (1, 2):  # the server may have closed the sending connection (a restart)
                if self._sender is None:
                    self._sender = psycopg.connect(self.conninfo, autocommit=True, connect_timeout=5)
                try:
                    self._sender.execute("SELECT pg_notify(%s, %s)", (CHANNEL, f"{self.sender}:{name}"))
                    return
                except psycopg.OperationalError:
                    self._sender.close()
                    self._sender = None
                    if attempt == 2:
                        raise

    def close(self) -> None:
        super().close()
        with self._send_lock:
            if self._sender is not None:
                self._sender.close()
                self._sender = None


class RedisBroadcast(_Listener):
    """Redis pub/sub: the same Redis the rate limits share."""

    def __init__(self, redis_url: str, channel: str) -> None:
        import redis

        super().__init__("signals-redis")
        self.channel = channel
        self.client = redis.Redis.from_url(redis_url, socket_timeout=5, socket_connect_timeout=5)

    def take(self, on_ready: Callable[[], None]) -> None:
        pubsub = self.client.pubsub(ignore_subscribe_messages=True)  # type: ignore[no-untyped-call]  # redis-py leaves it unannotated
        try:
            pubsub.subscribe(self.channel)
            on_ready()
            while not self.closed.is_set():
                message = pubsub.get_message(timeout=0.5)
                if message is not None and message["type"] == "message":
                    _received(message["data"].decode(), self.sender)
        finally:
            pubsub.close()

    def publish(self, name: str) -> None:
        self.client.publish(self.channel, f"{self.sender}:{name}")

    def close(self) -> None:
        super().close()
        self.client.close()
