"""Full-text search: an index of our own, written by the build as plain JSON files under /search/index/
and read in the browser by the search page (templates/search.html with static/search.js).

- Each story is one document, numbered oldest first (by date, then address): the day's new stories take
  the next numbers, so no earlier story's number changes, nor any file that holds only earlier stories.
- A word is a lowercased run of letters and digits, indexed under its Snowball (English) stem, so
  "approved" finds "approval". `w/<key>.json`, one file per first two letters, maps each word the
  stories hold to its stem, and each stem to the documents holding it, and to those whose headline
  does, as gaps between ascending numbers.
- `d/<n>.json` holds CHUNK documents, numbered from n * CHUNK: address, headline, outlet, date and the
  text that snippets are cut from; only the chunks of the results shown are loaded.
- `site.json`: how many documents, each one's outlet, month and topics (the filters, with counts), and
  which word files exist.

Every file is an output like a page (routes.search_outputs), so a build writes only the files whose
content changed: one edited story rewrites its chunk and the word files of the words it gained or lost.
Only stories are indexed: listings, standalone pages, the 404 page and drafts (unless the build
includes them) are not.
"""

from __future__ import annotations

import hashlib
import html
import json
import re
from array import array
from collections import Counter, defaultdict
from dataclasses import dataclass
from itertools import chain

import snowballstemmer

from generator.addresses import SEARCH_INDEX, SEARCH_WORDS_FILE
from generator.derived import Derived
from generator.summaries import human_date

WORD = re.compile(r"[^\W_]+")
TAG = re.compile(r"<[^>]+>")
KEY_LENGTH = 2  # a word's file: its first two letters
SAFE_KEY = re.compile(r"[a-z0-9]+")  # a key used as a file name as it is; any other is spelled in hex
CHUNK = 16  # documents per d/ file: a page of 20 results loads a few small files
MAX_WORDS = 60_000  # words.json keeps the most common words, when a very large digest has more

SITE_FILE = SEARCH_INDEX + "site.json"


@dataclass(frozen=True, slots=True)
class Document:
    """One story as the index holds it."""

    path: str  # site-relative address, "2024/05/a-story/"
    title: str
    outlet: str
    date: str  # as every list shows it, "3 May 2024"
    month: str  # the month filter's value, "2024-05" (the month its address is filed under)
    topics: tuple[str, ...]
    text: str  # the story's text as its page shows it, for snippets
    words: tuple[str, ...]  # every word of the headline and text, once each, sorted
    stems: tuple[str, ...]  # their stems, once each, sorted
    title_stems: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class SearchFile:
    """One file of the index: its path in the site and its bytes, JSON written compactly with sorted keys
    (made here rather than by a renderer: at 100,000 stories the bytes take a fifth of the memory the
    values they come from would, held until rendering)."""

    path: str
    data: bytes


def _file(path: str, value) -> SearchFile:
    """The file at `path` holding `value`; in the preview, the very same one as last build's when the
    value is equal (a save changes a few of 850 files at 10,000 stories)."""
    last = _files.get(path)
    if last is None or last[0] != value:
        last = (value, SearchFile(path, json.dumps(value, ensure_ascii=False, sort_keys=True,
                                                   separators=(",", ":")).encode()))
        if _remember:
            _files[path] = last
    return last[1]


_files: dict[str, tuple[object, SearchFile]] = {}  # path -> (value, its file), from the last build


def words(text: str) -> set[str]:
    """The distinct words of `text`, each the one string kept for it (at 100,000 stories, a string per
    occurrence took hundreds of MB)."""
    return {_interned.setdefault(word, word) for word in WORD.findall(text.lower())}


_interned: dict[str, str] = {}


def key_of(word: str) -> str:
    """The name of the word file holding `word`; static/search.js names it alike."""
    key = word[:KEY_LENGTH]
    return key if SAFE_KEY.fullmatch(key) else "x" + key.encode().hex()


