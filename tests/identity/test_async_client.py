"""The async client makes the same calls as the sync one."""

from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor

import httpx

from openminis.client import AsyncMinisClient, MinisAPIError
from tests.studio import login_code


def test_the_async_client_exchanges_a_code_and_reads_user_info(client, studio, player):
    code = login_code(player, studio.app_id)

    async def scenario():
        transport = httpx.ASGITransport(app=client.app)
        async with httpx.AsyncClient(transport=transport) as http:
            backend = AsyncMinisClient(studio.app_id, studio.secret, base_url="http://localhost:8000", http=http)
            session = await backend.code2session(code)
            info = await backend.user_info(session["access_token"])
            try:
                await backend.code2session(code)
            except MinisAPIError as exc:
                return session, info, exc.code
        return session, info, None

    # On its own thread: the browser tests' Playwright keeps an event loop running on this one.
    with ThreadPoolExecutor(max_workers=1) as pool:
        session, info, reused = pool.submit(asyncio.run, scenario()).result()
    assert info["openid"] == session["openid"]
    assert reused == "CODE_USED"
