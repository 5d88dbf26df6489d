"""A date for documents that carry none: the file's first git commit, else its modification time."""

from __future__ import annotations

from datetime import datetime, timezone
from functools import lru_cache
from pathlib import Path


def fallback_date(path: Path) -> tuple[datetime, str]:
    """Return the date and where it came from ("git" or "mtime")."""
    added = _first_commit_dates(str(path.parent.resolve())).get(path.name)
    if added is not None:
        return added, "first git commit"
    return datetime.fromtimestamp(int(path.stat().st_mtime), tz=timezone.utc), "file modification time"


@lru_cache(maxsize=None)
def _first_commit_dates(folder: str) -> dict[str, datetime]:
    """One `git log` per folder, not one per file: a large corpus may have thousands of undated files."""
    import subprocess  # only for a document without a date

    try:
        log = subprocess.run(
            ["git", "log", "--diff-filter=A", "--no-renames", "--format=%x00%aI", "--name-only", "--relative", "--", "."],
            cwd=folder, capture_output=True, text=True, timeout=60, check=True,
        ).stdout
    except (OSError, subprocess.SubprocessError):
        return {}
    dates: dict[str, datetime] = {}
    for record in log.split("\x00")[1:]:
        stamp, *names = record.strip().split("\n")
        for name in filter(None, names):
            dates[name] = datetime.fromisoformat(stamp)  # log is newest first: the last seen is the first add
    return dates
