"""The image store: a folder beside site.yml (`images/`) holding, for each image a story names, the
files process.py made from it, and `index.json`, which lists them. Its contents alone decide the
images a build publishes: the build copies its files, byte for byte, and never fetches.

    images/index.json                     {"format": 1, "images": {key: {"source": url, "files": {role: ...}}}}
    images/3f/3f0c…e1-720.webp            one file per role (process.ROLES), key = sha256 of the URL
    images/failed.json                    the URLs that failed, and when each is tried again (no build reads it)

The published site holds the same layout under its own `images/` (with an index.json listing what it
publishes), so a lost store can be restored file for file from the live site (command.py).
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import threading
from dataclasses import dataclass
from pathlib import Path

from generator.addresses import IMAGES
from generator.config import SiteConfig
from generator.output import replace_file

STORE_FOLDER = IMAGES.path.rstrip("/")  # beside site.yml, named as the section it is published in
MANIFEST = "index.json"
FAILED = "failed.json"
FORMAT = 1
KEY = re.compile(r"[0-9a-f]{32}")
SHA256 = re.compile(r"[0-9a-f]{64}")
MAX_SIDE = 100_000
STORY_WIDTHS = (360, 720, 1440)  # the story page's column is 704 px at most: 1x and 2x screens, and phones


@dataclass(frozen=True, slots=True)
class Role:
    """One kind of file made from each image (images/process.py makes them)."""

    name: str  # also the end of its file name
    extension: str


THUMB_ROLE, MAIL_ROLE = Role("thumb", "webp"), Role("mail", "jpg")  # editions' thumbnail; the email's
STORY_ROLES = tuple(Role(str(width), "webp") for width in STORY_WIDTHS)  # the story page's srcset
SHARE_ROLE = Role("share", "jpg")  # Open Graph, JSON-LD and the feeds
ROLES = (THUMB_ROLE, MAIL_ROLE, *STORY_ROLES, SHARE_ROLE)
ROLE_NAMED = {role.name: role for role in ROLES}


def store_dir(config: SiteConfig) -> Path:
    return config.root / STORE_FOLDER


def image_key(url: str) -> str:
    """Names an image's files by the address it was fetched from: the same URL, the same files."""
    return hashlib.sha256(url.encode("utf-8")).hexdigest()[:32]


@dataclass(frozen=True, slots=True)
class StoredFile:
    key: str
    role: str
    width: int
    height: int
    size: int  # bytes
    sha256: str

    @property
    def name(self) -> str:
        """Its path inside the store, and inside the published images/ folder."""
        return f"{self.key[:2]}/{self.key}-{self.role}.{ROLE_NAMED[self.role].extension}"


@dataclass(frozen=True, slots=True)
class StoredImage:
    key: str
    source: str  # the URL it was fetched from
    files: tuple[StoredFile, ...]  # in process.ROLES order

    def file(self, role: str) -> StoredFile | None:
        return next((f for f in self.files if f.role == role), None)


def parse_manifest(data: bytes, check_sources: bool = True) -> dict[str, StoredImage]:
    """The images an index.json lists; anything malformed in it is left out (the file may come from the
    live site, so it is read as untrusted)."""
    try:
        document = json.loads(data)
    except (ValueError, UnicodeDecodeError):
        return {}
    listed = document.get("images") if isinstance(document, dict) and document.get("format") == FORMAT else None
    found = {}
    for key, entry in (listed.items() if isinstance(listed, dict) else ()):
        image = _entry(key, entry)
        if image is not None and (not check_sources or image_key(image.source) == key):
            found[key] = image
    return found


def _entry(key, entry) -> StoredImage | None:
    if not (isinstance(key, str) and KEY.fullmatch(key) and isinstance(entry, dict)):
        return None
    source, files = entry.get("source"), entry.get("files")
    if not isinstance(source, str) or not isinstance(files, dict):
        return None
    stored = []
    for role in ROLES:
        data = files.get(role.name)
        if not isinstance(data, dict):
            continue
        numbers = [data.get(name) for name in ("width", "height", "bytes")]
        digest = data.get("sha256")
        if not all(type(n) is int and 0 < n <= (MAX_SIDE if i < 2 else 1 << 40) for i, n in enumerate(numbers)):
            continue
        if not (isinstance(digest, str) and SHA256.fullmatch(digest)):
            continue
        stored.append(StoredFile(key, role.name, *numbers, digest))
    return StoredImage(key, source, tuple(stored)) if stored else None


