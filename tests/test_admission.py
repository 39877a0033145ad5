"""The admission gate's turns (web/admission.py): no slot lost or doubled, whatever waiters do."""

from __future__ import annotations

import asyncio
import random

import pytest

from openminis.web.admission import Gate


def test_a_gate_gives_back_every_slot_when_waiters_time_out_are_cancelled_or_served():
    async def scenario() -> tuple[int, int, int]:
        gate = Gate(3)
        inside = most_inside = 0
        rng = random.Random(12)

        async def visitor() -> None:
            nonlocal inside, most_inside
            loop = asyncio.get_running_loop()
            try:
                await gate.enter(loop.time() + rng.choice([0.0005, 0.001, 0.002, 0.003, 1.0]))
            except TimeoutError:
                return
            inside += 1
            most_inside = max(most_inside, inside)
            await asyncio.sleep(rng.choice([0, 0, 0.0005, 0.001]))
            inside -= 1
            gate.leave()

        tasks = [asyncio.create_task(visitor()) for _ in range(3000)]
        await asyncio.sleep(0.004)
        for task in rng.sample(tasks, 300):  # clients that hang up while waiting
            task.cancel()
        outcomes = await asyncio.gather(*tasks, return_exceptions=True)
        errors = [o for o in outcomes if isinstance(o, Exception) and not isinstance(o, asyncio.CancelledError)]
        assert errors == []
        return gate.free, len(gate.waiters), most_inside

    free, waiting, most_inside = asyncio.run(scenario())
    assert (free, waiting) == (3, 0)
    assert most_inside == 3


def test_a_slot_freed_goes_to_the_longest_waiter_before_a_newcomer():
    async def scenario() -> list[str]:
        gate = Gate(1)
        order: list[str] = []
        loop = asyncio.get_running_loop()
        await gate.enter(loop.time() + 1)

        async def visitor(name: str) -> None:
            await gate.enter(loop.time() + 1)
            order.append(name)
            gate.leave()

        first = asyncio.create_task(visitor("first"))
        await asyncio.sleep(0)
        gate.leave()
        second = asyncio.create_task(visitor("newcomer"))
        await asyncio.gather(first, second)
        return order

    assert asyncio.run(scenario()) == ["first", "newcomer"]


def test_a_waiter_past_its_deadline_gets_timeout_error():
    async def scenario() -> None:
        gate = Gate(1)
        loop = asyncio.get_running_loop()
        await gate.enter(loop.time() + 1)
        with pytest.raises(TimeoutError):
            await gate.enter(loop.time() + 0.01)
        gate.leave()
        assert (gate.free, len(gate.waiters)) == (1, 0)

    asyncio.run(scenario())
