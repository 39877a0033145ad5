"""A version's life: uploaded -> checked -> in review -> approved or rejected -> released ->
superseded, each step recorded, and which version each person gets."""

from __future__ import annotations

import pytest

from openminis.catalog import releases
from openminis.catalog import service as catalog
from openminis.catalog.package import read_package
from openminis.errors import Conflict, InvalidArgument
from openminis.payments import orders
from openminis.unit_of_work import unit_of_work
from openminis.web import versions
from tests.factories import LIMITS, package_files, publish, zip_bytes

REVIEWER = "staff:reviewer@example.com"
DEVELOPER = "developer:d1 Studio"
PASSED = {"passed": True, "tier": "fast", "hard_failures": []}


def upload(platform, version: str, **overrides):
    package = read_package(zip_bytes(package_files(version=version, **overrides)), LIMITS)
    with unit_of_work(platform.db) as session:
        return catalog.publish_version(session, platform.packages, package, actor=DEVELOPER).version


def through_review(platform, version: str, *, report=PASSED, **overrides) -> str:
    upload(platform, version, **overrides)
    with unit_of_work(platform.db) as session:
        releases.record_check(session, "test-game", version, report)
        releases.submit(session, "test-game", version, actor=DEVELOPER)
        releases.approve(session, "test-game", version, actor=REVIEWER)
    return version


def app_state(platform):
    with unit_of_work(platform.db, reads=True) as session:
        app = catalog.get_app(session, "test-game")
        states = {v.version: v.state for v in catalog.list_versions(session, "test-game")[0]}
        return app.released_version, app.staged_version, app.staged_percent, states


def test_an_upload_is_seen_by_nobody_until_it_is_released(platform):
    upload(platform, "1.0.0")
    with unit_of_work(platform.db, reads=True) as session:
        app = catalog.get_app(session, "test-game")
        assert app.released_version is None
        assert catalog.get_version(session, "test-game", "1.0.0").state == "uploaded"
        assert catalog.list_apps(session).apps == []  # not in the hub, nor in search


def test_a_version_goes_through_every_state_and_each_step_is_recorded(platform):
    through_review(platform, "1.0.0")
    with unit_of_work(platform.db) as session:
        releases.release(session, "test-game", "1.0.0", percent=100, actor=REVIEWER)
    through_review(platform, "1.1.0")
    with unit_of_work(platform.db) as session:
        releases.release(session, "test-game", "1.1.0", percent=100, actor=DEVELOPER)
    assert app_state(platform) == ("1.1.0", None, 0, {"1.0.0": "superseded", "1.1.0": "released"})
    with unit_of_work(platform.db, reads=True) as session:
        history = [(e.action, e.state, e.actor) for e in releases.history(session, "test-game", "1.0.0")]
    assert history == [
        ("uploaded", "uploaded", DEVELOPER),
        ("checked", "checked", releases.CHECKER),
        ("submitted", "in_review", DEVELOPER),
        ("approved", "approved", REVIEWER),
        ("released", "released", REVIEWER),
        ("superseded", "superseded", DEVELOPER),
    ]


def test_a_version_whose_checks_failed_cannot_be_submitted(platform):
    upload(platform, "1.0.0")
    failed = {"passed": False, "hard_failures": [{"code": "never_ready", "message": "ready() was never called"}]}
    with unit_of_work(platform.db) as session:
        with pytest.raises(Conflict) as not_yet:
            releases.submit(session, "test-game", "1.0.0", actor=DEVELOPER)
        assert not_yet.value.code == "NOT_CHECKED"
        releases.record_check(session, "test-game", "1.0.0", failed)
        with pytest.raises(Conflict) as refused:
            releases.submit(session, "test-game", "1.0.0", actor=DEVELOPER)
    assert refused.value.code == "CHECKS_FAILED"
    assert "ready() was never called" in refused.value.message


def test_a_rejected_version_cannot_be_released_and_needs_a_reason(platform):
    upload(platform, "1.0.0")
    with unit_of_work(platform.db) as session:
        releases.record_check(session, "test-game", "1.0.0", PASSED)
        releases.submit(session, "test-game", "1.0.0", actor=DEVELOPER)
        with pytest.raises(InvalidArgument):
            releases.reject(session, "test-game", "1.0.0", actor=REVIEWER, note=" ")
        releases.reject(session, "test-game", "1.0.0", actor=REVIEWER, note="crashes on the second level")
    with unit_of_work(platform.db) as session, pytest.raises(Conflict) as refused:
        releases.release(session, "test-game", "1.0.0", percent=100, actor=DEVELOPER)
    assert refused.value.code == "VERSION_STATE"
    assert app_state(platform)[0] is None


