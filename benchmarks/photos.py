"""Photo cleaning and the application path with two 12-megapixel phone photos (``make bench-photos``).

Prints, for 4000 x 3000 phone JPEGs (:mod:`benchmarks.phonephotos`):

- the CPU one cleaning costs (:func:`~healthcode.photos.images.clean_photo`), and what keeping the
  photo's own JPEG data would cost instead (its metadata segments dropped, nothing decoded), the
  alternative measured for docs/adr/0018;
- applications per second end to end through the cards service on SQLite: apply, then the front
  and the back photo (cleaned, sealed, stored), in two worker processes as the server runs two
  workers on two cores, each with its own database file and a few applications in flight;
- each worker's peak resident memory, and what it holds after eight large decodes at once.

``python -m benchmarks.photos [--applications N]`` (per worker).
"""

from __future__ import annotations

import argparse
import asyncio
import io
import resource
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from multiprocessing import Manager
from pathlib import Path
from threading import Barrier

from PIL import Image

from benchmarks.listgen import numbers
from benchmarks.phonephotos import SIZE, phone_jpeg
from healthcode.cards.service import make_card_service
from healthcode.config import Settings
from healthcode.db.engine import make_engine, make_sessionmaker
from healthcode.db.migrate import upgrade
from healthcode.db.models import Resident
from healthcode.domain.clock import SystemClock
from healthcode.photos import decoding
from healthcode.photos.decoding import clean_photo_bounded
from healthcode.photos.images import CleanImage, clean_photo

WORKERS = 2
IN_FLIGHT = 4
"""Applications each worker has in flight at once."""
MAX_BYTES = 8_000_000


def cpu_ms_per_cleaning(photo: bytes, rounds: int = 10) -> float:
    clean_photo(photo, max_bytes=MAX_BYTES)
    start = time.process_time()
    for _ in range(rounds):
        clean_photo(photo, max_bytes=MAX_BYTES)
    return (time.process_time() - start) / rounds * 1000


def metadata_segments_dropped(photo: bytes) -> bytes:
    """The alternative measured: the photo's own JPEG data without its APPn and COM segments."""
    out = bytearray(photo[:2])
    at = 2
    while photo[at] == 0xFF and photo[at + 1] != 0xDA:  # up to the start of scan
        length = int.from_bytes(photo[at + 2 : at + 4], "big")
        marker = photo[at + 1]
        if not (0xE0 <= marker <= 0xEF or marker == 0xFE):
            out += photo[at : at + 2 + length]
        at += 2 + length
    out += photo[at:]
    return bytes(out)


def cpu_ms_per_segment_drop(photo: bytes, rounds: int = 50) -> float:
    start = time.process_time()
    for _ in range(rounds):
        kept = metadata_segments_dropped(photo)
    assert Image.open(io.BytesIO(kept)).getexif() == {}
    return (time.process_time() - start) / rounds * 1000


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


async def burst(photo: bytes, count: int = 8) -> tuple[float, float]:
    """``count`` cleanings at once through the bounded path: peak and resident memory after, MB."""
    await asyncio.gather(*(clean_photo_bounded(photo, max_bytes=MAX_BYTES, slots=2, wait_s=60) for _ in range(count)))
    return peak_rss_mb(), rss_mb()


def large_png() -> bytes:
    """The issue's hostile upload: a 6300 x 6300 PNG of a few hundred KB (39.7 megapixels)."""
    out = io.BytesIO()
    Image.new("RGB", (6300, 6300), (250, 250, 250)).save(out, "PNG")
    return out.getvalue()


def memory_after_bursts() -> dict[str, float]:
    """In a fresh process: memory at rest, at the peak of eight 39.7-megapixel PNGs, and after."""
    png = large_png()
    at_rest = rss_mb()
    peak, after = asyncio.run(burst(png))
    return {"at_rest_mb": at_rest, "peak_mb": peak, "after_mb": after}


