"""`digest images`: bring the image store up to date with the stories, before a build.

For each image a story names (its own image; a video's thumbnail is that image too) that the store
lacks: first the live site's copy (its published images/ and index.json, checked byte for byte), so
a store lost with an evicted CI cache comes back without asking outlets whose images may be gone;
then the outlet itself. Each fetched image is checked, resized, stripped and encoded (process.py)
before anything is written. A failed image is reported and left out, never a reason to stop: the
story gets the no-image layout until a later run stores it. A URL that failed is not asked again at
once: after its first failure it waits RETRY_DAYS[0] days, then longer each time (failed.json in the
store remembers), so a daily run does not knock on a dead host every day.
"""

from __future__ import annotations

import hashlib
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from urllib.parse import urlsplit

from tqdm import tqdm

from generator.addresses import IMAGES
from generator.cache import load_reads
from generator.config import SiteConfig
from generator.diagnostics import Diagnostics
from generator.fetch import Fetcher, Limits, Reason, Refused, open_image, user_agent
from generator.images.plan import MANIFEST_PATH
from generator.images.process import MAX_PIXELS, variants
from generator.images.store import (ROLE_NAMED, Failed, Store, StoredFile, StoredImage, image_key, parse_manifest,
                                     read_failed, remove_leftovers, store_dir, stored_files, write_failed)
from generator.output import OutputError
from generator.sources import read_sources, read_taxonomy
from generator.urls import Urls

WORKERS = 8  # fetches at once, over all hosts (Limits.per_host caps each host)
OFFLINE_AFTER = 6  # hosts that did not resolve, with none resolving, before the rest are not tried
FORMATS = {"webp": "WEBP", "jpg": "JPEG"}
RETRY_DAYS = (1, 2, 4, 8, 16, 30)  # wait after the 1st, 2nd, ... failure in a row; the last one repeats
UNREACHED = frozenset({Reason.DNS, Reason.OFFLINE})  # said nothing about the image when no host resolved


@dataclass(frozen=True, slots=True)
class Wanted:
    url: str
    key: str


@dataclass(frozen=True, slots=True)
class Failure:
    url: str
    reason: Reason
    detail: str


@dataclass(frozen=True)
class ImagesReport:
    named: int  # distinct image URLs the stories name
    kept: int  # already in the store
    restored: int  # copied from the live site
    fetched: int  # from the outlets
    failures: tuple[Failure, ...]
    waiting: int  # failed before, not asked again yet
    live_site: str  # what asking the live site gave, "" when it was not asked
    note: str  # why nothing was fetched, when nothing was
    seconds: float

    def summary(self, verbose: bool = False) -> str:
        lines = [f"digest images: {self.named} named by the stories: {self.kept} already in the store, "
                 f"{self.restored} restored from the live site, {self.fetched} fetched, "
                 f"{len(self.failures)} failed, {self.waiting} failed before and wait to be tried again, "
                 f"{self.seconds:.2f} s"]
        if self.live_site:
            lines.append(f"  live site: {self.live_site}")
        for reason, count in sorted(Counter(f.reason for f in self.failures).items(), key=lambda rc: (-rc[1], rc[0].name)):
            lines.append(f"  {count} {reason.value}")
        if verbose:
            lines += [f"  {f.url}: {f.reason.value}{': ' + f.detail if f.detail else ''}" for f in self.failures]
        if self.note:
            lines.append(self.note)
        return "\n".join(lines)