def test_a_staged_version_goes_to_its_share_of_people_by_a_stable_hash(platform):
    publish(platform, version="1.0.0")
    through_review(platform, "2.0.0")
    with unit_of_work(platform.db) as session:
        app = releases.release(session, "test-game", "2.0.0", percent=10, actor=DEVELOPER)
        people = [f"person-{n}" for n in range(2000)]
        got = {person: releases.version_for(app, person) for person in people}
    staged = [person for person, version in got.items() if version == "2.0.0"]
    assert all(releases.bucket("test-game", p) < 10 for p in staged)
    assert all(got[p] == "1.0.0" for p in people if releases.bucket("test-game", p) >= 10)
    assert 0.07 < len(staged) / len(people) < 0.13  # a 10 % share of 2,000 hashes
    with unit_of_work(platform.db) as session:
        app = releases.release(session, "test-game", "2.0.0", percent=50, actor=DEVELOPER)
        # Widening the share keeps everyone who had the new version on it.
        assert all(releases.version_for(app, p) == "2.0.0" for p in staged)
    assert app_state(platform)[:3] == ("1.0.0", "2.0.0", 50)


def test_a_rollback_returns_everyone_to_the_earlier_version(platform):
    publish(platform, version="1.0.0")
    through_review(platform, "2.0.0")
    with unit_of_work(platform.db) as session:
        releases.release(session, "test-game", "2.0.0", percent=50, actor=DEVELOPER)
        app = releases.roll_back(session, "test-game", "1.0.0", actor=DEVELOPER, note="2.0.0 crashes")
        assert {releases.version_for(app, f"p{n}") for n in range(500)} == {"1.0.0"}
    assert app_state(platform) == ("1.0.0", None, 0, {"1.0.0": "released", "2.0.0": "superseded"})
    # A superseded version was reviewed: it may be released again.
    with unit_of_work(platform.db) as session:
        releases.release(session, "test-game", "2.0.0", percent=100, actor=DEVELOPER)
    assert app_state(platform)[0] == "2.0.0"


def test_only_a_reviewed_version_is_rolled_back_to(platform):
    publish(platform, version="1.0.0")
    upload(platform, "0.5.0")
    with unit_of_work(platform.db) as session, pytest.raises(Conflict):
        releases.roll_back(session, "test-game", "0.5.0", actor=DEVELOPER)


def test_a_first_release_goes_to_everyone(platform):
    through_review(platform, "1.0.0")
    with unit_of_work(platform.db) as session, pytest.raises(Conflict) as refused:
        releases.release(session, "test-game", "1.0.0", percent=10, actor=DEVELOPER)
    assert refused.value.code == "NOTHING_TO_STAGE_FROM"


def test_the_products_of_every_version_out_are_on_sale(platform):
    gem = {"id": "gem", "type": "consumable", "price": 10, "title": {"en": "Gem"}}
    skin = {"id": "skin", "type": "permanent", "price": 99, "title": {"en": "Skin"}}
    publish(platform, version="1.0.0", products=[gem])
    through_review(platform, "2.0.0", products=[gem | {"price": 12}, skin])
    with unit_of_work(platform.db) as session:
        releases.release(session, "test-game", "2.0.0", percent=10, actor=DEVELOPER)
    with unit_of_work(platform.db, reads=True) as session:
        on_sale = {p.id: p.price for p in orders.list_products(session, "test-game")}
    assert on_sale == {"gem": 12, "skin": 99}  # the staged version's terms for a product both sell
    with unit_of_work(platform.db) as session:
        releases.roll_back(session, "test-game", "1.0.0", actor=DEVELOPER)
    with unit_of_work(platform.db, reads=True) as session:
        assert {p.id: p.price for p in orders.list_products(session, "test-game")} == {"gem": 10}


def test_the_operator_publish_never_turns_people_back_to_an_older_version(platform):
    publish(platform, version="2.0.0")
    publish(platform, version="1.5.0")
    released, staged, _, states = app_state(platform)
    assert (released, staged) == ("2.0.0", None)
    assert states == {"2.0.0": "released", "1.5.0": "approved"}


def test_a_version_stored_before_a_newer_manifest_rule_is_still_rolled_back_to(platform):
    """A manifest is checked when its package is uploaded; what was stored then is not judged again
    by rules added since (a name with a bidi mark passed before names were held to one line)."""
    publish(platform, version="1.0.0")
    through_review(platform, "2.0.0")
    with unit_of_work(platform.db) as session:
        stored = catalog.get_version(session, "test-game", "1.0.0")
        stored.manifest = {**stored.manifest, "name": "Test \u202egame"}
    with unit_of_work(platform.db) as session:
        releases.release(session, "test-game", "2.0.0", percent=100, actor=DEVELOPER)
        releases.roll_back(session, "test-game", "1.0.0", actor=DEVELOPER, note="2.0.0 crashes")
    assert app_state(platform)[0] == "1.0.0"


