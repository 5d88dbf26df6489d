"""What `digest build` keeps between runs in `.cache/`.

- The read cache: parsed documents by file stamp, so a rebuild re-reads only changed files; a file
  with a new stamp but the same bytes (a fresh checkout, a restored CI cache) is read but not parsed.
- Build records: for each output folder, a digest of every input of the last complete build (the
  site's record of what it published, published.json, included) and a digest of the folder it left,
  so a build with nothing changed can stop before reading anything.
- The page store (`pages/`): every file the last build made, under its digest (hard links to the
  output's files, so no byte is stored twice), so a build into an empty folder, such as a daily
  deploy from a fresh checkout, links what it would render the same instead of rendering it again.

Both are used only when the configuration, the taxonomy, the generator's own code (by content) and
its libraries are exactly those that wrote them; anything else, or an unreadable file, means
starting afresh.
"""

from __future__ import annotations

import hashlib
import os
import pickle
import re
import shutil
import tempfile
from functools import lru_cache
from pathlib import Path

from dataclasses import dataclass, replace

from generator.config import SiteConfig
from generator.diagnostics import Diagnostics
from generator.images.store import store_dir, store_stamp
from generator.sources import file_stamp, root_prefix, source_files
from generator.sources.editorial import EDITORIAL_FILE
from generator.sources.outlets import LOGOS_FILES
from generator.theme import StaticFile, template_stamps

CACHE_NAME = "reads.pickle"
BUILDS_NAME = "builds"  # a folder: one record per output folder
KEPT_RECORDS = 8  # records of other output folders kept (a bench or CI building into temporary folders)
CODE = Path(__file__).resolve().parent
PACKAGE = "digest"  # whose declared dependencies, and theirs, decide what a cached read or page holds
REQUIREMENT_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*")


PAGES_NAME = "pages"
TEMPLATES_NAME = "templates"
SEARCH_NAME = "search-words.pickle"


def cache_path(config: SiteConfig, name: str = CACHE_NAME) -> Path:
    return config.root / ".cache" / name


@dataclass(frozen=True)
class PageStore:
    """The page store as the last build left it: each file it holds by name, with the size and mtime it
    had then. A file changed since (an output file edited in place changes its linked copy too) is never
    handed back."""

    folder: str
    stamps: dict[str, tuple[int, int]]

    def copy_of(self, path: str, digest: bytes) -> str | None:
        """The stored file an output at `path` with this input digest makes, if the store holds it intact."""
        name = _page_name(path, digest)
        stored = os.path.join(self.folder, name[:2], name)
        try:
            status = os.stat(stored)
        except OSError:
            return None
        return stored if self.stamps.get(name) == (status.st_size, status.st_mtime_ns) else None


def _page_name(path: str, digest: bytes) -> str:
    """By both: two outputs given equal inputs still differ by their own address."""
    return hashlib.sha256(path.encode() + b"\0" + digest).hexdigest()


def load_page_store(config: SiteConfig) -> PageStore:
    stamps = _load(cache_path(config, PAGES_NAME + ".pickle"))
    return PageStore(str(cache_path(config, PAGES_NAME)), stamps if isinstance(stamps, dict) else {})


def keep_pages(config: SiteConfig, store: PageStore, target: Path, digests: dict[str, bytes | None]) -> None:
    """Make the page store hold exactly the files of the build just written into `target`: each one
    linked from the output (no byte stored twice), each no longer made removed."""
    wanted = {_page_name(path, digest): path for path, digest in digests.items() if digest is not None}
    stamps = {}
    try:
        for folder in (os.scandir(store.folder) if os.path.isdir(store.folder) else ()):
            for entry in os.scandir(folder.path) if folder.is_dir() else ():
                status = entry.stat()
                if entry.name in wanted and store.stamps.get(entry.name) == (status.st_size, status.st_mtime_ns):
                    stamps[entry.name] = store.stamps[entry.name]
                else:
                    os.unlink(entry.path)
        for name, path in wanted.items():
            if name not in stamps:
                stored = os.path.join(store.folder, name[:2], name)
                os.makedirs(os.path.dirname(stored), exist_ok=True)
                try:
                    os.link(os.path.join(target, path), stored)
                except OSError:
                    continue  # a file system without links: rendered again next time
                status = os.stat(stored)
                stamps[name] = (status.st_size, status.st_mtime_ns)
    except OSError:
        return  # a read-only checkout builds fine, without a page store
    _store(cache_path(config, PAGES_NAME + ".pickle"), stamps)


