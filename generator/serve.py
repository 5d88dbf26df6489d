"""The dev server: build with drafts into a private folder, serve it under base_path, rebuild on
every change and reload the browser through the livereload protocol.

livereload's own watcher is not used: it polls every 800 ms, skips the browser reload for
changes within 3 s of the last one (python-livereload#244) and watches the current folder
when given nothing. Here file-system notifications feed a debouncer, rebuilds run on the
server's one thread (so a request that arrives mid-rebuild waits for it and never sees a
half-built page), and the reload is sent after every rebuild.

A reload sent while a page is loading or reconnecting would be lost, so every rebuild has a
generation, each page served names the one it shows, and a page that connects with an older one
is reloaded at once. Pages also carry a panel listing the build's warnings and errors. Both are
added as pages are served, never written into the build.
"""

from __future__ import annotations

import asyncio
import errno
import gc
import hashlib
import json
import mimetypes
import os
import queue
import re
import secrets
import shutil
import signal
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import click
import watchfiles
from jinja2 import Environment, FileSystemLoader, TemplateError
from livereload.handlers import LiveReloadHandler, LiveReloadJSHandler
from tornado import ioloop, web

from generator.config import BUNDLED_THEMES, ConfigError, SiteConfig, load_config
from generator.diagnostics import Diagnostic
from generator.output import OutputError, contained, sync_site
from generator.render import describe_template_error
from generator.routes import static_files
from generator.search import BUNDLE, PreviewSearch
from generator.session import PreviewSession
from generator.walk import is_ignored_name

POLL_SECONDS = 0.01
WATCH_STEP_MS = 10  # watchfiles groups events until this long passes without one
SETTLE_SECONDS = 0.005  # quiet time that ends a burst of changes, after watchfiles' own grouping
DEV_THEME = BUNDLED_THEMES / "default"  # the preview's own pages and files, apart from the site's theme
PANEL_LIMIT = 100  # problems listed in the page; the terminal prints them all


def is_watched(relative: Path) -> bool:
    """Sources, themes and settings count; hidden files and editor temporaries do not."""
    return not any(is_ignored_name(part) for part in relative.parts)


class Watcher:
    """File-system notifications (watchfiles: inotify, FSEvents, or polling where neither works).

    Two watches, because a watch on a single file is lost when an editor saves by renaming:
    the site folder itself, not recursive (site.yml, new top-level folders), and the watched
    folders recursively, restarted when one of them appears."""

    def __init__(self, root: Path, names: list[str], ignored: list[Path]):
        self.root, self.names = root, set(names)
        self.skip = tuple(str(p) + os.sep for p in ignored)
        self.filepath: str | None = None  # read by livereload when it reloads browsers
        self._queue: queue.SimpleQueue[str] = queue.SimpleQueue()
        self._stop, self._restart = threading.Event(), threading.Event()

    def start(self) -> "Watcher":
        threading.Thread(target=self._watch_site_folder, daemon=True).start()
        threading.Thread(target=self._watch_folders, daemon=True).start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self._restart.set()

    def watch_names(self, names: set[str]) -> None:
        """Follow a new list of top-level names (site.yml's `sources` changed)."""
        if names != self.names:
            self.names = set(names)
            self._restart.set()

    def changes(self) -> set[str]:
        found = set()
        while not self._queue.empty():
            found.add(self._queue.get())
        return found

    def wanted(self, _change, path: str) -> bool:
        relative = Path(os.path.relpath(path, self.root))
        return (relative.parts[0] in self.names and is_watched(relative)
                and not (path + os.sep).startswith(self.skip))

    def _watch(self, paths: list[Path], recursive: bool, stop: threading.Event):
        """Changed paths as watchfiles reports them, each queued (relative to the site) as it comes."""
        for changes in watchfiles.watch(*paths, watch_filter=self.wanted, recursive=recursive, debounce=1600,
                                        step=WATCH_STEP_MS, stop_event=stop, raise_interrupt=False):
            for _, path in changes:
                self._queue.put(os.path.relpath(path, self.root))
                yield path

    def _watch_site_folder(self) -> None:
        for path in self._watch([self.root], recursive=False, stop=self._stop):
            if os.path.isdir(path):
                self._restart.set()  # a watched folder was created: watch inside it too

    def _watch_folders(self) -> None:
        while not self._stop.is_set():
            self._restart.clear()
            folders = [self.root / name for name in sorted(self.names) if (self.root / name).is_dir()]
            if not folders:
                self._restart.wait()
                continue
            for _ in self._watch(folders, recursive=True, stop=self._restart):
                pass


