"""Walking source folders: the one definition of which files are not content."""

from __future__ import annotations

import fnmatch
import os
import re
from typing import Iterator

# Hidden files, editor temporaries (vim's swap files and its `4913` probe, emacs' lock and autosave
# files, backups) never count as content or as a change worth rebuilding for.
IGNORED_NAMES = ("*~", "*.swp", "*.swx", "*.swo", ".#*", "#*#", "4913", "*.tmp", "*.bak", ".*")
_IGNORED = re.compile("|".join(fnmatch.translate(pattern) for pattern in IGNORED_NAMES))


def is_ignored_name(name: str) -> bool:
    return _IGNORED.match(name) is not None


def walk_files(folder: str, skip: frozenset[str] = frozenset()) -> Iterator[os.DirEntry]:
    """Every regular file below `folder` (symlinks followed), depth first in name order, passing over
    ignored names and the folders in `skip`."""
    try:
        entries = sorted(os.scandir(folder), key=lambda e: e.name)
    except OSError:
        return
    for entry in entries:
        if is_ignored_name(entry.name) or entry.path in skip:
            continue
        if entry.is_dir():
            yield from walk_files(entry.path, skip)
        elif entry.is_file():
            yield entry
