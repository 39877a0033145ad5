"""A guest that signs in to an account is that account from then on: the logins apps held for the
guest end (their tokens, and a login code not exchanged yet), so that an app's next call asks the
person to log in again, as the account, instead of going on as a guest nobody reaches any more
(last stop's seen-and-left)."""

from __future__ import annotations

import pytest

from openminis.client import MinisAPIError
from tests.identity.test_guest_coins_on_sign_in import account, password_sign_in
from tests.studio import browser, login_code


def refused(call) -> str:
    with pytest.raises(MinisAPIError) as caught:
        call()
    return caught.value.code


def test_a_guests_app_tokens_and_login_codes_end_when_it_signs_in_to_an_account(client, studio):
    account(client, "holder@example.com")
    guest = browser(client)
    backend = studio.backend(client)
    logged_in = backend.code2session(login_code(guest, studio.app_id))
    waiting_code = login_code(guest, studio.app_id)
    assert backend.user_info(logged_in["access_token"])["openid"] == logged_in["openid"]

    assert password_sign_in(guest, "holder@example.com").status_code == 200

    assert refused(lambda: backend.user_info(logged_in["access_token"])) == "INVALID_TOKEN"
    assert refused(lambda: backend.refresh(logged_in["refresh_token"])) == "INVALID_TOKEN"
    assert refused(lambda: backend.code2session(waiting_code)) == "CODE_INVALID"
    # The account logs in to the app as itself.
    again = backend.code2session(login_code(guest, studio.app_id))
    assert again["openid"] != logged_in["openid"]
    assert backend.user_info(again["access_token"])["openid"] == again["openid"]
