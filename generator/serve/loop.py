"""Watch, debounce, rebuild, reload. The rebuild runs on a thread of its own, so the server keeps
answering from the last build meanwhile; the reload is sent from the server's thread once it is done.

A reload sent while a page is loading or reconnecting would be lost, so every rebuild has a
generation, each page served names the one it shows, and a page that connects with an older one
is reloaded at once (see server.ReloadSocket)."""

from __future__ import annotations

import gc
import time
from concurrent.futures import ThreadPoolExecutor

import click
from livereload.handlers import LiveReloadHandler
from tornado import ioloop

from generator.diagnostics import Diagnostic
from generator.serve.pages import tally
from generator.serve.preview import Outcome, PreviewSite
from generator.serve.watch import Debouncer, Watcher, watched_names

POLL_SECONDS = 0.01


class RebuildLoop:
    def __init__(self, site: PreviewSite, watcher: Watcher, debouncer: Debouncer | None = None, echo=click.echo):
        self.site, self.watcher, self.echo = site, watcher, echo
        self.debouncer = debouncer or Debouncer()
        self.shown_errors: list[str] = []
        self.shown_diagnostics: set[str] = set()
        self._builder = ThreadPoolExecutor(1, thread_name_prefix="rebuild")
        self._building = False

    def start(self) -> None:
        """Called from here on every POLL_SECONDS on the server's thread."""
        ioloop.PeriodicCallback(self.tick, POLL_SECONDS * 1000).start()

    def stop(self) -> None:
        """Let a rebuild under way finish before its folder goes."""
        self._builder.shutdown(wait=True, cancel_futures=True)

    def tick(self) -> None:
        now = time.monotonic()
        self.debouncer.add(self.watcher.changes(), now)
        if self._building:
            return  # saves meanwhile wait for the next rebuild
        changed = self.debouncer.due(now)
        if changed:
            self._building = True
            io_loop = ioloop.IOLoop.current()
            done = self._builder.submit(self.rebuild, changed)
            done.add_done_callback(lambda _: io_loop.add_callback(self._built, changed))

    def _built(self, changed: set[str]) -> None:
        self._building = False
        reload_browsers(self.watcher, changed)

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


def reload_browsers(watcher: Watcher, changed: set[str]) -> None:
    watcher.filepath = sorted(changed)[0] if changed else "*"
    LiveReloadHandler.watcher = watcher
    LiveReloadHandler.reload_waiters("*")


def describe(changed: set[str]) -> str:
    first = sorted(changed)[0] if changed else "start"
    return first + (f" (+{len(changed) - 1} more)" if len(changed) > 1 else "")


def problems(diagnostics: tuple[Diagnostic, ...]) -> str:
    counted = tally(diagnostics)
    return f"; {counted}, listed in the page" if counted else ""


def settle_memory() -> None:
    """Collect the last build's garbage now, then freeze what survives: with 10,000 articles in memory
    a cyclic-GC pass walks every one of them, and one striking in the middle of a rebuild added up to
    150 ms to it."""
    gc.unfreeze()
    gc.collect()
    gc.freeze()
