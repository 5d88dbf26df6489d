import os
import shutil
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from generator.config import SiteConfig, load_config

REPO = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("DIGEST_SHARED", REPO.parent / "shared"))


def shared_dir(*parts: str) -> Path:
    """A folder of ../shared; CI always has it, so there its absence fails instead of skipping, unless the
    run says it has none (DIGEST_SHARED_OPTIONAL=1: the weekly run on GitHub, where only the repo is)."""
    path = SHARED.joinpath(*parts)
    if not path.is_dir():
        if os.environ.get("CI") and not os.environ.get("DIGEST_SHARED_OPTIONAL"):
            pytest.fail(f"{path} is missing: CI must run with ../shared beside the checkout")
        pytest.skip(f"{path} not available")
    return path


@pytest.fixture
def site(tmp_path) -> Path:
    """A copy of the project's own site (seeds, content, theme, site.yml) in a temp folder."""
    root = tmp_path / "site"
    root.mkdir()
    for folder in ("seeds", "content", "themes"):
        shutil.copytree(REPO / folder, root / folder)
    shutil.copy2(REPO / "site.yml", root / "site.yml")
    shutil.copy2(REPO / "published.json", root / "published.json")  # what the site has published so far
    return root


@pytest.fixture
def site_config(site) -> SiteConfig:
    return load_config(site / "site.yml")


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def minimal_site(root: Path, **settings) -> SiteConfig:
    """An empty site using the project's theme, with the given settings."""
    shutil.copytree(REPO / "themes", root / "themes")
    (root / "seeds").mkdir(exist_ok=True)
    return SiteConfig(root=root, **settings)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def ask(url: str, method: str = "GET", host: str | None = None) -> tuple[int, dict, bytes]:
    """One request as a browser or link checker makes it, redirects not followed: status, headers, body."""
    import http.client
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=10)
    try:
        connection.request(method, parts.path or "/", headers={"Host": host} if host else {})
        response = connection.getresponse()
        return response.status, dict(response.getheaders()), response.read()
    finally:
        connection.close()


SERVER_EDGES = [  # (what is asked, how, status GitHub Pages gives)
    ("", "HEAD", 200), ("%00", "GET", 404), ("x%00.html", "GET", 404), ("a" * 300 + "/", "GET", 404),
    ("a" * 300, "HEAD", 404), ("../../etc/passwd", "GET", 404),
]


class RunningServer:
    """`digest serve` in its own process, as a writer starts it."""

    def __init__(self, site: Path):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}/digest/"
        self.process = subprocess.Popen(
            [sys.executable, "-m", "generator", "serve", "--port", str(self.port)], cwd=site,
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env={**os.environ, "PYTHONPATH": str(REPO)})
        self.lines: list[str] = []
        self.reader = threading.Thread(target=lambda: self.lines.extend(self.process.stdout), daemon=True)
        self.reader.start()
        deadline = time.monotonic() + 30
        while not any("Serving" in line for line in self.lines):
            assert self.process.poll() is None and time.monotonic() < deadline, "".join(self.lines)
            time.sleep(0.05)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=10)


@pytest.fixture
def server(site):
    running = RunningServer(site)
    yield running
    running.stop()
