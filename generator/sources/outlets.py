"""Outlet logos (`content/outlets.yml`): an outlet's name or domain -> an image in the site's own
static/ folder. Logos are never fetched or linked from elsewhere: only a file the site ships is shown."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path, PurePosixPath

import yaml

from generator.config import SiteConfig
from generator.diagnostics import Diagnostics
from generator.sources.fields import clean_text
from generator.yamlload import load_strings

LOGOS_FILE = "content/outlets.yml"
OLD_LOGOS_FILE = "content/sources.yml"  # its name until outlets were called outlets everywhere; still read
LOGOS_FILES = (LOGOS_FILE, OLD_LOGOS_FILE)
IMAGE_SUFFIXES = (".avif", ".gif", ".jpeg", ".jpg", ".png", ".svg", ".webp")


@dataclass(frozen=True, slots=True)
class OutletLogo:
    outlet: str  # an outlet's name or domain, as the file names it
    path: str  # the image in the output, site-relative: "static/logos/wfmz.png"


def read_outlet_logos(config: SiteConfig, diagnostics: Diagnostics) -> tuple[OutletLogo, ...]:
    name = next((name for name in LOGOS_FILES if (config.root / name).is_file()), None)
    if name is None:
        return ()
    if name == OLD_LOGOS_FILE:
        diagnostics.warn(OLD_LOGOS_FILE, f"read as the outlet logos; rename it {LOGOS_FILE}")
    path = config.root / name
    try:
        data = load_strings(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        diagnostics.warn(name, f"outlet logos not read: {exc}")
        return ()
    if data is None:
        return ()
    if not isinstance(data, dict):
        diagnostics.warn(name, "must map outlet names or domains to images under static/; not read")
        return ()
    logos = []
    for outlet, image in data.items():
        problem = _problem(config.root, outlet, image)
        if problem:
            diagnostics.warn(name, f"logo for {outlet!r} {problem}; ignored")
        else:
            logos.append(OutletLogo(clean_text(outlet), image))
    return tuple(sorted(logos, key=lambda logo: (logo.outlet, logo.path)))


def _problem(root: Path, outlet, image) -> str | None:
    """Why `image` cannot be `outlet`'s logo, or None. static/ is copied to the output as it is, so a
    file there is published at the same site-relative path."""
    if not isinstance(outlet, str) or not clean_text(outlet):
        return "needs an outlet name or domain"
    if not isinstance(image, str) or not image.strip():
        return "must be a path such as static/logos/name.png"
    parts = PurePosixPath(image).parts
    if PurePosixPath(image).is_absolute() or len(parts) < 2 or parts[0] != "static" or ".." in parts \
            or any(part.startswith(".") for part in parts):
        return f"must be a file under the site's static/ folder, such as static/logos/name.png, not {image!r}"
    if PurePosixPath(image).suffix.lower() not in IMAGE_SUFFIXES:
        return f"must be an image ({', '.join(IMAGE_SUFFIXES)}), not {image!r}"
    file, folder = root / image, root / "static"
    try:
        inside = file.resolve(strict=True).is_relative_to(folder.resolve(strict=True))
    except (OSError, RuntimeError, ValueError):  # ValueError: a NUL in the name
        return f"names {image!r}, which does not exist"
    if not inside or not file.is_file():
        return f"names {image!r}, which is not a file inside static/"
    return None