_documents = Derived()  # each article's document, kept from one build to the next (the preview's)
_stems: dict[str, str] = {}  # every word stemmed so far in this process
_stemmer = snowballstemmer.stemmer("english")


def stem(word: str) -> str:
    known = _stems.get(word)
    if known is None:
        known = _stems[word] = _stemmer.stemWord(word)
    return known


def document(entry, zone) -> Document:
    article = entry.article
    if article.body_html:
        text = html.unescape(TAG.sub(" ", article.body_html))
    elif article.blocks:
        text = " ".join(chain.from_iterable((block.text, *block.items) for block in article.blocks))
    else:
        text = article.summary
    text = " ".join(text.split())
    indexed = _indexed(article.title, text)
    return Document(entry.path, article.title, article.outlet, human_date(article.date, zone),
                    entry.month_path[:7].replace("/", "-"), tuple(topic.name for topic in entry.topics), text,
                    *indexed)


def _indexed(title: str, text: str) -> tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...]]:
    """A story's words, their stems and its headline's stems; taken from an earlier build's (`use_words`)
    when its headline and text are unchanged: splitting and stemming were most of the index's time."""
    key = hashlib.blake2b(f"{title}\0{text}".encode(), digest_size=16).digest() if _keeping else b""
    indexed = _known.get(key)
    if indexed is None:
        title_words = words(title)
        every = title_words | words(text)
        indexed = (tuple(sorted(every)), tuple(sorted({stem(w) for w in every})),
                   tuple(sorted({stem(w) for w in title_words})))
    if _keeping:
        _made[key] = indexed
    return indexed


_known: dict[bytes, tuple] = {}  # an earlier build's stories' words, by a digest of headline and text
_made: dict[bytes, tuple] = {}  # this build's, to keep for the next (words_made)
_keeping = False


def use_words(known: tuple | None) -> None:
    """Take stories' words and stems from an earlier build's `words_made()` and `stems_of` them (build.py
    keeps them in .cache/), and keep this build's for the next."""
    global _known, _keeping
    by_text, stems = known if known is not None else ({}, {})
    _known, _keeping = by_text, True
    _stems.update(stems)


def words_made() -> dict:
    """This build's stories' words, for `use_words` in the next build (with `stems_of` them); forgotten here."""
    global _known, _made, _keeping
    made, _known, _made, _keeping = _made, {}, {}, False
    return made


def stems_of(made: dict) -> dict[str, str]:
    """The stem of each word of the stories in `made`."""
    return {word: stem(word) for word in {word for indexed in made.values() for word in indexed[0]}}


def remember_between_builds() -> None:
    """Keep each story's document and each file for the next build: the preview's, which rebuilds on every
    save. A one-off build keeps nothing (at 100,000 stories the documents alone are about 100 MB, which
    every forked rendering worker would carry)."""
    global _remember
    _remember = True


_remember = False


def documents(entries, zone) -> list[Document]:
    """The stories' documents, numbered by their place in this list: oldest first."""
    if _remember:
        made = [_documents.get(entry.article, (entry.path, entry.topics, zone),
                               lambda entry=entry: document(entry, zone)) for entry in entries]
        _documents.done()
    else:
        made = [document(entry, zone) for entry in entries]
    dates = {entry.path: entry.article.date for entry in entries}
    return sorted(made, key=lambda doc: (dates[doc.path], doc.path))


