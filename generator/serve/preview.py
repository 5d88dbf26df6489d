"""The preview's site: each rebuild's files kept in memory, or the error that stopped the build,
published as one `Shown`."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from pathlib import Path

from jinja2 import TemplateError

from generator.config import ConfigError, SiteConfig, load_config
from generator.diagnostics import Diagnostic
from generator.output import OutputError, changed_files
from generator.render import describe_template_error
from generator.serve.pages import preview_head, render_error_page, render_panel
from generator.serve.server import MemoryFiles, Shown
from generator.session import PreviewSession
from generator.theme import static_files


@dataclass(frozen=True)
class Outcome:
    ok: bool  # the site was built, documents with errors left out; False when the whole build stopped
    written: list[str]
    rendered: int
    errors: list[str]  # what stopped the build
    diagnostics: tuple[Diagnostic, ...] = ()


class PreviewSite:
    """Rebuilt from one thread at a time; read from any through `shown`, which is replaced, never changed."""

    def __init__(self, config_path: Path, drafts: bool, overrides: dict, reload_port: int = 0):
        self.config_path, self.drafts, self.overrides = config_path, drafts, overrides
        self.reload_port = reload_port
        self.config: SiteConfig | None = None
        self.session: PreviewSession | None = None
        self.written: dict[str, bytes] = {}
        self._moved: dict[str, str] = {}
        self._paths: dict[str, str] = {}  # article key -> page path in the last build
        self.diagnostics: tuple[Diagnostic, ...] = ()  # what the last complete build reported
        self._run, self._builds = secrets.token_hex(4), 0  # a restarted server never repeats a generation
        self.shown = Shown("/", MemoryFiles({}))

    @property
    def generation(self) -> str:
        """Names what the preview shows; changes with every rebuild."""
        return f"{self._run}.{self._builds}"

    def rebuild(self, changed: set[str]) -> Outcome:
        self._builds += 1
        try:
            if self.session is None or any(p.endswith(self.config_path.name) for p in changed):
                self._load_config()
            result = self.session.rebuild(self._edited_sources(changed))
            self._remember_moves(result.index)
            current = {**result.files, **{file.path: file.source.read_bytes() for file in static_files(self.config)}}
            written = changed_files(current, self.written)
            self.written = current
            # a document with errors is left out, as `digest build` leaves it out
            self._show(tuple(result.diagnostics.reported))
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
                self._moved = {was: (path if now == old else now) for was, now in self._moved.items()}
                self._moved[old] = path
        for path in paths.values():
            self._moved.pop(path, None)
        self._paths = paths

    def _load_config(self) -> None:
        self.config = load_config(self.config_path, self.overrides)
        self.session = PreviewSession(self.config, drafts=self.drafts)

    def _failed(self, message: str) -> Outcome:
        self.session = None  # start afresh once the cause is fixed
        self._show((), error_page=render_error_page(message.splitlines()))
        return Outcome(False, [], 0, message.splitlines())

    def _show(self, diagnostics: tuple[Diagnostic, ...], error_page: bytes | None = None) -> None:
        self.diagnostics = diagnostics
        self.shown = Shown(
            base_path=self.config.base_path if self.config else self.shown.base_path,
            files=MemoryFiles(self.written), error_page=error_page, moved=dict(self._moved),
            head=preview_head(self.generation, self.reload_port),
            panel=render_panel([d for d in diagnostics if d.severity != "info"]), generation=self.generation)
