"""What `digest fetch` remembers between runs: `fetched.json` beside site.yml, committed with the new
seeds by the scheduled workflow, never read by a build (it is no document).

    {"feeds": {"<subscribed URL>": {"etag", "last_modified", "moved_to", "gone", "retry_after",
                                     "failures", "last_success"}},
     "entries": {"<feed URL> <guid>": {"file": "seeds/2026-06-10-x.md" or "" (skipped), "digest"}}}

Sorted JSON, one line per entry, so a day's run adds lines and merges like any text file.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path

from generator.config import SiteConfig
from generator.output import replace_file

STATE_NAME = "fetched.json"


@dataclass(frozen=True, slots=True)
class FeedState:
    etag: str = ""
    last_modified: str = ""
    moved_to: str = ""  # a permanent redirect's target: asked instead from then on
    gone: bool = False  # answered 410: never asked again
    retry_after: str = ""  # ISO time before which it is not asked (429, 503, or failures in a row)
    failures: int = 0  # in a row
    last_success: str = ""  # ISO time


@dataclass(frozen=True, slots=True)
class Seen:
    file: str  # the seed written for it, "" when it was skipped (off topic, a duplicate, an old backlog)
    digest: str = ""  # FeedEntry.digest when written


@dataclass
class State:
    feeds: dict[str, FeedState] = field(default_factory=dict)
    entries: dict[str, Seen] = field(default_factory=dict)

    @staticmethod
    def key(feed: str, guid: str) -> str:
        return f"{feed} {guid}"


def state_path(config: SiteConfig) -> Path:
    return config.root / STATE_NAME


def read_state(config: SiteConfig) -> State:
    """The state as the last run left it; a missing or unreadable file is a first run (every feed new)."""
    try:
        document = json.loads(state_path(config).read_bytes())
    except (OSError, ValueError, UnicodeDecodeError):
        return State()
    if not isinstance(document, dict):
        return State()
    state = State()
    for url, value in (document.get("feeds") or {}).items():
        if isinstance(value, dict):
            known = {k: v for k, v in value.items() if k in FeedState.__slots__ and
                     isinstance(v, type(getattr(FeedState(), k)))}
            state.feeds[url] = FeedState(**known)
    for key, value in (document.get("entries") or {}).items():
        if isinstance(value, dict) and isinstance(value.get("file"), str):
            state.entries[key] = Seen(value["file"], value.get("digest", "") if isinstance(value.get("digest"), str)
                                      else "")
    return state


def write_state(config: SiteConfig, state: State) -> None:
    feeds = {url: {k: v for k, v in asdict(s).items() if v not in ("", 0, False)} for url, s in sorted(state.feeds.items())}
    lines = [f"  {json.dumps(key, ensure_ascii=False)}: {json.dumps(asdict(seen), sort_keys=True, ensure_ascii=False)}"
             for key, seen in sorted(state.entries.items())]
    text = ('{\n "entries": {' + ("\n" + ",\n".join(lines) + "\n " if lines else "") + "},\n"
            f' "feeds": {json.dumps(feeds, indent=2, sort_keys=True, ensure_ascii=False)}\n}}\n')
    replace_file(state_path(config), text.encode("utf-8"))
