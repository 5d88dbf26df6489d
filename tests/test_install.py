"""A fresh install holds exactly what uv.lock pins: nothing else, nothing at another version."""

import re
import sys
import tomllib
from importlib import metadata
from pathlib import Path

import pytest

from conftest import REPO


def canonicalize_name(name: str) -> str:  # PEP 503
    return re.sub(r"[-_.]+", "-", name).lower()


def locked() -> dict[str, str]:
    lock = tomllib.loads((REPO / "uv.lock").read_text(encoding="utf-8"))
    return {canonicalize_name(p["name"]): p["version"] for p in lock["package"] if "version" in p}


def test_every_installed_package_is_locked_at_its_version():
    if Path(sys.prefix).resolve() != (REPO / ".venv").resolve():
        pytest.skip("not the locked .venv (make test-latest runs the newest releases on purpose)")
    pins = locked()
    installed = {canonicalize_name(d.metadata["Name"]): d.version
                 for d in metadata.distributions(path=[p for p in sys.path if "site-packages" in p])}
    strays = {name: version for name, version in installed.items() if pins.get(name) != version}
    assert not strays, f"installed but not locked at that version: {strays}"


def test_the_lock_pins_every_dependency_with_hashes():
    lock = tomllib.loads((REPO / "uv.lock").read_text(encoding="utf-8"))
    for package in lock["package"]:
        if package["name"] == "digest":
            continue
        files = package.get("wheels", []) + ([package["sdist"]] if "sdist" in package else [])
        assert files and all(f.get("hash", "").startswith("sha256:") for f in files), package["name"]


def test_uv_itself_is_pinned_by_hash():
    text = (REPO / "tools" / "uv.txt").read_text(encoding="utf-8")
    assert "uv==" in text and "--hash=sha256:" in text
