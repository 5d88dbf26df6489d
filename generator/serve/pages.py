"""The preview's own additions to what it serves: the page shown when the build stops, the panel of
warnings and errors, and the scripts put into each page. Added as pages are served, never built."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass

from jinja2 import Environment, FileSystemLoader

from generator.config import BUNDLED_THEMES
from generator.diagnostics import Diagnostic

DEV_THEME = BUNDLED_THEMES / "default"  # the preview's own pages and files, apart from the site's theme
PANEL_LIMIT = 100  # problems listed in the page; the terminal prints them all


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
    return dev_template("dev_panel.html").render(items=items, more=len(problems) - len(items), summary=tally(problems),
                                                 errors=any(d.severity == "error" for d in problems), key=key).encode()


def preview_head(generation: str, reload_port: int) -> bytes:
    """The preview's style and scripts: the generation lets a page that missed a reload catch up."""
    return (f'<link rel="stylesheet" href="/__digest/preview.css">'
            f'<script src="/__digest/preview.js" data-generation="{generation}"></script>'
            f'<script src="/livereload.js?port={reload_port}"></script>').encode()


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