@dataclass
class Debouncer:
    """Collects changes until none has arrived for `settle` seconds, so a burst is one rebuild."""

    settle: float = SETTLE_SECONDS
    pending: set[str] = field(default_factory=set)
    last_change: float = 0.0

    def add(self, paths: set[str], now: float) -> None:
        if paths:
            self.pending |= paths
            self.last_change = now

    def due(self, now: float) -> set[str] | None:
        if not self.pending or now - self.last_change < self.settle:
            return None
        due, self.pending = self.pending, set()
        return due


@dataclass
class Outcome:
    ok: bool  # the site was built, documents with errors left out; False when the whole build stopped
    written: list[str]
    rendered: int
    errors: list[str]  # what stopped the build
    diagnostics: tuple[Diagnostic, ...] = ()


class PreviewSite:
    """What the server shows: the last build in a private folder, or the error that stopped it."""

    def __init__(self, config_path: Path, drafts: bool, overrides: dict, folder: Path):
        self.config_path, self.drafts, self.overrides, self.folder = config_path, drafts, overrides, folder
        self.config: SiteConfig | None = None
        self.session: PreviewSession | None = None
        self.written: dict[str, bytes] = {}
        self.error_page: bytes | None = None
        self.base_path = "/"
        self.moved: dict[str, str] = {}  # old page path -> new one, after a retitle changed a slug
        self._paths: dict[str, str] = {}  # article key -> page path in the last build
        self.diagnostics: tuple[Diagnostic, ...] = ()  # what the last complete build reported
        self.panel = b""  # the diagnostics panel put into every page, or nothing
        self._run, self._builds = secrets.token_hex(4), 0  # a restarted server never repeats a generation
        self.search = PreviewSearch(folder, report=lambda message: click.echo(message, err=True))

    @property
    def generation(self) -> str:
        """Names what the preview folder holds; changes with every rebuild."""
        return f"{self._run}.{self._builds}"

    def rebuild(self, changed: set[str]) -> Outcome:
        self._builds += 1
        try:
            if self.session is None or any(p.endswith(self.config_path.name) for p in changed):
                self._load_config()
            result = self.session.rebuild(self._edited_sources(changed))
            self._remember_moves(result.index)
            current = {**result.files, **{file.path: file.source.read_bytes() for file in static_files(self.config)}}
            written = sync_site(current, self.folder, self.written)
            self.written = current
            self.search.changed(written)  # re-indexes in the background; see SearchIndexHandler
            self.error_page = None  # a document with errors is left out, as `digest build` leaves it out
            self._report(tuple(result.diagnostics.reported))
            return Outcome(True, written, len(result.rendered), [], self.diagnostics)
        except (ConfigError, OutputError) as error:
            return self._failed(str(error))
        except TemplateError as error:
            return self._failed(describe_template_error(error))
        except Exception as error:  # a bug must not take the writer's server down with it
            return self._failed(f"{type(error).__name__}: {error}")

    def _edited_sources(self, changed: set[str]) -> set[Path] | None:
        """The changed paths when all lie in source folders, so the session need not list 10,000 files."""
        in_sources = all(Path(p).parts[0] in self.config.sources for p in changed)
        return {self.config_path.parent / p for p in changed} if changed and in_sources else None

    def _remember_moves(self, index) -> None:
        """A page open in the browser when its slug changes reloads at its new address, not a 404."""
        paths = {entry.article.key: entry.path for entry in index.entries + index.standalone}
        for key, path in paths.items():
            old = self._paths.get(key)
            if old and old != path:
                self.moved = {was: (path if now == old else now) for was, now in self.moved.items()}
                self.moved[old] = path
        for path in paths.values():
            self.moved.pop(path, None)
        self._paths = paths

    def _load_config(self) -> None:
        self.config = load_config(self.config_path, self.overrides)
        self.base_path = self.config.base_path
        self.session = PreviewSession(self.config, drafts=self.drafts)

    def _failed(self, message: str) -> Outcome:
        self.session = None  # start afresh once the cause is fixed
        self.error_page = render_error_page(message.splitlines())
        self._report(())
        return Outcome(False, [], 0, message.splitlines())

    def _report(self, diagnostics: tuple[Diagnostic, ...]) -> None:
        self.diagnostics = diagnostics
        self.panel = render_panel([d for d in diagnostics if d.severity != "info"])

    def decorate(self, page: bytes, reload_port: int) -> bytes:
        """A served page with the preview's scripts and style in its head and the panel opening its body."""
        head = (f'<link rel="stylesheet" href="/__digest/preview.css">'
                f'<script src="/__digest/preview.js" data-generation="{self.generation}"></script>'
                f'<script src="/livereload.js?port={reload_port}"></script>').encode()
        return insert_into(page, head, self.panel)


