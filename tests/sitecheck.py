"""Read a built site back the way a static server under base_path would."""

from __future__ import annotations

import functools
import http.server
import threading
from contextlib import contextmanager
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlsplit


class QuietHandler(http.server.SimpleHTTPRequestHandler):
    """Serves files without a log line per request (the browser tests fetch hundreds)."""

    def log_message(self, *args):
        pass


@contextmanager
def serving(folder: Path, handler: type[http.server.SimpleHTTPRequestHandler] = QuietHandler):
    """`folder` served on a free loopback port, as a static host would; yields the origin URL."""
    with listening(functools.partial(handler, directory=str(folder))) as origin:
        yield origin


@contextmanager
def listening(handler):
    """A threaded HTTP server for `handler` on a free loopback port; yields the origin URL."""
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()


class _Links(HTMLParser):
    def __init__(self):
        super().__init__()
        self.links: list[tuple[str, str, str]] = []  # (tag, attribute, value)

    def handle_starttag(self, tag, attrs):
        for name, value in attrs:
            if name in ("href", "src") and value is not None:
                self.links.append((tag, name, value))


def links(html: str) -> list[tuple[str, str, str]]:
    parser = _Links()
    parser.feed(html)
    return parser.links


def resolve(output: Path, base_path: str, url: str) -> Path | None:
    """The file a static server rooted at output/ and mounted at base_path serves for url (None if external)."""
    parts = urlsplit(url)
    if parts.scheme or parts.netloc or url.startswith("#"):
        return None
    if not parts.path.startswith(base_path):
        raise AssertionError(f"internal link {url!r} is outside the base path {base_path!r}")
    relative = unquote(parts.path[len(base_path):])
    target = output / relative
    return target / "index.html" if relative == "" or relative.endswith("/") else target


def broken_links(output: Path, base_path: str) -> list[str]:
    broken = []
    for page in sorted(output.rglob("*.html")):
        for tag, attribute, url in links(page.read_text(encoding="utf-8")):
            try:
                target = resolve(output, base_path, url)
            except AssertionError as exc:
                broken.append(f"{page.relative_to(output)}: {exc}")
                continue
            if target is not None and not target.is_file():
                broken.append(f"{page.relative_to(output)}: <{tag} {attribute}={url!r}> -> missing {target}")
    return broken


def tree_bytes(output: Path) -> dict[str, bytes]:
    return {str(p.relative_to(output)): p.read_bytes() for p in sorted(output.rglob("*")) if p.is_file()}
