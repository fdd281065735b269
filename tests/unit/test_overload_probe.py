"""The overload probe (healthcode.kit.overload.Load.watch) measures how late the loop runs: a
queue that lasts counts, one long step does not."""

import asyncio
import time

from healthcode.kit.overload import Load


def block(seconds: float) -> None:
    """Hold the event loop's thread, as a long synchronous step does."""
    time.sleep(seconds)


async def test_the_probe_sees_a_queue_that_lasts_not_one_long_step() -> None:
    load = Load(max_in_flight=20, max_delay_s=1.0)
    watching = asyncio.create_task(load.watch())
    try:
        await asyncio.sleep(0.2)
        block(0.3)  # one long step (a password hash, a PDF)
        await asyncio.sleep(0.05)
        assert load.delay_s < 0.1
        for _ in range(16):  # a queue: every turn of the loop is late (a probe takes two turns)
            block(0.12)
            await asyncio.sleep(0)
        assert load.delay_s >= 0.1
        await asyncio.sleep(0.3)
        assert load.delay_s < 0.1, "back to normal once the queue is gone"
    finally:
        watching.cancel()