@dataclass(frozen=True)
class PublishedSite:
    """A finished output folder, served as GitHub Pages serves it (`digest serve-output`): no rebuilds,
    no reload script, no error page."""

    folder: Path
    base_path: str
    error_page: None = None
    moved: dict = field(default_factory=dict)


def dev_template(name: str):
    """From the bundled theme, apart from the site's templates, which may be what is broken."""
    return Environment(loader=FileSystemLoader(DEV_THEME / "templates"), autoescape=True).get_template(name)


def render_error_page(errors: list[str]) -> bytes:
    return dev_template("dev_error.html").render(errors=errors).encode()


@dataclass(frozen=True)
class PanelItem:
    severity: str
    where: str
    message: str


def render_panel(problems: list[Diagnostic]) -> bytes:
    """The warnings and errors, errors first; nothing when there are none. The key changes with the
    list, so a dismissed panel comes back when something new is reported."""
    if not problems:
        return b""
    ordered = sorted(problems, key=lambda d: d.severity != "error")
    items = [PanelItem(d.severity, location(d), d.message) for d in ordered[:PANEL_LIMIT]]
    key = hashlib.sha256("\n".join(map(str, ordered)).encode()).hexdigest()[:16]
    return dev_template("dev_panel.html").render(items=items, more=len(problems) - len(items),
                                                 summary=tally(problems), key=key).encode()


def tally(diagnostics) -> str:
    """"1 error and 2 warnings"; "" when there are neither."""
    counts = [(sum(d.severity == severity for d in diagnostics), severity) for severity in ("error", "warning")]
    return " and ".join(f"{n} {severity}{'s' * (n != 1)}" for n, severity in counts if n)


def location(diagnostic: Diagnostic) -> str:
    """file:line:column, as the terminal shows it."""
    where = diagnostic.path if diagnostic.path.isprintable() else repr(diagnostic.path)
    if diagnostic.line is not None:
        where += f":{diagnostic.line}"
        if diagnostic.column is not None:
            where += f":{diagnostic.column}"
    return where


HEAD_END = re.compile(rb"</head\s*>", re.IGNORECASE)
BODY_START = re.compile(rb"<body(?:\s[^>]*)?>", re.IGNORECASE)


def insert_into(page: bytes, head: bytes, body: bytes) -> bytes:
    """`head` before </head> and `body` after <body>; where a page lacks them (a template may leave
    them out), before the body, or at the end, so the page still reloads."""
    opening = BODY_START.search(page)
    if opening:
        page = page[:opening.end()] + body + page[opening.end():]
    else:
        page += body
    closing = HEAD_END.search(page) or BODY_START.search(page)
    if closing:
        return page[:closing.start()] + head + page[closing.start():]
    return page + head


