"""Publishing in a unit of work: the feed hears of a new version only once it is committed, and a
refused version leaves the unit it ran in usable and unchanged."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from openminis import changes
from openminis.catalog import releases
from openminis.catalog import service as catalog
from openminis.catalog.models import App, AppVersion
from openminis.catalog.package import read_package
from openminis.errors import Conflict
from openminis.unit_of_work import unit_of_work
from tests.factories import LIMITS, package_files, publish, zip_bytes


class Later(Exception):
    """A failure after the service returned, in the same unit of work."""


def test_the_feed_hears_of_a_version_only_after_its_commit(platform):
    package = read_package(zip_bytes(package_files()), LIMITS)
    before = changes.generation
    with unit_of_work(platform.db) as session:
        releases.publish_released(session, platform.packages, package)
        assert changes.generation == before  # published, not yet committed: the feed has nothing new
    assert changes.generation != before


def test_a_version_rolled_back_with_its_unit_is_never_signalled(platform):
    package = read_package(zip_bytes(package_files()), LIMITS)
    before = changes.generation
    with pytest.raises(Later), unit_of_work(platform.db) as session:
        releases.publish_released(session, platform.packages, package)
        raise Later
    assert changes.generation == before
    with platform.db.session() as session:
        assert session.scalar(select(func.count()).select_from(AppVersion)) == 0
        assert session.get(App, "test-game") is None


def test_a_version_refused_at_its_insert_leaves_the_rest_of_its_unit_to_commit(platform, monkeypatch):
    publish(platform)
    # As when a concurrent upload of the same version wins between the check and the insert.
    monkeypatch.setattr(catalog, "_version_exists", lambda *_: False)
    again = read_package(zip_bytes(package_files(description="again")), LIMITS)
    newer = read_package(zip_bytes(package_files(version="2.0.0")), LIMITS)
    with unit_of_work(platform.db) as session:
        with pytest.raises(Conflict) as refused:
            releases.publish_released(session, platform.packages, again)
        assert refused.value.code == "VERSION_EXISTS"
        # A command publishing several packages goes on past the refused one, in the same unit.
        releases.publish_released(session, platform.packages, newer)
    with platform.db.session() as session:
        versions = session.scalars(select(AppVersion.version).order_by(AppVersion.version)).all()
        assert versions == ["1.0.0", "2.0.0"]
        app = session.get(App, "test-game")
        assert (app.released_version, app.description) == ("2.0.0", newer.manifest.description)


def test_a_release_calls_the_release_hooks_with_the_versions_out(platform, monkeypatch):
    heard: list[list[str]] = []
    hook = lambda _session, _app_id, manifests: heard.append([m.version for m in manifests])  # noqa: E731
    monkeypatch.setattr(releases, "_release_hooks", [hook])
    publish(platform)
    publish(platform, version="0.9.0")  # an older version: kept approved, not released, no hook
    publish(platform, version="1.1.0")
    assert heard == [["1.0.0"], ["1.1.0"]]
