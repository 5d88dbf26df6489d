"""Command line: `digest build`, `digest images` and the rest (also as `python -m generator ...`)."""

from __future__ import annotations

import gc
import sys
from pathlib import Path

import click

from generator import __version__
from generator.build import build
from generator.config import CONFIG_NAME, ConfigError, load_config
from generator.output import OutputError


@click.group()
@click.version_option(__version__, prog_name="digest")
def main() -> None:
    """Build the AI-in-healthcare news digest as a static site."""


@main.command("build")
@click.option("--config", "config_path", type=click.Path(dir_okay=False, path_type=Path), default=CONFIG_NAME,
              show_default=True, help="Site settings file; its folder is the site folder.")
@click.option("--drafts", is_flag=True, help="Include drafts, marked with a 'Draft' badge.")
@click.option("--output", type=click.Path(file_okay=False, path_type=Path), help="Output folder (default: from site.yml).")
@click.option("--base-path", help="URL path the site is served under, e.g. /digest/ (overrides site.yml).")
@click.option("--strict", is_flag=True, help="Treat any warning as an error: report all, write nothing, exit 1.")
@click.option("--quiet", is_flag=True, help="Print only the summary line and errors.")
@click.option("--no-cache", is_flag=True, help="Read every document afresh, ignoring .cache/.")
def build_command(config_path: Path, drafts: bool, output: Path | None, base_path: str | None,
                  strict: bool, quiet: bool, no_cache: bool) -> None:
    """Build the site into the output folder, replacing it only when the build is complete."""
    try:
        config = load_config(config_path, {"base_path": base_path})
        report = build(config, output=output, drafts=drafts, strict=strict, use_cache=not no_cache)
    except (ConfigError, OutputError) as exc:
        _fail(str(exc))
    except Exception as exc:
        _fail(_template_error(exc))
    # What the build left is never collected again: the interpreter's last collection at exit would walk
    # all of it (0.3 s of a 6 s build at 10,000 stories).
    gc.freeze()
    for diagnostic in report.diagnostics.reported:
        if not quiet or diagnostic.severity == "error":
            click.echo(str(diagnostic), err=True)
    click.echo(report.summary())
    if strict and report.diagnostics.items:
        _fail(f"--strict: {len(report.diagnostics.items)} problem(s) reported; output left unchanged")


def _template_error(exc: Exception) -> str:
    """A template's mistake as the writer needs it (`file:line: Kind: message`); anything else is raised
    again. Jinja is imported here, not at start: a build with nothing changed never needs it."""
    from jinja2 import TemplateError

    from generator.render import describe_template_error

    if not isinstance(exc, TemplateError):
        raise exc
    return describe_template_error(exc)


def _fail(message: str) -> None:
    click.echo(f"digest: error: {message}", err=True)
    sys.exit(1)


@main.command("images")
@click.option("--config", "config_path", type=click.Path(dir_okay=False, path_type=Path), default=CONFIG_NAME,
              show_default=True, help="Site settings file; its folder is the site folder.")
@click.option("--base-path", help="URL path the live site is served under, e.g. /digest/ (overrides site.yml).")
@click.option("--verbose", is_flag=True, help="Name every image that failed, and why.")
def images_command(config_path: Path, base_path: str | None, verbose: bool) -> None:
    """Fetch into the image store every image the stories name that it lacks: from the live site's copy
    first, then from the outlet. Run before `digest build`, which never fetches.

    A failed image is reported, never fatal: its story shows no image until a later run stores it."""
    from generator.images.command import update_store

    try:
        report = update_store(load_config(config_path, {"base_path": base_path}), show_progress=sys.stderr.isatty())
    except (ConfigError, OutputError) as exc:
        _fail(str(exc))
    click.echo(report.summary(verbose))


@main.command("fetch")
@click.option("--config", "config_path", type=click.Path(dir_okay=False, path_type=Path), default=CONFIG_NAME,
              show_default=True, help="Site settings file; its folder is the site folder.")
@click.option("--opml", type=click.Path(dir_okay=False, path_type=Path),
              help="The subscriptions to read (overrides `subscriptions` in site.yml).")
@click.option("--strict", is_flag=True, help="Exit 1 when any feed failed.")
@click.option("--verbose", is_flag=True, help="Name every file written.")
def fetch_command(config_path: Path, opml: Path | None, strict: bool, verbose: bool) -> None:
    """Write each new story of the subscriptions' feeds as a seed document. Run before `digest build`,
    which never fetches. A feed that fails is reported, and the others go on."""
    from generator.intake.command import run_fetch

    try:
        report = run_fetch(load_config(config_path), opml, show_progress=sys.stderr.isatty())
    except ConfigError as exc:
        _fail(str(exc))
    click.echo(report.summary(verbose))
    if strict and report.failures:
        sys.exit(1)


@main.command("serve")
@click.option("--config", "config_path", type=click.Path(dir_okay=False, path_type=Path), default=CONFIG_NAME,
              show_default=True, help="Site settings file; its folder is the site folder.")
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on (loopback unless asked).")
@click.option("--port", default=8000, show_default=True, type=click.IntRange(1, 65535))
@click.option("--no-drafts", is_flag=True, help="Preview without drafts, as `digest build` publishes.")
@click.option("--base-path", help="URL path to serve under (default: from site.yml).")
def serve_command(config_path: Path, host: str, port: int, no_drafts: bool, base_path: str | None) -> None:
    """Preview the site, rebuilding on every change and reloading the browser.

    The preview is built into a private temporary folder; output/ is left alone."""
    from generator.serve import serve

    try:
        load_config(config_path, {"base_path": base_path})  # a bad setting stops here, before the server starts
    except ConfigError as exc:
        _fail(str(exc))
    serve(config_path, host, port, drafts=not no_drafts, overrides={"base_path": base_path})


@main.command("serve-output")
@click.option("--config", "config_path", type=click.Path(dir_okay=False, path_type=Path), default=CONFIG_NAME,
              show_default=True, help="Site settings file; its folder is the site folder.")
@click.option("--output", type=click.Path(file_okay=False, path_type=Path), help="Built folder (default: from site.yml).")
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on (loopback unless asked).")
@click.option("--port", default=8000, show_default=True, type=click.IntRange(1, 65535))
def serve_output_command(config_path: Path, output: Path | None, host: str, port: int) -> None:
    """Serve the built output folder under its base path, as GitHub Pages will: a last look before publishing.

    Nothing is rebuilt; run `digest build` first."""
    from generator.serve import serve_published

    try:
        config = load_config(config_path)
    except ConfigError as exc:
        _fail(str(exc))
    serve_published(config, output or config.output_dir, host, port)


@main.command("clusters")
@click.option("--config", "config_path", type=click.Path(dir_okay=False, path_type=Path), default=CONFIG_NAME,
              show_default=True, help="Site settings file; its folder is the site folder.")
@click.option("--drafts", is_flag=True, help="Include drafts, as `digest build --drafts` does.")
def clusters_command(config_path: Path, drafts: bool) -> None:
    """List every story told by more than one document, as the build merges them, for an editor to review.

    A document can opt out with `cluster: false`, or name its story with `story: <key>`."""
    from generator.stories_report import describe_stories

    try:
        click.echo(describe_stories(load_config(config_path), drafts))
    except ConfigError as exc:
        _fail(str(exc))
