"""The ledger's tests' shared arrangement."""

from __future__ import annotations

import pytest

from openminis.identity.service import new_user
from openminis.wallet import service as ledger
from tests.wallet.test_ledger import fund


@pytest.fixture
def shop(platform):
    """A funded player, and the accounts a sale of app "hot-app" moves coins between."""
    with platform.db.session() as session:
        player = new_user(session).id
        session.commit()
    wallet = fund(platform, player, 1000)
    with platform.db.session() as session:
        earnings = ledger.account_id(session, "app_earnings", "hot-app")
        revenue = ledger.account_id(session, "platform_revenue")
        session.commit()
    return wallet, earnings, revenue
