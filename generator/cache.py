"""The read cache kept between `digest build` runs in `.cache/`: parsed documents by file stamp.

It is used only when the configuration, the taxonomy and the generator's own code are exactly
those that wrote it; anything else, or an unreadable file, means reading everything afresh.
"""

from __future__ import annotations

import hashlib
import os
import pickle
import tempfile
from pathlib import Path

from generator.config import SiteConfig

CACHE_NAME = "reads.pickle"
CODE = Path(__file__).resolve().parent


def cache_path(config: SiteConfig) -> Path:
    return config.root / ".cache" / CACHE_NAME


def fingerprint(config: SiteConfig, taxonomy) -> str:
    digest = hashlib.sha256(repr((config, taxonomy)).encode())
    for source in sorted(CODE.rglob("*.py")):
        status = source.stat()
        digest.update(f"{source.relative_to(CODE)}:{status.st_mtime_ns}:{status.st_size}".encode())
    return digest.hexdigest()


def load_reads(config: SiteConfig, taxonomy) -> dict:
    try:
        with open(cache_path(config), "rb") as stored:
            key, reads = pickle.load(stored)
    except Exception:  # missing, truncated or from another version: start afresh
        return {}
    return reads if key == fingerprint(config, taxonomy) else {}


def save_reads(config: SiteConfig, taxonomy, reads: dict) -> None:
    path = cache_path(config)
    try:
        path.parent.mkdir(exist_ok=True)
        for leftover in path.parent.glob(f"{CACHE_NAME}.tmp-*"):  # from a build killed while saving
            leftover.unlink(missing_ok=True)
        with tempfile.NamedTemporaryFile(dir=path.parent, prefix=f"{CACHE_NAME}.tmp-", delete=False) as temporary:
            pickle.dump((fingerprint(config, taxonomy), reads), temporary, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(temporary.name, path)
    except OSError:
        pass  # a read-only checkout builds fine, just without a cache