async def apply_many(
    worker: int, count: int, photos: list[bytes], folder: str, start: Barrier
) -> tuple[float, float, float]:
    """``count`` applications with two photos each on this worker's database: wall and CPU seconds."""
    url = f"sqlite+aiosqlite:///{folder}/worker{worker}.db"
    settings = Settings(env="test", var_dir=Path(folder) / f"var{worker}", database_url=url, realname_delay_s=600)
    engine = make_engine(url)
    sessions = make_sessionmaker(engine)
    clock = SystemClock()
    documents = numbers(count, seed=worker + 1)
    async with sessions() as db:
        residents = [Resident(phone=f"1380{worker}{i:06d}", created_at=clock.now()) for i in range(count)]
        db.add_all(residents)
        await db.commit()
        resident_ids = [resident.id for resident in residents]
    queue: asyncio.Queue[int] = asyncio.Queue()
    for i in range(count):
        queue.put_nowait(i)

    async def applicant() -> None:
        while not queue.empty():
            i = queue.get_nowait()
            async with sessions() as db:
                service = make_card_service(db, settings, clock)
                card = await service.apply(resident_ids[i], "张三", "resident_id", documents[i], "self")
                for side, photo in zip(("front", "back"), photos, strict=True):
                    await service.add_photo(resident_ids[i], card.card.public_id, side, photo)

    start.wait()  # both workers set up: measure them side by side
    wall, cpu = time.perf_counter(), time.process_time()
    await asyncio.gather(*(applicant() for _ in range(IN_FLIGHT)))
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    await engine.dispose()
    return wall, cpu, peak_rss_mb()


def segments_dropped_unchecked(data: bytes, *, max_bytes: int, max_pixels: int) -> CleanImage:
    """The alternative in place of the platform's cleaning: its metadata segments dropped."""
    return CleanImage(metadata_segments_dropped(data), "image/jpeg", *SIZE)


def no_photo_work(data: bytes, *, max_bytes: int, max_pixels: int) -> CleanImage:
    """The application path's floor: a photo that costs nothing to clean or store."""
    return CleanImage(b"\xff\xd8\xff", "image/jpeg", 1, 1)


VARIANTS = {
    "photos cleaned (the platform)": clean_photo,
    "metadata segments dropped instead (not used)": segments_dropped_unchecked,
    "no photo work (the service alone, for reference)": no_photo_work,
}


def worker_run(
    variant: str, worker: int, count: int, photos: list[bytes], folder: str, start: Barrier
) -> tuple[float, float, float]:
    decoding.clean_photo = VARIANTS[variant]  # type: ignore[assignment]  # this worker process only
    upgrade(f"sqlite+aiosqlite:///{folder}/worker{worker}.db")  # alembic runs its own event loop
    return asyncio.run(apply_many(worker, count, photos, folder, start))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--applications", type=int, default=40, help="applications per worker")
    count = parser.parse_args().applications
    photo = phone_jpeg()
    print(f"phone photo: {SIZE[0]}x{SIZE[1]}, {len(photo) / 1e6:.2f} MB with EXIF, GPS and orientation 6")
    print(f"clean_photo, one thread: {cpu_ms_per_cleaning(photo):.1f} ms CPU per photo")
    print(f"metadata segments dropped, nothing decoded (not used): {cpu_ms_per_segment_drop(photo):.2f} ms CPU")
    with ProcessPoolExecutor(1) as pool:
        memory = pool.submit(memory_after_bursts).result()
    print(
        "8 x 6300x6300 PNG at once through the bounded path: "
        f"{memory['at_rest_mb']:.0f} MB before, peak {memory['peak_mb']:.0f} MB, {memory['after_mb']:.0f} MB after"
    )
    photos = [photo, phone_jpeg(2)]
    for variant in VARIANTS:
        print(end_to_end(variant, count, photos))


def end_to_end(variant: str, count: int, photos: list[bytes]) -> str:
    """Applications/s with two photos each, in WORKERS processes side by side."""
    with tempfile.TemporaryDirectory() as folder, Manager() as manager, ProcessPoolExecutor(WORKERS) as pool:
        start = manager.Barrier(WORKERS)
        runs = list(
            pool.map(
                worker_run,
                [variant] * WORKERS,
                range(WORKERS),
                [count] * WORKERS,
                [photos] * WORKERS,
                [folder] * WORKERS,
                [start] * WORKERS,
            )
        )
    wall = max(run[0] for run in runs)
    total = count * WORKERS
    cpu = sum(run[1] for run in runs)
    return (
        f"{variant}, {WORKERS} workers x {IN_FLIGHT} applications in flight: {total} in {wall:.1f} s = "
        f"{total / wall:.1f} applications/s; {cpu / total * 1000:.0f} ms CPU per application "
        f"(at most {WORKERS * total / cpu:.0f}/s on {WORKERS} idle cores); "
        f"peak RSS per worker {', '.join(f'{run[2]:.0f} MB' for run in runs)}"
    )


if __name__ == "__main__":
    main()
