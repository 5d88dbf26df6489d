"""Walking source folders: the one definition of which files are not content."""

from __future__ import annotations

import fnmatch
import os
import re
from pathlib import PurePath
from typing import Callable, Iterator

# Hidden files, editor temporaries (vim's swap files and its `4913` probe, emacs' lock and autosave
# files, backups) never count as content or as a change worth rebuilding for.
IGNORED_NAMES = ("*~", "*.swp", "*.swx", "*.swo", ".#*", "#*#", "4913", "*.tmp", "*.bak", ".*")
_IGNORED = re.compile("|".join(fnmatch.translate(pattern) for pattern in IGNORED_NAMES))


def is_ignored_name(name: str) -> bool:
    return _IGNORED.match(name) is not None


def _quiet(path: str, reason: str) -> None:
    pass


def walk_files(folder: str, skip: frozenset[str] = frozenset(),
               refuse: Callable[[str, str], None] = _quiet) -> Iterator[os.DirEntry]:
    """Every regular file below `folder`, depth first in name order, passing over ignored names and
    the folders in `skip`. Nothing is read from outside `folder` or from a hidden folder: a link is
    read only when it leads to a file inside `folder` under no ignored name. Links to folders are never
    followed (one inside `folder` would only list its files twice). Each link passed over for leading
    elsewhere, or nowhere, and each name that is not UTF-8 is handed to `refuse(path, reason)`."""
    try:
        real_root = os.path.realpath(folder, strict=True)
    except (OSError, RuntimeError):
        return
    yield from _walk(folder, real_root, skip, refuse)


def _walk(folder: str, real_root: str, skip: frozenset[str], refuse) -> Iterator[os.DirEntry]:
    try:
        entries = sorted(os.scandir(folder), key=lambda e: e.name)
    except OSError:
        return
    for entry in entries:
        if is_ignored_name(entry.name) or entry.path in skip:
            continue
        if not _is_utf8(entry.name):  # the name could not be shown, cached or linked to faithfully
            refuse(entry.path, "file name is not valid UTF-8; skipped")
            continue
        try:
            if entry.is_symlink():
                problem = _link_problem(entry.path, real_root)
                if problem:
                    refuse(entry.path, problem)
                elif entry.is_file():
                    yield entry
            elif entry.is_dir(follow_symlinks=False):
                yield from _walk(entry.path, real_root, skip, refuse)
            elif entry.is_file(follow_symlinks=False):  # not a FIFO, socket or device: reading one could hang
                yield entry
        except OSError:  # vanished or changed while listed: the next build sees it as it is then
            continue


def _link_problem(path: str, real_root: str) -> str | None:
    """Why the link at `path` may not be read, or None when it leads inside `real_root` (a resolved
    source folder) to a name that is not ignored."""
    try:
        target = os.path.realpath(path, strict=True)
    except (OSError, RuntimeError):
        return "is a link that leads nowhere (its target is missing, or a loop); skipped"
    if os.path.commonpath([real_root, target]) != real_root:
        return "links outside its source folder; skipped"
    if any(is_ignored_name(part) for part in PurePath(target).relative_to(real_root).parts):
        return "links to a hidden or ignored file or folder; skipped"
    return None


def _is_utf8(name: str) -> bool:
    try:
        name.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True
