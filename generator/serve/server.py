"""HTTP for both servers: pages as GitHub Pages serves them (under the base path, folders to their
index.html, 404.html for what is missing, HEAD as GET without the body), plus, in the preview, the
livereload socket and the preview's additions. The handlers know only a callable that returns what
to show now (`Shown`), never how it is built."""

from __future__ import annotations

import errno
import ipaddress
import json
import mimetypes
import signal
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Mapping, Protocol

import click
from livereload.handlers import LiveReloadHandler, LiveReloadJSHandler
from tornado import ioloop, web

from generator.output import OutputError, contained
from generator.serve.pages import DEV_THEME, insert_into

LOOPBACK_NAMES = ("127.0.0.1", "localhost", "::1")


class Files(Protocol):
    def read(self, relative: str) -> bytes | None: ...

    def is_folder(self, relative: str) -> bool: ...


@dataclass(frozen=True)
class MemoryFiles:
    """A build's files as it made them: a rebuild swaps in a new set whole, so no request sees half of one."""

    files: Mapping[str, bytes]

    def read(self, relative: str) -> bytes | None:
        return self.files.get(relative)

    def is_folder(self, relative: str) -> bool:
        return f"{relative}/index.html" in self.files


@dataclass(frozen=True)
class FolderFiles:
    """A folder on disk; any path it cannot hold (a NUL, a name too long, outside it) is simply missing."""

    folder: Path

    def read(self, relative: str) -> bytes | None:
        try:
            return contained(self.folder, relative).read_bytes()
        except (OutputError, OSError, ValueError):
            return None

    def is_folder(self, relative: str) -> bool:
        try:
            return contained(self.folder, relative).is_dir()
        except (OutputError, OSError, ValueError):
            return False


@dataclass(frozen=True)
class Shown:
    """Everything a request needs, replaced whole after each rebuild."""

    base_path: str
    files: Files
    error_page: bytes | None = None  # shown for every page while the build is stopped
    moved: Mapping[str, str] = field(default_factory=dict)  # old page path -> new one, after a slug changed
    head: bytes = b""  # put before each page's </head>
    panel: bytes = b""  # put after each page's <body>
    generation: str = ""  # names the build shown; see ReloadSocket


Current = Callable[[], Shown]


def host_allowed(name: str, served_host: str) -> bool:
    """A DNS-rebinding page reaches the server under its own domain name: answer only loopback names,
    the name the server was started with, and addresses written as numbers."""
    name = name.strip("[]").rstrip(".").lower()
    if name in (*LOOPBACK_NAMES, served_host.strip("[]").lower()):
        return True
    try:
        ipaddress.ip_address(name)
    except ValueError:
        return False
    return True


class PageHandler(web.RequestHandler):
    def initialize(self, current: Current, host: str):
        self.current, self.served_host = current, host

    def set_default_headers(self):
        self.set_header("Cache-Control", "no-store")

    def prepare(self):
        if not host_allowed(self.request.host_name, self.served_host):
            self._send(400, f"This server answers to {self.served_host}, not {self.request.host_name}.".encode(),
                       "text/plain; charset=utf-8", decorate=False)

    def get(self, path: str):
        self._serve(path, self.current())

    def head(self, path: str):  # link checkers ask with HEAD; the body is left out by the connection
        self.get(path)

    def _serve(self, path: str, shown: Shown, files: Files | None = None):
        url_path = "/" + path
        if shown.error_page is not None and Path(path).suffix in ("", ".html"):
            return self._send(500, shown.error_page, "text/html; charset=utf-8")
        if not url_path.startswith(shown.base_path):
            if url_path == "/" or url_path + "/" == shown.base_path:
                return self.redirect(shown.base_path)
            return self._not_found(shown)
        relative = url_path[len(shown.base_path):]
        files = files or shown.files
        if relative and not relative.endswith("/") and files.is_folder(relative):
            return self.redirect(url_path + "/")
        name = relative + "index.html" if relative == "" or relative.endswith("/") else relative
        body = files.read(name)
        if body is None:
            if relative in shown.moved:
                return self.redirect(shown.base_path + shown.moved[relative])
            return self._not_found(shown)
        kind = mimetypes.guess_type(name)[0] or "application/octet-stream"
        self._send(200, body, kind + ("; charset=utf-8" if kind.startswith("text/") else ""), shown)

    def _not_found(self, shown: Shown):
        self._send(404, shown.files.read("404.html") or b"Not found", "text/html; charset=utf-8", shown)

    def _send(self, status: int, body: bytes, content_type: str, shown: Shown | None = None, decorate=True):
        if decorate and content_type.startswith("text/html"):
            shown = shown or self.current()
            if shown.head or shown.panel:
                body = insert_into(body, shown.head, shown.panel)
        self.set_status(status)
        self.set_header("Content-Type", content_type)
        self.finish(body)