def update_store(config: SiteConfig, show_progress: bool = False, limits: Limits = Limits(),
                 today: date | None = None) -> ImagesReport:
    started = time.perf_counter()
    today = today or datetime.now(timezone.utc).date()
    if config.images != "own":
        return ImagesReport(0, 0, 0, 0, (), 0, "", f"images: {config.images} in site.yml: the build shows no stored "
                            "images, so nothing was fetched", time.perf_counter() - started)
    folder = store_dir(config)
    output = config.output_dir
    if output == folder.resolve() or output.is_relative_to(folder.resolve()) or folder.resolve().is_relative_to(output):
        raise OutputError(f"the output folder {output} overlaps the image store {folder}; choose another output")
    wanted = _wanted(config)
    if folder.is_dir():
        remove_leftovers(folder)
    store = Store.open(folder)
    kept = sum(w.key in store for w in wanted)
    failed = read_failed(folder)
    lacking = [w for w in wanted if w.key not in store]
    waiting = [w for w in lacking if w.url in failed and date.fromisoformat(failed[w.url].retry) > today]
    lacking = [w for w in lacking if w not in waiting]
    failures: dict[str, Failure] = {}
    live_site, restored = "", 0
    with Fetcher(user_agent(Urls(config.url, config.base_path).absolute()), limits) as fetcher:
        offline = _Offline(fetcher)
        if lacking:
            live_site, restored_keys = _restore(config, store, fetcher, lacking, offline, show_progress)
            restored = len(restored_keys)
            lacking = [w for w in lacking if w.key not in restored_keys]
        fetched = 0
        for wanted_one, failure in _run(lacking, lambda w: _fetch(store, fetcher, w), offline, show_progress,
                                        "fetching"):
            if failure is None:
                fetched += 1
            else:
                failures[wanted_one.url] = failure
    store.save()
    if folder.is_dir():
        write_failed(folder, _failed_after(failed, wanted, store, failures, not fetcher.resolved_any, today))
    report_failures = tuple(failures[url] for url in sorted(failures))
    return ImagesReport(len(wanted), kept, restored, fetched, report_failures, len(waiting), live_site,
                        _note(len(wanted), kept, restored, fetched, report_failures, len(waiting), offline.tripped),
                        time.perf_counter() - started)


def _failed_after(failed: dict[str, Failed], wanted: list[Wanted], store: Store, failures: dict[str, Failure],
                  offline: bool, today: date) -> dict[str, Failed]:
    """What failed.json holds after this run: the URLs still named and still not stored. A run on a
    machine that reached no host learnt nothing, and counts no failure."""
    named = {w.url for w in wanted if w.key not in store}
    after = {url: entry for url, entry in failed.items() if url in named}
    for url, failure in failures.items():
        if failure.reason in UNREACHED and offline:
            continue
        times = after[url].times + 1 if url in after else 1
        wait = RETRY_DAYS[min(times, len(RETRY_DAYS)) - 1]
        after[url] = Failed(failure.reason.name, times, (today + timedelta(days=wait)).isoformat())
    return after


def _wanted(config: SiteConfig) -> list[Wanted]:
    """Every image URL a document names, drafts included (they are published later, and a story whose
    image is stored before it goes out never shows up without it)."""
    diagnostics = Diagnostics()
    taxonomy = read_taxonomy(config, diagnostics)
    articles = read_sources(config, taxonomy, diagnostics, cache=load_reads(config, taxonomy))
    urls = sorted({a.image.url for a in articles if a.image is not None})
    return [Wanted(url, image_key(url)) for url in urls]


def _fetch(store: Store, fetcher: Fetcher, wanted: Wanted) -> None:
    response = fetcher.get(wanted.url)
    made = variants(open_image(response.body, MAX_PIXELS))
    store.add(wanted.key, wanted.url, stored_files(wanted.key, made))