def dump_manifest(images) -> bytes:
    """index.json for `images` (StoredImage values): sorted, so the same images give the same bytes."""
    listed = {image.key: {"source": image.source, "files": {
        f.role: {"width": f.width, "height": f.height, "bytes": f.size, "sha256": f.sha256} for f in image.files}}
        for image in sorted(images, key=lambda image: image.key)}
    return (json.dumps({"format": FORMAT, "images": listed}, indent=1, sort_keys=True, ensure_ascii=False)
            + "\n").encode()


class Store:
    """The store as `index.json` lists it, each listed file present with its listed size (a file lost
    or cut short makes its image absent: it is fetched again)."""

    def __init__(self, folder: Path, images: dict[str, StoredImage], listed: bytes = b""):
        self.folder, self.images, self._listed = folder, images, listed
        self._lock = threading.Lock()
        self._added = False

    @classmethod
    def open(cls, folder: Path) -> "Store":
        try:
            listed = (folder / MANIFEST).read_bytes()
        except OSError:
            return cls(folder, {})
        images = {}
        for key, image in parse_manifest(listed).items():
            present = tuple(f for f in image.files if _size(folder / f.name) == f.size)
            if present == image.files:
                images[key] = image
        return cls(folder, images, listed)

    def __contains__(self, key: str) -> bool:
        return key in self.images

    def path(self, stored: StoredFile) -> Path:
        return self.folder / stored.name

    def add(self, key: str, source: str, made: list[tuple[StoredFile, bytes]]) -> StoredImage:
        """Write an image's files (each atomically, so a killed run leaves no half file under a real
        name), then list it. Safe to call from several threads."""
        for stored, data in made:
            replace_file(self.path(stored), data, sync=False)
        image = StoredImage(key, source, tuple(sorted((s for s, _ in made), key=lambda s: _ROLE_ORDER[s.role])))
        with self._lock:
            self.images[key] = image
            self._added = True
        return image

    def save(self) -> bool:
        """Write index.json if an image was added; True if written."""
        with self._lock:
            if not self._added:
                return False
            data = dump_manifest(self.images.values())
        if data == self._listed:
            return False
        replace_file(self.folder / MANIFEST, data)
        self._listed = data
        return True


_ROLE_ORDER = {role.name: n for n, role in enumerate(ROLES)}


def stored_files(key: str, made) -> list[tuple[StoredFile, bytes]]:
    """process.Variants as the store lists them."""
    return [(StoredFile(key, v.role.name, v.width, v.height, len(v.data), hashlib.sha256(v.data).hexdigest()), v.data)
            for v in made]


@dataclass(frozen=True, slots=True)
class Failed:
    """A URL that gave no image: how many runs in a row, and the first day it is tried again."""

    reason: str  # a fetch.Reason's name
    times: int
    retry: str  # an ISO date, UTC


def read_failed(folder: Path) -> dict[str, Failed]:
    """failed.json; anything malformed in it is forgotten (the URL is simply tried again)."""
    try:
        document = json.loads((folder / FAILED).read_bytes())
    except (OSError, ValueError, UnicodeDecodeError):
        return {}
    found = {}
    for url, entry in (document.items() if isinstance(document, dict) else ()):
        if isinstance(entry, dict) and isinstance(entry.get("reason"), str) and type(entry.get("times")) is int \
                and isinstance(entry.get("retry"), str) and re.fullmatch(r"\d{4}-\d{2}-\d{2}", entry["retry"]):
            found[url] = Failed(entry["reason"], entry["times"], entry["retry"])
    return found


def write_failed(folder: Path, failed: dict[str, Failed]) -> None:
    data = {url: {"reason": f.reason, "times": f.times, "retry": f.retry} for url, f in sorted(failed.items())}
    if data or (folder / FAILED).exists():
        replace_file(folder / FAILED, (json.dumps(data, indent=1, sort_keys=True, ensure_ascii=False)
                                            + "\n").encode())


def store_stamp(folder: Path) -> tuple:
    """Path, size and mtime of every file in the store that a build reads (failed.json is the fetcher's
    alone): a build's input, read with stat calls only."""
    found = []
    for parent, folders, files in os.walk(folder):
        folders.sort()
        for name in sorted(files):
            if not name.startswith(".") and not (name == FAILED and parent == str(folder)):
                path = os.path.join(parent, name)
                try:
                    status = os.stat(path)
                except OSError:
                    continue
                found.append((os.path.relpath(path, folder), status.st_size, status.st_mtime_ns))
    return tuple(found)


def remove_leftovers(folder: Path) -> None:
    """Temporary files of a run that was killed while writing."""
    for leftover in folder.glob("**/.*.tmp-*"):
        leftover.unlink(missing_ok=True)


def _size(path: Path) -> int | None:
    try:
        return path.stat().st_size
    except OSError:
        return None


