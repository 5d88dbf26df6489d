"""Full-text search: Pagefind indexes the built story pages into the site's own /pagefind/ folder, and
the search page (templates/search.html with static/search.js) queries that index in the browser.

What is indexed is marked in the theme: article.html puts `data-pagefind-body` on the story, with its
topics, outlet and month as filters, its date to sort by and its headline, date and outlet to show.
Only story pages are read at all (STORY_PAGES): listings, standalone pages such as About, the search
page and the 404 page are never in the index, and neither is a draft unless the build includes drafts.

`digest build` indexes the staged site just before it is swapped in (`index_staged_site`), so the index
is part of the atomic build and always describes the pages beside it; a rebuild that patches the site
in place indexes it once its pages are in (`index_in_place`); `PreviewSearch` keeps the dev server's
index up to date in the background.
"""

from __future__ import annotations

import atexit
import gzip
import hashlib
import html
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
from collections import Counter
from itertools import chain
from pathlib import Path

import cbor2
import pagefind_bin

from generator.addresses import SEARCH_INDEX, STORY_PAGES
from generator.derived import Derived
from generator.output import OutputError, StagedSite

BUNDLE = SEARCH_INDEX.path.strip("/")  # the index's folder in the site; static/search.js loads BUNDLE/pagefind.js
# Only story pages are given to Pagefind (STORY_PAGES): it would also read and parse every listing page
# only to drop it for lacking data-pagefind-body; at 10,000 stories that saves a fifth of its memory
# and a third of its CPU time.
ENTRY = "pagefind-entry.json"
MAGIC = b"pagefind_dcd"  # what starts each of Pagefind's gzipped CBOR files, once unzipped
# Pagefind's ready-made search interfaces; the search page uses only its API (pagefind.js, which loads
# pagefind-worker.js, the wasm and the index), so these ~450 KB would be published for nothing.
UNUSED = ("pagefind-ui.js", "pagefind-ui.css", "pagefind-component-ui.js", "pagefind-component-ui.css",
          "pagefind-modular-ui.js", "pagefind-modular-ui.css", "pagefind-highlight.js")
NOTHING_TO_INDEX = "not able to build an index"  # Pagefind's refusal of pages without a word to index


WORD = re.compile(r"[^\W_]+")
TAG = re.compile(r"<[^>]+>")
MAX_WORDS = 60_000  # the most common words, when a very large digest has more: a few hundred KB


_words = Derived()  # each article's words, kept from one call to the next


def vocabulary(entries) -> str:
    """Every word the stories' indexed text holds, with how many stories hold it, as JSON: the search page
    tells from it that no story mentions a word, and which words that do exist are closest. Each
    article's words are kept until the next call, so the preview re-reads only the edited stories."""
    held = [_words.get(entry.article, None, lambda article=entry.article: _words_of(article)) for entry in entries]
    _words.done()
    counts = Counter(chain.from_iterable(held))
    kept = sorted(counts.items(), key=lambda item: (-item[1], item[0]))[:MAX_WORDS]
    return json.dumps(dict(sorted(kept)), ensure_ascii=False, separators=(",", ":"))


def _words_of(article) -> frozenset[str]:
    text = " ".join([article.title, article.summary, html.unescape(TAG.sub(" ", article.body_html)),
                     *(block.text for block in article.blocks), *(i for block in article.blocks for i in block.items)])
    return frozenset(WORD.findall(text.casefold()))


def index_staged_site(site: StagedSite, stories: int, pages_unchanged: bool) -> None:
    """Index the staged site into its BUNDLE folder. `pages_unchanged`: every page is as the previous
    site has it, whose index is then linked as it is; otherwise Pagefind runs, and each file it writes
    that the previous site already has is replaced by a link to that one, so an edit rewrites only the
    few index files that show it (Pagefind names its files by their content)."""
    previous = site.target / BUNDLE
    if stories == 0:  # nothing to index (Pagefind refuses an empty index); the search page says so
        return
    if pages_unchanged and (previous / ENTRY).is_file():
        for relative in _files(previous):
            if not site.keep(f"{BUNDLE}/{relative}"):
                break
        else:
            return
        shutil.rmtree(site.staging / BUNDLE)
    bundle = site.staging / BUNDLE
    if run_pagefind(site.staging, bundle):
        _link_unchanged(bundle, previous)


