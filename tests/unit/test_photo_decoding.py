"""Photos are cleaned in worker threads, a bounded number at a time per worker process."""

from __future__ import annotations

import asyncio
import platform
import threading
from collections.abc import Iterator

import pytest

from healthcode.domain.errors import Unavailable
from healthcode.photos import decoding
from healthcode.photos.decoding import RETRY_AFTER_S, clean_photo_bounded, return_large_blocks_to_the_system
from healthcode.photos.images import CleanImage

CLEAN = CleanImage(content=b"\xff\xd8\xff", media_type="image/jpeg", width=1, height=1)


class Decoder:
    """Stands in for clean_photo: records how many run at once and holds them until released."""

    def __init__(self) -> None:
        self.running = 0
        self.most = 0
        self.started = threading.Semaphore(0)
        self.release = threading.Event()
        self._lock = threading.Lock()

    def __call__(self, data: bytes, *, max_bytes: int, max_pixels: int) -> CleanImage:
        with self._lock:
            self.running += 1
            self.most = max(self.most, self.running)
        self.started.release()
        self.release.wait(5)
        with self._lock:
            self.running -= 1
        return CLEAN

    async def wait_started(self, count: int) -> None:
        for _ in range(count):
            assert await asyncio.to_thread(self.started.acquire, True, 5)


@pytest.fixture
def decoder(monkeypatch: pytest.MonkeyPatch) -> Iterator[Decoder]:
    fake = Decoder()
    monkeypatch.setattr(decoding, "clean_photo", fake)
    yield fake
    fake.release.set()


async def test_at_most_the_slots_decode_at_once(decoder: Decoder) -> None:
    uploads = [asyncio.create_task(clean_photo_bounded(b"x", max_bytes=10, slots=2, wait_s=5)) for _ in range(5)]
    await decoder.wait_started(2)
    await asyncio.sleep(0.05)
    assert decoder.running == 2
    decoder.release.set()
    assert await asyncio.gather(*uploads) == [CLEAN] * 5
    assert decoder.most == 2


async def test_a_photo_that_waits_too_long_is_refused_with_retry_after(decoder: Decoder) -> None:
    first = asyncio.create_task(clean_photo_bounded(b"x", max_bytes=10, slots=1, wait_s=5))
    await decoder.wait_started(1)
    with pytest.raises(Unavailable) as caught:
        await clean_photo_bounded(b"x", max_bytes=10, slots=1, wait_s=0.05)
    assert (caught.value.code, caught.value.field) == ("photos_busy", "file")
    assert caught.value.params["retry_after"] == RETRY_AFTER_S
    assert "few seconds" in caught.value.message
    decoder.release.set()
    assert await first == CLEAN


async def test_a_cancelled_upload_keeps_its_slot_until_the_decoder_is_done(decoder: Decoder) -> None:
    first = asyncio.create_task(clean_photo_bounded(b"x", max_bytes=10, slots=1, wait_s=5))
    await decoder.wait_started(1)
    first.cancel()
    with pytest.raises(asyncio.CancelledError):
        await first
    # the thread still decodes: the next photo may not start beside it
    with pytest.raises(Unavailable):
        await clean_photo_bounded(b"x", max_bytes=10, slots=1, wait_s=0.05)
    decoder.release.set()
    assert await clean_photo_bounded(b"x", max_bytes=10, slots=1, wait_s=5) == CLEAN
    assert decoder.most == 1


@pytest.mark.skipif(platform.libc_ver()[0] != "glibc", reason="only glibc's malloc is tuned")
def test_large_blocks_go_back_to_the_system_on_glibc() -> None:
    assert return_large_blocks_to_the_system() is True