def _restore(config: SiteConfig, store: Store, fetcher: Fetcher, lacking: list[Wanted], offline: "_Offline",
             show_progress: bool) -> tuple[str, set[str]]:
    """Copy from the live site each lacking image it publishes, every file checked against its index.json."""
    site = Urls(config.url, config.base_path)
    try:
        published = parse_manifest(fetcher.get(site.absolute(MANIFEST_PATH)).body)
    except Refused as refused:
        offline.note(site.absolute(), refused)
        return f"{site.absolute(MANIFEST_PATH)}: {refused}", set()
    todo = [w for w in lacking if w.key in published and published[w.key].source == w.url]
    restored = set()
    for wanted, failure in _run(todo, lambda w: _copy(store, fetcher, site, published[w.key]), offline,
                                show_progress, "restoring"):
        if failure is None:
            restored.add(wanted.key)
    missing = len(todo) - len(restored)
    return (f"{len(published)} images published, {len(restored)} of them restored"
            + (f", {missing} did not match their index and are fetched afresh" if missing else "")), restored


def _copy(store: Store, fetcher: Fetcher, site: Urls, image: StoredImage) -> None:
    made = []
    for stored in image.files:
        data = fetcher.get(site.absolute(IMAGES.path + stored.name)).body
        _check_copy(stored, data)
        made.append((stored, data))
    store.add(image.key, image.source, made)


def _check_copy(stored: StoredFile, data: bytes) -> None:
    if len(data) != stored.size or hashlib.sha256(data).hexdigest() != stored.sha256:
        raise Refused(Reason.BROKEN, f"{stored.name} is not the file the live site's index lists")
    picture = open_image(data, MAX_PIXELS)
    expected = FORMATS[ROLE_NAMED[stored.role].extension]
    if picture.format != expected or (picture.width, picture.height) != (stored.width, stored.height):
        raise Refused(Reason.NOT_IMAGE, f"{stored.name} is not a {stored.width}x{stored.height} {expected}")


class _Offline:
    """Stops trying once several hosts in a row failed to resolve and none ever did: this machine has no
    network, and each further lookup would only wait for the same answer."""

    def __init__(self, fetcher: Fetcher):
        self.fetcher, self.tripped = fetcher, False
        self._unresolved: set[str] = set()
        self._lock = threading.Lock()

    def note(self, url: str, refused: Refused) -> None:
        if refused.reason is not Reason.DNS or self.fetcher.resolved_any:
            return
        with self._lock:
            self._unresolved.add(urlsplit(url).hostname or url)
            if len(self._unresolved) >= OFFLINE_AFTER and not self.fetcher.resolved_any:
                self.tripped = True


def _run(todo: list[Wanted], job, offline: _Offline, show_progress: bool, label: str):
    """(wanted, None) for each job done, (wanted, Failure) for each that failed, as they finish."""

    def guarded(wanted: Wanted) -> Failure | None:
        if offline.tripped:
            return Failure(wanted.url, Reason.OFFLINE, "")
        try:
            job(wanted)
        except Refused as refused:
            offline.note(wanted.url, refused)
            return Failure(wanted.url, refused.reason, refused.detail)
        except Exception as error:  # the fetched bytes are untrusted: whatever a decoder raises, this image fails
            return Failure(wanted.url, Reason.NOT_IMAGE, f"could not be processed ({type(error).__name__})")
        return None

    if not todo:
        return
    with ThreadPoolExecutor(WORKERS) as pool, tqdm(total=len(todo), desc=label, unit=" images", leave=False,
                                                   disable=not show_progress) as bar:
        futures = {pool.submit(guarded, wanted): wanted for wanted in todo}
        for future in as_completed(futures):
            bar.update()
            yield futures[future], future.result()


def _note(named: int, kept: int, restored: int, fetched: int, failures: tuple[Failure, ...], waiting: int,
          offline: bool) -> str:
    if named == 0:
        return "nothing to fetch: no story names an image"
    if kept == named:
        return "nothing to fetch: the store holds every image the stories name"
    if restored or fetched:
        return ""
    if not failures:
        return f"nothing to fetch now: the {waiting} images the store lacks failed before and are tried again later"
    if offline or all(f.reason in UNREACHED for f in failures):
        return ("nothing fetched: no host name resolved, so this machine looks offline; the store is as it was, "
                "so the next build is the same as the last")
    return "nothing fetched: every image failed (see above); the store is as it was"
