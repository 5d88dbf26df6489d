"""What the preview watches: file-system notifications, filtered, and a debouncer that makes a burst
of saves one rebuild.

livereload's own watcher is not used: it polls every 800 ms, skips the browser reload for
changes within 3 s of the last one (python-livereload#244) and watches the current folder
when given nothing."""

from __future__ import annotations

import os
import queue
import threading
from dataclasses import dataclass, field
from pathlib import Path

import watchfiles

from generator.config import SiteConfig
from generator.images.store import STORE_FOLDER
from generator.published import RECORD_NAME
from generator.walk import is_ignored_name

WATCH_STEP_MS = 10  # watchfiles groups events until this long passes without one
SETTLE_SECONDS = 0.005  # quiet time that ends a burst of changes, after watchfiles' own grouping


def is_watched(relative: Path) -> bool:
    """Sources, themes and settings count; hidden files and editor temporaries do not."""
    return not any(is_ignored_name(part) for part in relative.parts)


def watched_names(config: SiteConfig, settings: str = "site.yml") -> list[str]:
    """The top-level files and folders whose changes matter: settings, theme, overrides, sources, the
    record of what was published and the image store (`digest images` run beside the preview)."""
    return [settings, "themes", "templates", "static", RECORD_NAME, STORE_FOLDER,
            *(Path(s).parts[0] for s in config.sources)]


class Watcher:
    """File-system notifications (watchfiles: inotify, FSEvents, or polling where neither works).

    Two watches, because a watch on a single file is lost when an editor saves by renaming:
    the site folder itself, not recursive (site.yml, new top-level folders), and the watched
    folders recursively, restarted when one of them appears."""

    def __init__(self, root: Path, names: list[str], ignored: list[Path]):
        self.root, self.names = root, set(names)
        self.skip = tuple(str(p) + os.sep for p in ignored)
        self.filepath: str | None = None  # read by livereload when it reloads browsers
        self._queue: queue.SimpleQueue[str] = queue.SimpleQueue()
        self._stop, self._restart = threading.Event(), threading.Event()

    def start(self) -> "Watcher":
        threading.Thread(target=self._watch_site_folder, daemon=True).start()
        threading.Thread(target=self._watch_folders, daemon=True).start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self._restart.set()

    def watch_names(self, names: set[str]) -> None:
        """Follow a new list of top-level names (site.yml's `sources` changed)."""
        if names != self.names:
            self.names = set(names)
            self._restart.set()

    def changes(self) -> set[str]:
        found = set()
        while not self._queue.empty():
            found.add(self._queue.get())
        return found

    def wanted(self, _change, path: str) -> bool:
        relative = Path(os.path.relpath(path, self.root))
        return (relative.parts[0] in self.names and is_watched(relative)
                and not (path + os.sep).startswith(self.skip))

    def _watch(self, paths: list[Path], recursive: bool, stop: threading.Event):
        """Changed paths as watchfiles reports them, each queued (relative to the site) as it comes."""
        for changes in watchfiles.watch(*paths, watch_filter=self.wanted, recursive=recursive, debounce=1600,
                                        step=WATCH_STEP_MS, stop_event=stop, raise_interrupt=False):
            for _, path in changes:
                self._queue.put(os.path.relpath(path, self.root))
                yield path

    def _watch_site_folder(self) -> None:
        for path in self._watch([self.root], recursive=False, stop=self._stop):
            if os.path.isdir(path):
                self._restart.set()  # a watched folder was created: watch inside it too

    def _watch_folders(self) -> None:
        while not self._stop.is_set():
            self._restart.clear()
            folders = [self.root / name for name in sorted(self.names) if (self.root / name).is_dir()]
            if not folders:
                self._restart.wait()
                continue
            for _ in self._watch(folders, recursive=True, stop=self._restart):
                pass


@dataclass
class Debouncer:
    """Collects changes until none has arrived for `settle` seconds, so a burst is one rebuild."""

    settle: float = SETTLE_SECONDS
    pending: set[str] = field(default_factory=set)
    last_change: float = 0.0

    def add(self, paths: set[str], now: float) -> None:
        if paths:
            self.pending |= paths
            self.last_change = now

    def due(self, now: float) -> set[str] | None:
        if not self.pending or now - self.last_change < self.settle:
            return None
        due, self.pending = self.pending, set()
        return due