class PreviewHandler(web.RequestHandler):
    def initialize(self, site: PreviewSite | PublishedSite, reload_port: int | None = None):
        self.site, self.reload_port = site, reload_port

    def set_default_headers(self):
        self.set_header("Cache-Control", "no-store")

    def get(self, path: str):
        url_path = "/" + path
        if self.site.error_page is not None and Path(path).suffix in ("", ".html"):
            return self._send(500, self.site.error_page, "text/html; charset=utf-8")
        if not url_path.startswith(self.site.base_path):
            if url_path == "/" or url_path + "/" == self.site.base_path:
                return self.redirect(self.site.base_path)
            return self._not_found()
        relative = url_path[len(self.site.base_path):]
        try:
            target = contained(self.site.folder, relative) if relative else self.site.folder
        except OutputError:
            return self._not_found()
        if target.is_dir():
            if relative and not relative.endswith("/"):
                return self.redirect(url_path + "/")
            target = target / "index.html"
        if not target.is_file():
            if relative in self.site.moved:
                return self.redirect(self.site.base_path + self.site.moved[relative])
            return self._not_found()
        kind = mimetypes.guess_type(target.name)[0] or "application/octet-stream"
        self._send(200, target.read_bytes(), kind + ("; charset=utf-8" if kind.startswith("text/") else ""))

    def _not_found(self):
        page = self.site.folder / "404.html"
        self._send(404, page.read_bytes() if page.is_file() else b"Not found", "text/html; charset=utf-8")

    def _send(self, status: int, body: bytes, content_type: str):
        if self.reload_port is not None and content_type.startswith("text/html"):
            body = self.site.decorate(body, self.reload_port)
        self.set_status(status)
        self.set_header("Content-Type", content_type)
        self.finish(body)


class SearchIndexHandler(PreviewHandler):
    """A request for the search index waits for the indexing under way, so a search finds the last edit."""

    async def get(self, path: str):
        await asyncio.get_running_loop().run_in_executor(None, self.site.search.wait, 300)
        super().get(path)


class ReloadSocket(LiveReloadHandler):
    """livereload's socket, open only to pages this server served, and reloading at once a page that
    connects showing an older build than the current one: the reload sent after that build came
    while the page was loading or reconnecting, when no socket of it was there to receive it."""

    allowed_origins: set[str] = set()

    def initialize(self, site: PreviewSite):
        self.site = site

    def check_origin(self, origin: str) -> bool:
        return origin in self.allowed_origins

    def on_message(self, message):
        super().on_message(message)  # registers the page for reloads on its "info" message
        if self in LiveReloadHandler.waiters and shown_generation(message) not in (None, self.site.generation):
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
    names = {host, f"[{host}]"} | ({"127.0.0.1", "localhost", "[::1]"} if host in ("127.0.0.1", "localhost", "::1") else set())
    return {f"http://{name}:{port}" for name in names}


def make_app(site: PreviewSite, port: int) -> web.Application:
    return web.Application(
        [(r"/livereload", ReloadSocket, {"site": site}), (r"/livereload.js", LiveReloadJSHandler),
         (r"/__digest/(preview\.js|preview\.css)", PreviewAsset, {"path": str(DEV_THEME / "preview")}),
         (rf"/((?:.*/)?{BUNDLE}/.*)", SearchIndexHandler, {"site": site}),
         (r"/(.*)", PreviewHandler, {"site": site, "reload_port": port})],
        log_function=lambda handler: None,  # one line per rebuild is what the writer reads, not per request
    )


def reload_browsers(watcher: Watcher, changed: set[str]) -> None:
    watcher.filepath = sorted(changed)[0] if changed else "*"
    LiveReloadHandler.watcher = watcher
    LiveReloadHandler.reload_waiters("*")


def describe(changed: set[str]) -> str:
    first = sorted(changed)[0] if changed else "start"
    return first + (f" (+{len(changed) - 1} more)" if len(changed) > 1 else "")


def watched_names(config: SiteConfig, settings: str = "site.yml") -> list[str]:
    """The top-level files and folders whose changes matter: settings, theme, overrides, sources."""
    return [settings, "themes", "templates", "static", *(Path(s).parts[0] for s in config.sources)]


def settle_memory() -> None:
    """Collect the last build's garbage now, after the reload was sent, then freeze what survives:
    with 10,000 articles in memory a cyclic-GC pass walks every one of them, and one striking in
    the middle of a rebuild added up to 150 ms to it."""
    gc.unfreeze()
    gc.collect()
    gc.freeze()