def index_in_place(site: Path, scratch: Path, stories: int, pages_unchanged: bool) -> None:
    """Index a site patched in place (output.PatchedSite), whose pages are now all final: Pagefind writes
    a fresh index into `scratch`, which is then installed over the old one file by file."""
    bundle = site / BUNDLE
    if stories == 0:
        shutil.rmtree(bundle, ignore_errors=True)
    elif not (pages_unchanged and (bundle / ENTRY).is_file()):
        if run_pagefind(site, scratch / BUNDLE):
            _install(scratch / BUNDLE, bundle, remove_old=True)
        else:
            shutil.rmtree(bundle, ignore_errors=True)


def _install(fresh: Path, bundle: Path, remove_old: bool) -> None:
    """Move a new index into place under a site being read: its files land beside the old ones (Pagefind
    names most by their content; identical ones are left as they are), pagefind-entry.json, which names
    the rest, is replaced last, and only then are the old index's files removed (`remove_old`)."""
    new = _files(fresh)
    for relative in new:
        if relative != ENTRY and not _same_file(fresh / relative, bundle / relative):
            (bundle / relative).parent.mkdir(parents=True, exist_ok=True)
            os.replace(fresh / relative, bundle / relative)
    os.replace(fresh / ENTRY, bundle / ENTRY)
    if remove_old:
        for relative in set(_files(bundle)) - set(new):
            (bundle / relative).unlink()


def _same_file(new: Path, old: Path) -> bool:
    try:
        return old.stat().st_size == new.stat().st_size and old.read_bytes() == new.read_bytes()
    except OSError:
        return False


def run_pagefind(site: Path, bundle: Path, background: bool = False) -> bool:
    """Index the story pages under `site` into `bundle`, deterministically; False if no page had a word
    to index, and so there is no index. `background`: at low priority."""
    environment = {name: value for name, value in os.environ.items() if not name.startswith("PAGEFIND_")}
    command = [str(pagefind_bin.get_executable()), "--site", str(site), "--output-path", str(bundle),
               "--glob", STORY_PAGES, "--silent"]
    if background and shutil.which("nice"):  # every thread Pagefind starts inherits it
        command = [shutil.which("nice"), "-n", "10", *command]
    # cwd: Pagefind reads a pagefind.yml/json/toml from its working folder; the site holds none.
    process = subprocess.Popen(command, cwd=site, env=environment, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                               text=True, errors="replace")
    _running.add(process)
    try:
        output, _ = process.communicate()
    finally:
        _running.discard(process)
    said = " ".join(output.split())
    if process.returncode != 0 and NOTHING_TO_INDEX in said and not (bundle / ENTRY).exists():
        shutil.rmtree(bundle, ignore_errors=True)
        return False  # story pages without a single word: the search page shows its note instead
    if process.returncode != 0:
        raise OutputError(f"the search index could not be built: Pagefind exited with status {process.returncode}"
                          + (f": {said}" if said else ""))
    sort_filters(bundle)
    for name in UNUSED:
        (bundle / name).unlink(missing_ok=True)
    return True


def sort_filters(bundle: Path) -> None:
    """Pagefind writes each filter's values, and the list of filters, in hash-map order, which changes
    from run to run (its source says so: "Change filter indexes to BTree to give them a stable hash").
    Sort both, and name the rewritten files by their new bytes as Pagefind names its own, so the same
    pages always give the same index."""
    entry_path = bundle / ENTRY
    try:
        entry = json.loads(entry_path.read_text(encoding="utf-8"))
        for language in entry["languages"].values():
            prefix = language["hash"].rsplit("_", 1)[0] + "_"
            meta_path = bundle / f"pagefind.{language['hash']}.pf_meta"
            meta = _read(meta_path)
            filters = []
            for name, old in meta[3]:
                old_path = bundle / "filter" / f"{old}.pf_filter"
                key, values = _read(old_path)
                old_path.unlink()
                new = _write(bundle / "filter", prefix, ".pf_filter", [key, sorted(values, key=lambda v: v[0])], 7)
                filters.append([name, new])
            meta[3] = sorted(filters)
            meta_path.unlink()
            language["hash"] = _write(bundle, "pagefind." + prefix, ".pf_meta", meta, 10).removeprefix("pagefind.")
    except (OSError, ValueError, KeyError, IndexError, TypeError, cbor2.CBORError) as error:
        raise OutputError(f"the search index is not laid out as this version of digest expects "
                          f"(Pagefind {pagefind_version()}): {type(error).__name__}: {error}") from None
    entry_path.write_text(json.dumps(entry, ensure_ascii=False, separators=(",", ":")), encoding="utf-8")


def pagefind_version() -> str:
    from importlib.metadata import version

    return version("pagefind-bin")


def _read(path: Path):
    data = gzip.decompress(path.read_bytes())
    if not data.startswith(MAGIC):
        raise ValueError(f"{path.name} does not start with {MAGIC!r}")
    return cbor2.loads(data[len(MAGIC):])