def test_a_rollback_goes_only_to_a_version_everyone_once_had(platform):
    """A rollback puts everyone back on what they had: a version only ever staged to a share, or
    approved and never released, is not "back" for most people; putting it in front of everyone is a
    release, which goes through its share first (an attack rolled back to a version staged to 1 % and
    so released it to 100 %)."""
    publish(platform, version="1.0.0")
    through_review(platform, "2.0.0")
    through_review(platform, "3.0.0")
    with unit_of_work(platform.db) as session:
        releases.release(session, "test-game", "2.0.0", percent=1, actor=DEVELOPER)
        releases.release(session, "test-game", "3.0.0", percent=10, actor=DEVELOPER)  # 2.0.0 superseded
    for never_everyones in ("2.0.0", "3.0.0"):
        with unit_of_work(platform.db) as session, pytest.raises(Conflict) as refused:
            releases.roll_back(session, "test-game", never_everyones, actor=DEVELOPER)
        assert refused.value.code == "NEVER_EVERYONES" and "release it" in str(refused.value)
    assert app_state(platform)[:3] == ("1.0.0", "3.0.0", 10)
    # Back to what everyone had is a rollback, and what it rolled back to may be rolled back to again.
    with unit_of_work(platform.db) as session:
        releases.roll_back(session, "test-game", "1.0.0", actor=DEVELOPER, note="3.0.0 crashes")
        releases.release(session, "test-game", "3.0.0", percent=100, actor=DEVELOPER)
        releases.roll_back(session, "test-game", "1.0.0", actor=DEVELOPER, note="3.0.0 still crashes")
        releases.roll_back(session, "test-game", "3.0.0", actor=DEVELOPER, note="it was the CDN")
    assert app_state(platform)[:3] == ("3.0.0", None, 0)


def test_an_approved_version_nobody_had_is_released_not_rolled_back_to(platform):
    publish(platform, version="2.0.0")
    publish(platform, version="1.5.0")  # older than the released one: kept approved, never out
    with unit_of_work(platform.db) as session, pytest.raises(Conflict) as refused:
        releases.roll_back(session, "test-game", "1.5.0", actor=DEVELOPER)
    assert refused.value.code == "NEVER_EVERYONES"


class _Undone(Exception):
    """Raised to roll back an attempt whose outcome is all a test wanted."""


def takes(platform, action: str, version: str) -> bool:
    """Whether the platform takes `action` on `version` now; the attempt is rolled back either way."""
    try:
        with unit_of_work(platform.db) as session:
            if action in ("release", "stage"):
                percent = 100 if action == "release" else 10
                releases.release(session, "test-game", version, percent=percent, actor=DEVELOPER)
            else:
                releases.roll_back(session, "test-game", version, actor=DEVELOPER)
            raise _Undone
    except _Undone:
        return True
    except Conflict:
        return False


def offered(platform) -> dict[str, tuple[bool, bool, bool]]:
    """Release and Roll back, as each version's answer to the console and the reviewers offers them."""
    with unit_of_work(platform.db, reads=True) as session:
        found = catalog.list_versions(session, "test-game")[0]
        shown = [versions.version_out(session, platform, v) for v in found]
    return {v.version: (v.may_release, v.may_stage, v.may_roll_back) for v in shown}


def test_what_a_version_offers_is_what_the_platform_takes(platform):
    """The console and the reviewers' panel offer Release (to a share: may_stage) and Roll back where
    a version's answer says so; the answer is the platform's own rule, so nothing offered is refused
    and nothing allowed is hidden (the pages had each worked the rules out again, and offered a
    refused rollback: dev51; the reviewers' panel offered 10 % of a first version: dev52)."""
    seen = []

    def check():
        answer = offered(platform)
        actions = ("release", "stage", "roll_back")
        assert answer == {v: tuple(takes(platform, action, v) for action in actions) for v in answer}
        seen.append(answer)

    upload(platform, "0.9.0")  # uploaded, never checked
    through_review(platform, "1.0.0")
    check()
    with unit_of_work(platform.db) as session:
        releases.release(session, "test-game", "1.0.0", percent=100, actor=DEVELOPER)
    through_review(platform, "1.1.0")
    with unit_of_work(platform.db) as session:
        releases.release(session, "test-game", "1.1.0", percent=10, actor=DEVELOPER)
    check()
    with unit_of_work(platform.db) as session:
        releases.roll_back(session, "test-game", "1.0.0", actor=DEVELOPER)  # 1.1.0: superseded, never everyone's
    check()
    through_review(platform, "1.2.0")
    with unit_of_work(platform.db) as session:
        releases.release(session, "test-game", "1.2.0", percent=100, actor=DEVELOPER)  # 1.0.0 superseded
    upload(platform, "1.3.0")
    with unit_of_work(platform.db) as session:
        releases.record_check(session, "test-game", "1.3.0", PASSED)
        releases.submit(session, "test-game", "1.3.0", actor=DEVELOPER)
        releases.reject(session, "test-game", "1.3.0", actor=REVIEWER, note="it crashes at level 2")
    check()
    assert seen[0] == {"0.9.0": (False, False, False), "1.0.0": (True, False, False)}  # a first release: to all
    assert seen[-1] == {
        "0.9.0": (False, False, False),
        "1.0.0": (True, True, True),  # everyone had it: released again, to a share, or rolled back to
        "1.1.0": (True, True, False),  # only ever staged: released again, to a share first
        "1.2.0": (False, False, False),  # everyone has it now
        "1.3.0": (False, False, False),  # rejected
    }