class RebuildLoop:
    """Called every POLL_SECONDS on the server's thread: watch, debounce, rebuild, reload."""

    def __init__(self, site: PreviewSite, watcher: Watcher, debouncer: Debouncer | None = None, echo=click.echo):
        self.site, self.watcher, self.echo = site, watcher, echo
        self.debouncer = debouncer or Debouncer()
        self.shown_errors: list[str] = []
        self.shown_diagnostics: set[str] = set()

    def tick(self) -> None:
        now = time.monotonic()
        self.debouncer.add(self.watcher.changes(), now)
        changed = self.debouncer.due(now)
        if changed:
            self.rebuild(changed)

    def rebuild(self, changed: set[str]) -> Outcome:
        started = time.perf_counter()
        outcome = self.site.rebuild(changed)
        if self.site.config is not None:
            self.watcher.watch_names(set(watched_names(self.site.config, self.site.config_path.name)))
        elapsed = 1000 * (time.perf_counter() - started)
        self.show_errors(outcome.errors)
        if outcome.ok:
            self.show_diagnostics(outcome.diagnostics)
        clock = time.strftime("%H:%M:%S")
        if outcome.ok:
            self.echo(f"{clock} {describe(changed)}: {len(outcome.written)} files written "
                      f"({outcome.rendered} rendered) in {elapsed:.0f} ms{problems(outcome.diagnostics)}")
        else:
            self.echo(f"{clock} {describe(changed)}: build has errors; the browser shows them until they are fixed")
        reload_browsers(self.watcher, changed)
        settle_memory()
        return outcome

    def show_errors(self, errors: list[str]) -> None:
        """Each distinct error once, not on every poll or every rebuild."""
        if errors and errors != self.shown_errors:
            for error in errors:
                self.echo(error, err=True)
        self.shown_errors = errors

    def show_diagnostics(self, diagnostics: tuple[Diagnostic, ...]) -> None:
        """Those not reported by the last complete build: each once, however many rebuilds report it."""
        shown = set()
        for line in map(str, diagnostics):
            if line not in self.shown_diagnostics and line not in shown:
                self.echo(line, err=True)
            shown.add(line)
        self.shown_diagnostics = shown


def problems(diagnostics: tuple[Diagnostic, ...]) -> str:
    counted = tally(diagnostics)
    return f"; {counted}, listed in the page" if counted else ""


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


def serve_published(config: SiteConfig, folder: Path, host: str, port: int) -> None:
    """Serve a built folder under the base path it was built for, on loopback unless asked."""
    if not (folder / "index.html").is_file():
        raise click.ClickException(f"{folder} holds no built site; run `make build` first")
    site = PublishedSite(folder.resolve(), config.base_path)
    listen(web.Application([(r"/(.*)", PreviewHandler, {"site": site})], log_function=lambda handler: None),
           host, port)
    stop_on_signals()
    host_in_url = f"[{host}]" if ":" in host else host
    click.echo(f"Serving {folder} as published at http://{host_in_url}:{port}{config.base_path}  (Ctrl-C to stop)")
    run_until_stopped()


def serve(config_path: Path, host: str, port: int, drafts: bool, overrides: dict) -> None:
    config_path = config_path.resolve()
    root = config_path.parent
    folder = Path(tempfile.mkdtemp(prefix="digest-preview-"))
    site = PreviewSite(config_path, drafts, overrides, folder)
    try:
        listen(make_app(site, port), host, port)
    except click.ClickException:
        shutil.rmtree(folder, ignore_errors=True)
        raise
    ReloadSocket.allowed_origins = allowed_origins(host, port)
    watcher = Watcher(root, watched_names(SiteConfig(root=root), config_path.name),
                      ignored=[root / "output", root / ".cache", folder]).start()
    loop = RebuildLoop(site, watcher)
    loop.rebuild(set())
    stop_on_signals()
    host_in_url = f"[{host}]" if ":" in host else host
    click.echo(f"Serving the site {'with' if drafts else 'without'} drafts at "
               f"http://{host_in_url}:{port}{site.base_path}  (Ctrl-C to stop)")
    if host not in ("127.0.0.1", "localhost", "::1"):
        click.echo(f"Warning: listening on {host}: other machines can reach this preview.", err=True)
    ioloop.PeriodicCallback(loop.tick, POLL_SECONDS * 1000).start()
    try:
        run_until_stopped()
    finally:
        watcher.stop()
        site.search.stop()
        shutil.rmtree(folder, ignore_errors=True)
        click.echo("Stopped.")
