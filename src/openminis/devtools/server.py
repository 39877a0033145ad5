"""The simulator behind ``minis dev``: a real platform on a scratch data dir (SQLite, sandbox
payments on) that publishes one package folder, through the operator's own publish path, as a dev
version (``1.2.0-dev.3``), and again whenever a file in it changes.

Dev versions keep the developer's ``minis.json`` untouched on disk: the version is replaced only
in the copy that is published, so every save gets a version of its own (versions are immutable)
and the folder can be published as it is with ``minis publish`` later.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import tempfile
import threading
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Protocol

import semver

from openminis.catalog.manifest import Manifest
from openminis.catalog.package import MANIFEST, Package, read_package
from openminis.errors import PlatformError
from openminis.platform import Platform

# The simulator's signed-in person (devtools/routes.py), who also owns the app as its developer:
# an account on this scratch platform only.
DEV_PERSON_EMAIL = "player@example.com"
DEV_PERSON_NAME = "Dev Player"


class Publish(Protocol):
    """The operator's publish path (cli.py's publish_folder, handed in by the command that registers
    ``minis dev``): a folder in, a one-line description of the stored version out. It releases the
    version at once, as ``minis publish`` does, to an app owned by ``developer`` (an email)."""

    def __call__(self, platform: Platform, path: Path, *, developer: str | None = None) -> str: ...


def dev_version(base: str, number: int, *, after: str | None = None) -> str:
    """``1.2.0`` -> ``1.2.0-dev.3``; a prerelease keeps its own identifiers first (``1.2.0-rc.1.dev.3``).
    With ``after`` (the dev version on screen), the base never goes below that one's: the operator's
    path releases only a version above the released one, and a manifest set back to an older
    version must still replace what is on screen."""
    parsed = semver.Version.parse(base).replace(build=None)
    if after is not None:
        previous = semver.Version.parse(after)
        previous_base = previous.replace(prerelease=_base_prerelease(previous.prerelease), build=None)
        parsed = max(parsed, previous_base)
    tag = f"{parsed.prerelease}.dev.{number}" if parsed.prerelease else f"dev.{number}"
    return str(parsed.replace(prerelease=tag))


def _base_prerelease(prerelease: str | None) -> str | None:
    """``rc.1.dev.3`` -> ``rc.1``; ``dev.3`` -> None."""
    if prerelease is None:
        return None
    kept = prerelease.rsplit(".dev.", 1)[0] if ".dev." in prerelease else None
    return kept


@dataclass(frozen=True)
class DevState:
    """What the dev page shows: the version on screen, and why the last change is not (if it is not)."""

    generation: int = 0  # counts publish attempts: the dev page waits for the next one
    app_id: str | None = None
    version: str | None = None
    card: dict[str, Any] | None = None
    published: str | None = None  # the publish path's own description of the version
    error: str | None = None  # the last change was refused: the version before stays on screen

    def answer(self) -> dict[str, Any]:
        return {
            "generation": self.generation,
            "app_id": self.app_id,
            "version": self.version,
            "card": self.card,
            "published": self.published,
            "error": self.error,
        }


@dataclass(eq=False)  # each waiter is its own: kept in a set by identity
class _Waiter:
    loop: asyncio.AbstractEventLoop
    event: asyncio.Event = field(default_factory=asyncio.Event)


class DevServer:
    """One package folder on one platform. ``publish`` runs on the watcher's thread (and once at
    start); the dev page's long polls wait on the server's event loop for the state it makes."""

    def __init__(self, platform: Platform, folder: Path, publish: Publish):
        self.platform = platform
        self.folder = Path(folder).resolve()
        self._publish = publish
        self._publishing = threading.Lock()  # one publish at a time: each takes the next number
        self._state_lock = threading.Lock()  # short: guards the state and the waiters
        self._state = DevState()
        self._number = 0
        self._waiters: set[_Waiter] = set()
        self._closed = False
        # The people the dev page switches between (devtools/routes.py), made on first use.
        self.guest_id: str | None = None

    @property
    def state(self) -> DevState:
        with self._state_lock:
            return self._state

    def publish(self) -> DevState:
        """Publishes the folder as the next dev version; a package the platform refuses leaves the
        previous version on screen and says why."""
        with self._publishing:
            try:
                package = read_package(self.folder, self.platform.package_limits)
                version = dev_version(package.manifest.version, self._number + 1, after=self.state.version)
                with tempfile.TemporaryDirectory(prefix="minis-dev-") as scratch:
                    _write_with_version(package, Path(scratch), version)
                    published = self._publish(self.platform, Path(scratch), developer=DEV_PERSON_EMAIL)
                self._number += 1
                manifest = package.manifest
                with self._state_lock:
                    self._state = DevState(
                        generation=self._state.generation + 1,
                        app_id=manifest.id,
                        version=version,
                        card=self.card(manifest, version),
                        published=published,
                    )
            except PlatformError as exc:
                where = f" [{exc.field}]" if exc.field else ""
                self._refused(f"{exc.code}{where}: {exc.message}")
            except OSError as exc:  # a file removed or renamed while it was read: the next save tries again
                self._refused(f"the folder could not be read: {exc}")
            state = self.state
        self._wake()
        return state

    def _refused(self, error: str) -> None:
        with self._state_lock:
            self._state = replace(self._state, generation=self._state.generation + 1, error=error)

    def card(self, manifest: Manifest, version: str) -> dict[str, Any]:
        """The app's card at the dev version, as the host's launcher takes it (catalog's Card)."""
        origin = self.platform.settings.app_origin(manifest.id)
        return {
            "app_id": manifest.id,
            "name": manifest.name,
            "kind": manifest.kind,
            "category": manifest.category,
            "description": manifest.description,
            "version": version,
            "icon_url": f"{origin}/v/{version}/{manifest.icon}",
            "origin": origin,
            "entry_url": f"{origin}/v/{version}/{manifest.entry}",
            "orientation": manifest.orientation,
        }

    async def next_state(self, after: int, timeout: float) -> DevState:
        """The state once its generation is past ``after``, or as it is after ``timeout`` seconds."""
        waiter = _Waiter(asyncio.get_running_loop())
        with self._state_lock:
            if self._state.generation > after or self._closed:
                return self._state
            self._waiters.add(waiter)
        try:
            await asyncio.wait_for(waiter.event.wait(), timeout)
        except TimeoutError:
            pass
        finally:
            with self._state_lock:
                self._waiters.discard(waiter)
        return self.state

    def close(self) -> None:
        """Answers every waiting poll now, so that shutting down does not wait for them."""
        with self._state_lock:
            self._closed = True
        self._wake()

    def _wake(self) -> None:
        with self._state_lock:
            waiters = list(self._waiters)
        for waiter in waiters:
            with contextlib.suppress(RuntimeError):  # that loop has closed: its poll went with it
                waiter.loop.call_soon_threadsafe(waiter.event.set)


def _write_with_version(package: Package, root: Path, version: str) -> None:
    for path, data in package.files.items():
        target = root / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
    # read_package has validated minis.json, so it is a JSON object; only its version changes.
    document = json.loads(package.files[MANIFEST])
    document["version"] = version
    (root / MANIFEST).write_text(json.dumps(document, indent=2, ensure_ascii=False), encoding="utf-8")
