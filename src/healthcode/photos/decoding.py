"""Cleaning photos off the event loop, a bounded number at a time in each worker process.

Decoding is CPU work and memory: a 40-megapixel PNG holds about 240 MB while it is decoded, and
eight at once took a worker past 1.8 GB. Each worker process therefore cleans at most
``photo_decodes`` photos at once, in threads (Pillow lets go of the GIL while it decodes and
encodes, so two threads use two cores). Further photos wait for up to ``photo_decode_wait_s``
seconds, then are refused the way the platform refuses work under overload: a 503 with
Retry-After and a message in the user's language, from the one error mapping.

The memory a decode took goes back to the system when it ends (see
:func:`return_large_blocks_to_the_system`), so a burst of uploads does not leave a worker large.
"""

from __future__ import annotations

import asyncio
import ctypes
import ctypes.util
import functools
from weakref import WeakKeyDictionary

from healthcode.domain.errors import Unavailable
from healthcode.domain.i18n import N_
from healthcode.photos.images import MAX_PIXELS, CleanImage, clean_photo

RETRY_AFTER_S = 5
"""Seconds a refused upload is told to wait: a few photos' cleaning."""

MMAP_THRESHOLD = 1024 * 1024
"""Allocations from this size on get their own memory mapping, unmapped when freed."""

_M_MMAP_THRESHOLD = -3  # glibc's mallopt parameter number

_semaphores: WeakKeyDictionary[asyncio.AbstractEventLoop, dict[int, asyncio.Semaphore]] = WeakKeyDictionary()


async def clean_photo_bounded(
    data: bytes, *, max_bytes: int, slots: int, wait_s: float, max_pixels: int = MAX_PIXELS
) -> CleanImage:
    """:func:`clean_photo` in a worker thread, at most ``slots`` at once in this process.

    Waits up to ``wait_s`` seconds for a free slot, then raises :class:`Unavailable`
    (``photos_busy``, with ``retry_after``). A request cancelled while its photo is being decoded
    keeps the slot until the thread has finished, so the bound holds for the threads themselves.
    """
    semaphore = _semaphore(slots)
    try:
        async with asyncio.timeout(wait_s):
            await semaphore.acquire()
    except TimeoutError:
        raise Unavailable(
            "photos_busy",
            N_("Many photos are being checked right now. Please send yours again in a few seconds."),
            field="file",
            retry_after=RETRY_AFTER_S,
        ) from None
    work = functools.partial(clean_photo, data, max_bytes=max_bytes, max_pixels=max_pixels)
    future = asyncio.get_running_loop().run_in_executor(None, work)
    future.add_done_callback(lambda _: semaphore.release())
    return await asyncio.shield(future)


def _semaphore(slots: int) -> asyncio.Semaphore:
    """This event loop's semaphore of ``slots`` (one loop per worker process in the server)."""
    per_loop = _semaphores.setdefault(asyncio.get_running_loop(), {})
    return per_loop.setdefault(slots, asyncio.Semaphore(slots))


def return_large_blocks_to_the_system() -> bool:
    """Have glibc's malloc give large blocks their own mappings, returned to the system when freed.

    Pillow keeps decoded pixels in blocks of up to 16 MB. glibc serves the first ones from fresh
    mappings but, once one is freed, raises its threshold and serves the next ones from its
    per-thread heaps, which keep freed memory: after eight concurrent 40-megapixel decodes a
    worker held 288 MB it no longer used (1.8 GB at the peak). A fixed threshold turns that
    adjustment off; it then held 4 MB more than at rest. Returns whether the setting was made
    (glibc only).
    """
    name = ctypes.util.find_library("c")
    mallopt = getattr(ctypes.CDLL(name), "mallopt", None) if name else None
    if mallopt is None:
        return False
    return bool(mallopt(_M_MMAP_THRESHOLD, MMAP_THRESHOLD))


return_large_blocks_to_the_system()
