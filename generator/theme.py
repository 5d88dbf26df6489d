"""The theme's files, and the site's own overrides of them: templates and static files. Kept apart from
rendering so that a build can tell whether anything changed without importing Jinja and the rest."""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from pathlib import Path

from generator.addresses import STATIC
from generator.config import SiteConfig
from generator.diagnostics import Diagnostics
from generator.walk import walk_files


def template_dirs(config: SiteConfig) -> list[Path]:
    """Where templates are looked up, first match wins: the site's own overrides, then the theme."""
    return [config.root / "templates", config.theme_dir / "templates"]


def template_stamps(config: SiteConfig) -> dict[str, tuple[int, int]]:
    """(mtime_ns, size) of every template file by name; the site's override shadows the theme's."""
    return {name: (status.st_mtime_ns, status.st_size) for name, (path, status) in _templates(config).items()}


def template_digests(config: SiteConfig) -> dict[str, str]:
    """Every template's bytes by name, as a digest: what the pages depend on, which a fresh checkout
    (every mtime new) leaves as it was."""
    return {name: hashlib.sha256(path.read_bytes()).hexdigest() for name, (path, _) in _templates(config).items()}


def _templates(config: SiteConfig) -> dict:
    """Each template file by name, with its stat; the site's override shadows the theme's."""
    found = {}
    for folder in reversed(template_dirs(config)):
        for path in folder.rglob("*") if folder.is_dir() else []:
            if path.is_file():
                found[path.relative_to(folder).as_posix()] = (path, path.stat())
    return found


@dataclass(frozen=True, slots=True)
class StaticFile:
    source: Path
    path: str  # in the output folder: "static/style.css"


def static_files(config: SiteConfig, diagnostics: Diagnostics | None = None) -> list[StaticFile]:
    """The theme's static/ folder copied to /static/; the site's own `static/` wins over the theme's.
    Walked as source folders are: a link is published only when it leads to a file inside its own
    static/ folder (never /etc/passwd or /proc/self/environ), each other one skipped with a warning."""
    found: dict[str, Path] = {}
    def refuse(path: str, reason: str) -> None:
        if diagnostics is not None:
            diagnostics.warn(os.path.relpath(path, config.root), reason)

    for folder in (config.theme_dir / "static", config.root / "static"):
        for entry in walk_files(str(folder), refuse=refuse):
            path = Path(entry.path)
            found[STATIC.path + path.relative_to(folder).as_posix()] = path
    return [StaticFile(source, target) for target, source in sorted(found.items())]