class ReloadSocket(LiveReloadHandler):
    """livereload's socket, open only to pages this server served, and reloading at once a page that
    connects showing an older build than the current one: the reload sent after that build came
    while the page was loading or reconnecting, when no socket of it was there to receive it."""

    def initialize(self, current: Current, origins: set[str]):
        self.current, self.origins = current, origins

    def check_origin(self, origin: str) -> bool:
        return origin in self.origins

    def on_message(self, message):
        super().on_message(message)  # registers the page for reloads on its "info" message
        if self in LiveReloadHandler.waiters and shown_generation(message) not in (None, self.current().generation):
            self.send_message({"command": "reload", "path": "*", "liveCSS": True, "liveImg": True})


def shown_generation(message: str) -> str | None:
    """The generation an "info" message says its page shows (preview.js sends it), if it says one."""
    try:
        data = json.loads(message)
        generation = data["plugins"]["digest-preview"]["generation"] if data.get("command") == "info" else None
    except (ValueError, TypeError, KeyError, AttributeError):
        return None
    return generation if isinstance(generation, str) else None


class PreviewAsset(web.StaticFileHandler):
    def set_extra_headers(self, path):
        self.set_header("Cache-Control", "no-store")


def allowed_origins(host: str, port: int) -> set[str]:
    names = {host, f"[{host}]"} | ({"127.0.0.1", "localhost", "[::1]"} if host in LOOPBACK_NAMES else set())
    return {f"http://{name}:{port}" for name in names}


def quiet(handler) -> None:
    """One line per rebuild is what the writer reads, not one per request."""


def preview_app(current: Current, host: str, port: int) -> web.Application:
    pages = {"current": current, "host": host}
    return web.Application(
        [(r"/livereload", ReloadSocket, {"current": current, "origins": allowed_origins(host, port)}),
         (r"/livereload.js", LiveReloadJSHandler),
         (r"/__digest/(preview\.js|preview\.css)", PreviewAsset, {"path": str(DEV_THEME / "preview")}),
         (r"/(.*)", PageHandler, pages)],
        log_function=quiet,
    )


def published_app(shown: Shown, host: str) -> web.Application:
    return web.Application([(r"/(.*)", PageHandler, {"current": lambda: shown, "host": host})], log_function=quiet)


def listen(app: web.Application, host: str, port: int) -> None:
    try:
        app.listen(port, address=host)
    except OSError as error:
        if error.errno == errno.EADDRINUSE:
            raise click.ClickException(f"port {port} is already in use on {host}; "
                                       f"stop the other server or try --port {port + 1}") from None
        raise click.ClickException(f"cannot listen on {host}:{port}: {error.strerror}") from None


def stop_on_signals() -> None:
    """Ctrl-C and SIGTERM stop the loop, even when they come before it starts: set before the server
    says it is serving, so an interrupt is never a traceback from whatever line it happened to hit."""
    io_loop = ioloop.IOLoop.current()
    for number in (signal.SIGINT, signal.SIGTERM):
        signal.signal(number, lambda *_: io_loop.add_callback_from_signal(io_loop.stop))


def run_until_stopped() -> None:
    ioloop.IOLoop.current().start()


def url(host: str, port: int, base_path: str) -> str:
    return f"http://{f'[{host}]' if ':' in host else host}:{port}{base_path}"