def _write(folder: Path, prefix: str, suffix: str, value, length: int) -> str:
    """Write `value` as Pagefind does, named prefix + the start of its digest; return the name's stem."""
    data = MAGIC + cbor2.dumps(value)
    digest = hashlib.sha256(data).hexdigest()
    while (folder / f"{prefix}{digest[:length]}{suffix}").exists():
        length += 1
    stem = f"{prefix}{digest[:length]}"
    (folder / f"{stem}{suffix}").write_bytes(gzip.compress(data, mtime=0))
    return stem


def _files(folder: Path) -> list[str]:
    return sorted(path.relative_to(folder).as_posix() for path in folder.rglob("*") if path.is_file())


def _link_unchanged(bundle: Path, previous: Path) -> None:
    """Replace each file in `bundle` whose bytes the same file in `previous` has by a link to that file."""
    if not previous.is_dir():
        return
    for relative in _files(bundle):
        new, old = bundle / relative, previous / relative
        try:
            if old.is_file() and old.stat().st_size == new.stat().st_size and old.read_bytes() == new.read_bytes():
                linked = new.with_name(new.name + ".link")
                os.link(old, linked)
                os.replace(linked, new)
        except OSError:
            pass  # a file system without hard links: the written copy stays


class PreviewSearch:
    """The dev server's index of its preview folder (drafts included when the preview has them).

    Indexing takes seconds at 10,000 stories, so it never holds up a rebuild or its reload: after each
    rebuild that wrote a page, `changed` starts it in a background thread (one run at a time, and one
    more if pages changed meanwhile). A request for the index waits for the run that covers the last
    change before it (`wait`), so a search made after an edit finds the edit. New index files are added
    beside the old ones and pagefind-entry.json is replaced last, so a page that loaded the previous
    index can still use it."""

    def __init__(self, folder: Path, report=None):
        self.folder = folder
        self.report = report or (lambda message: print(message, file=sys.stderr))
        self._lock = threading.Condition()  # guards every field below
        self._stale = False
        self._stopping = False
        self._worker: threading.Thread | None = None
        self._asked = 0  # runs asked for so far
        self._done = 0  # how many of them the index now holds

    def changed(self, written: list[str]) -> None:
        if not any(path.endswith(".html") for path in written):
            return
        with self._lock:
            if self._stopping:
                return
            self._stale = True
            self._asked += 1
            if self._worker is None:
                self._worker = threading.Thread(target=self._run, daemon=True, name="search-index")
                self._worker.start()

    def wait(self, timeout: float | None = None) -> bool:
        """Block until the index holds every change made before this call (not until the indexer is
        idle, which a stream of saves would never let happen); False if `timeout` passed first."""
        with self._lock:
            asked = self._asked
            return self._lock.wait_for(lambda: self._done >= asked or self._stopping, timeout)

    def stop(self, timeout: float = 10) -> None:
        """End the run under way before the preview folder is removed, so none writes into a folder
        that is gone (which once printed a traceback on Ctrl-C)."""
        with self._lock:
            self._stopping, self._stale = True, False
            worker = self._worker
            self._lock.notify_all()
        _stop_indexing()
        if worker is not None:
            worker.join(timeout)

    def _run(self) -> None:
        while True:
            with self._lock:
                if not self._stale or self._stopping:
                    self._worker = None
                    return
                self._stale, covered = False, self._asked
            try:
                self._index()
            except (OutputError, OSError) as error:
                if not self._stopping:
                    self.report(f"search: {error}")
            with self._lock:
                self._done = covered
                self._lock.notify_all()

    def _index(self) -> None:
        if not any(self.folder.glob(STORY_PAGES)):
            return
        fresh = Path(tempfile.mkdtemp(prefix=".search-", dir=self.folder))
        try:
            if run_pagefind(self.folder, fresh / BUNDLE, background=True):
                # The old files stay: a page that loaded the previous entry may still fetch them.
                _install(fresh / BUNDLE, self.folder / BUNDLE, remove_old=False)
        finally:
            shutil.rmtree(fresh, ignore_errors=True)


_running: set[subprocess.Popen] = set()


@atexit.register
def _stop_indexing() -> None:
    """A dev server stopped mid-index leaves no Pagefind process behind."""
    for process in list(_running):
        process.terminate()


if __name__ == "__main__":  # python -m generator.search FOLDER: index a built site in place (bench/run.py)
    folder = Path(sys.argv[1]).resolve()
    shutil.rmtree(folder / BUNDLE, ignore_errors=True)
    run_pagefind(folder, folder / BUNDLE)