def fingerprint(config: SiteConfig, taxonomy) -> str:
    """The settings, taxonomy, code and libraries, by content: a fresh checkout of the same commit, or a
    copy of the site in another folder, has the same fingerprint."""
    located = replace(config, root=Path())  # where the site lies is no setting: read keys are relative
    return hashlib.sha256(repr((located, taxonomy, _library_versions(), _code_digest())).encode()).hexdigest()


@lru_cache(maxsize=1)
def _library_versions() -> tuple[str, ...]:
    """Name and version of every library the generator runs on: its declared runtime dependencies and
    theirs, so upgrading any one of them (css-inline, rapidfuzz, tzdata, markupsafe...) starts afresh."""
    from importlib import metadata  # a tenth of the imports, which a build without the cache never needs

    seen: dict[str, str] = {}
    todo = [PACKAGE]
    while todo:
        name = todo.pop()
        try:
            dist = metadata.distribution(name)
        except metadata.PackageNotFoundError:
            continue  # a dependency for another platform or Python, not installed here
        fields = dist.metadata  # parsed afresh on every access, `dist.version` and `dist.requires` included
        key = fields["Name"].lower().replace("_", "-")
        if key in seen:
            continue
        seen[key] = fields["Version"]
        for requirement in fields.get_all("Requires-Dist") or dist.requires or ():
            if "extra ==" not in requirement.partition(";")[2]:
                todo.append(REQUIREMENT_NAME.match(requirement).group())
    return tuple(f"{name}=={version}" for name, version in sorted(seen.items()))


@lru_cache(maxsize=1)
def _code_digest() -> str:
    """The generator's own code as this process loaded it (a long-running preview never reloads it)."""
    digest = hashlib.sha256()
    for source in sorted(CODE.rglob("*.py")):
        data = source.read_bytes()
        digest.update(f"{source.relative_to(CODE).as_posix()}\0{len(data)}\0".encode() + data)
    return digest.hexdigest()


def compiled_templates(config: SiteConfig) -> Path | None:
    """A folder for Jinja's compiled templates (a tenth of a second each to compile, in every rendering
    worker), named by the code and libraries that compile them: Jinja checks only each template's source.
    Folders left by other code are removed; None where the cache cannot be written."""
    folder = cache_path(config, TEMPLATES_NAME)
    current = hashlib.sha256(repr((_library_versions(), _code_digest())).encode()).hexdigest()[:32]
    try:
        for stale in (entry for entry in os.scandir(folder) if entry.name != current) if folder.is_dir() else ():
            shutil.rmtree(stale.path, ignore_errors=True)
        (folder / current).mkdir(parents=True, exist_ok=True)
    except OSError:
        return None
    return folder / current


def load_reads(config: SiteConfig, taxonomy) -> dict:
    stored = _load_mappings(cache_path(config), fingerprint(config, taxonomy), 1)
    if stored is None:
        return {}
    root = root_prefix(config)
    return {root + path: read for path, read in stored[0].items()}


def save_reads(config: SiteConfig, taxonomy, reads: dict) -> None:
    root = root_prefix(config)
    relative = {path.removeprefix(root): read for path, read in reads.items() if path.startswith(root)}
    _store_mappings(cache_path(config), fingerprint(config, taxonomy), relative)  # source path -> CachedRead


def load_search_words(config: SiteConfig, taxonomy) -> tuple[dict, dict] | None:
    """Stories' words and the stem of each word, from the last build (search.words_made, search.stems_of)."""
    stored = _load_mappings(cache_path(config, SEARCH_NAME), fingerprint(config, taxonomy), 2)
    return (stored[0], stored[1]) if stored is not None else None


def save_search_words(config: SiteConfig, taxonomy, words: dict, stems: dict) -> None:
    _store_mappings(cache_path(config, SEARCH_NAME), fingerprint(config, taxonomy), words, stems)