def index_files(entries, zone) -> list[SearchFile]:
    """Every file of the index for these stories, and words.json, in a stable order."""
    docs = documents(entries, zone)
    if not docs:
        return [_file(SEARCH_WORDS_FILE, {})]
    postings: dict[str, array] = defaultdict(lambda: array("I"))  # 4 bytes a number, not an int object
    titled: dict[str, array] = defaultdict(lambda: array("I"))
    surfaces: dict[str, dict[str, str]] = defaultdict(dict)
    for number, doc in enumerate(docs):
        for stemmed in doc.stems:
            postings[stemmed].append(number)
        for stemmed in doc.title_stems:
            titled[stemmed].append(number)
    for word in set().union(*(doc.words for doc in docs)):
        surfaces[key_of(word)][word] = stem(word)
    stems_by_key: dict[str, list[str]] = defaultdict(list)
    for stemmed in postings:
        stems_by_key[key_of(stemmed)].append(stemmed)
    keys = sorted(set(surfaces) | set(stems_by_key))
    files = [_file(SEARCH_INDEX + f"w/{key}.json", {
        "words": dict(sorted(surfaces[key].items())),
        "stems": {s: [_gaps(postings[s]), _gaps(titled.get(s, ()))] for s in sorted(stems_by_key[key])},
    }) for key in keys]
    files += [_file(SEARCH_INDEX + f"d/{n // CHUNK}.json",
                         [[d.path, d.title, d.outlet, d.date, d.text] for d in docs[n:n + CHUNK]])
              for n in range(0, len(docs), CHUNK)]
    outlets = sorted({doc.outlet for doc in docs if doc.outlet})
    months = sorted({doc.month for doc in docs})
    topics = sorted({name for doc in docs for name in doc.topics})
    at = {name: n for n, name in enumerate(outlets)}, {m: n for n, m in enumerate(months)}, \
        {name: n for n, name in enumerate(topics)}
    files.append(_file(SITE_FILE, {
        "version": 1, "count": len(docs), "chunk": CHUNK, "keys": keys,
        "outlets": outlets, "months": months, "topics": topics,
        # each document's [outlet (-1: none), month, topic...]
        "docs": [[at[0].get(d.outlet, -1), at[1][d.month], *(at[2][t] for t in d.topics)] for d in docs],
    }))
    files.append(_file(SEARCH_WORDS_FILE, vocabulary(docs)))
    return files


def vocabulary(docs: list[Document]) -> dict[str, int]:
    """Every word the stories hold, with how many stories hold it: the search page tells from it that no
    story mentions a word, and which words that do exist are closest."""
    counts = Counter(chain.from_iterable(doc.words for doc in docs))
    kept = sorted(counts.items(), key=lambda item: (-item[1], item[0]))[:MAX_WORDS]
    return dict(kept)


def _gaps(numbers) -> list[int]:
    """Ascending numbers as the first and the gaps after it: short to write and to read."""
    return [b - a for a, b in zip((0, *numbers), numbers)]


def _measure(config_path: str) -> dict:
    """What the index costs on a site (bench/run.py): seconds to make its files from the stories read
    (what every build pays), the memory that adds, and their bytes."""
    import time

    from generator.build import collector_paused
    from generator.cache import load_reads
    from generator.config import load_config
    from generator.diagnostics import Diagnostics
    from generator.index import build_index
    from generator.sources import read_sources, read_taxonomy

    config = load_config(config_path)
    diagnostics = Diagnostics()
    taxonomy = read_taxonomy(config, diagnostics)
    with collector_paused():
        articles = read_sources(config, taxonomy, diagnostics, lambda items: items, load_reads(config, taxonomy))
        entries = build_index(config, articles, taxonomy, diagnostics, False).entries
        before = _peak_kib()
        started = time.perf_counter()
        files = index_files(entries, config.tz)
        made = time.perf_counter() - started
    return {"stories": len(entries), "made": made, "files": len(files), "bytes": sum(len(f.data) for f in files),
            "memory": (_peak_kib() - before) / 1024}


def _peak_kib() -> int:
    """This process's own peak RSS. ru_maxrss also counts the memory of the process that started this one
    (Linux keeps the high-water mark through fork and exec), which hides any growth below it."""
    try:
        with open("/proc/self/status") as status:
            return next(int(line.split()[1]) for line in status if line.startswith("VmHWM:"))
    except (OSError, StopIteration):
        import resource
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


if __name__ == "__main__":  # python -m generator.search site.yml: what the index costs (bench/run.py)
    import json
    import sys

    print(json.dumps(_measure(sys.argv[1])))