def _store_mappings(path: Path, stamp: str, *mappings: dict) -> None:
    """`stamp`, then each mapping in CHUNKS parts pickled one by one: pickling 100,000 reads at once held an
    index of every object pickled, 130 MB at the peak of a build."""
    parts: list = [stamp]
    for mapping in mappings:
        items = list(mapping.items())
        size = -(-len(items) // CHUNKS) or 1
        chunks = [dict(items[start:start + size]) for start in range(0, len(items), size)]
        parts += [len(chunks), *chunks]
    _store(path, *parts)


def _load_mappings(path: Path, stamp: str, count: int) -> list[dict] | None:
    """The `count` mappings _store_mappings kept in `path` under `stamp`; None if there are none."""

    def mappings(load) -> list[dict]:
        made = []
        for _ in range(count):
            mapping: dict = {}
            for _ in range(load()):
                mapping.update(load())
            made.append(mapping)
        return made

    return _load_stamped(path, stamp, mappings)


CHUNKS = 16


def inputs_digest(config: SiteConfig, taxonomy, drafts: bool, static: list[StaticFile]) -> str:
    """A digest of everything a build's output depends on: settings, taxonomy, code, templates,
    static files, the image store and the path, size and mtime of every document. Stat calls only: no file is read."""
    digest = hashlib.sha256(f"{fingerprint(config, taxonomy)}\0{config.root}".encode())
    static_stamps = [(file.path, file_stamp(str(file.source))) for file in static]
    digest.update(repr((drafts, sorted(template_stamps(config).items()), static_stamps)).encode())
    data_files = (*LOGOS_FILES, EDITORIAL_FILE)  # read by every build, listed by no document
    digest.update(repr([file_stamp(str(config.root / name)) for name in data_files]).encode())
    if config.images == "own":  # the image store decides which images the pages show
        digest.update(repr(store_stamp(store_dir(config))).encode())
    for path in source_files(config, Diagnostics()):
        digest.update(f"{path}\0{file_stamp(path)}\n".encode())
    return digest.hexdigest()


def with_record(inputs: str, record: bytes) -> str:
    """`inputs` (an inputs_digest) together with the site's record of what it published, by content: the
    build rewrites the record, and the next build compares what it wrote, not when."""
    return hashlib.sha256(f"{inputs}\0{hashlib.sha256(record).hexdigest()}".encode()).hexdigest()


@dataclass(frozen=True)
class BuildRecord:
    """What the last complete build into one output folder left behind."""

    inputs: str  # inputs_digest of that build
    folder: str  # output.folder_digest of the folder it left
    report: object  # its BuildReport, replayed when nothing changed
    outputs: dict[str, bytes | None]  # output path -> digest of what it was made from (None: always render)
    static: str  # digest of the static files' bytes


def load_build_record(config: SiteConfig, target: Path) -> BuildRecord | None:
    where = str(target.resolve())
    record = _load_stamped(_record_path(config, where), where, lambda load: load())
    return record if isinstance(record, BuildRecord) else None


def save_build_record(config: SiteConfig, target: Path, record: BuildRecord) -> None:
    """Each output folder's record in a file of its own, its folder's path first: a build reads and writes
    only its own, however many folders were built from the site (a CI job's or a bench's temporary ones
    took 32 MB in one file, read and written whole by every build). Records of folders gone, and all but
    the newest KEPT_RECORDS others, are removed."""
    where = str(target.resolve())
    path = _record_path(config, where)
    _store(path, where, record)
    try:
        others = [entry for entry in os.scandir(path.parent) if entry.path != str(path)]
        others.sort(key=lambda entry: entry.stat().st_mtime_ns, reverse=True)
        for number, entry in enumerate(others):
            if number >= KEPT_RECORDS or not _record_folder_exists(entry.path):
                os.unlink(entry.path)
        cache_path(config, "builds.pickle").unlink(missing_ok=True)  # every folder's record in one file, before
    except OSError:
        pass


def _record_path(config: SiteConfig, where: str) -> Path:
    return cache_path(config, BUILDS_NAME) / (hashlib.sha256(where.encode()).hexdigest()[:32] + ".pickle")


def _record_folder_exists(path: str) -> bool:
    """Whether the output folder a record file is for still exists: read from its first object only."""
    try:
        with open(path, "rb") as stored:
            where = pickle.load(stored)
    except Exception:
        return False
    return isinstance(where, str) and os.path.isdir(where)


def _load(path: Path):
    try:
        with open(path, "rb") as stored:
            return pickle.load(stored)
    except Exception:  # missing, truncated or from another version: start afresh
        return None


def _load_stamped(path: Path, stamp: str, rest):
    """`rest(load)` of the file at `path` whose first value is `stamp`, `load` reading each value after it;
    None if the file is missing, damaged, from another version or under another stamp."""
    try:
        with open(path, "rb") as stored:
            return rest(lambda: pickle.load(stored)) if pickle.load(stored) == stamp else None
    except Exception:  # start afresh
        return None


def _store(path: Path, *values) -> None:
    """`values` pickled one after the other, written whole or not at all."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        for leftover in path.parent.glob(f"{path.name}.tmp-*"):  # from a build killed while saving
            leftover.unlink(missing_ok=True)
        with tempfile.NamedTemporaryFile(dir=path.parent, prefix=f"{path.name}.tmp-", delete=False) as temporary:
            for value in values:
                pickle.dump(value, temporary, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(temporary.name, path)
    except OSError:
        pass  # a read-only checkout builds fine, just without a cache
