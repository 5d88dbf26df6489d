"""The two servers, wired from their parts:

- `watch`: file-system notifications and the debouncer;
- `preview`: the preview's site, rebuilt with drafts into memory and a private folder;
- `loop`: watch, debounce, rebuild on a thread of its own, reload the browsers;
- `pages`: the preview's error page, problem panel and scripts, added as pages are served;
- `server`: HTTP as GitHub Pages answers it, the reload socket, listening and stopping.

`digest serve` rebuilds on every change; `digest serve-output` serves a finished folder."""

from __future__ import annotations

from pathlib import Path

import click

from generator.config import SiteConfig
from generator.serve.loop import RebuildLoop
from generator.serve.preview import PreviewSite
from generator.serve.server import (LOOPBACK_NAMES, FolderFiles, Shown, listen, preview_app, published_app,
                                    run_until_stopped, stop_on_signals, url)
from generator.serve.watch import Watcher, watched_names


def serve_published(config: SiteConfig, folder: Path, host: str, port: int) -> None:
    """Serve a built folder under the base path it was built for, on loopback unless asked."""
    if not (folder / "index.html").is_file():
        raise click.ClickException(f"{folder} holds no built site; run `make build` first")
    listen(published_app(Shown(config.base_path, FolderFiles(folder.resolve())), host), host, port)
    stop_on_signals()
    click.echo(f"Serving {folder} as published at {url(host, port, config.base_path)}  (Ctrl-C to stop)")
    run_until_stopped()


def serve(config_path: Path, host: str, port: int, drafts: bool, overrides: dict) -> None:
    config_path = config_path.resolve()
    root = config_path.parent
    site = PreviewSite(config_path, drafts, overrides, reload_port=port)
    listen(preview_app(lambda: site.shown, host, port), host, port)
    watcher = Watcher(root, watched_names(SiteConfig(root=root), config_path.name),
                      ignored=[root / "output", root / ".cache"]).start()
    loop = RebuildLoop(site, watcher)
    loop.rebuild(set())
    stop_on_signals()
    click.echo(f"Serving the site {'with' if drafts else 'without'} drafts at "
               f"{url(host, port, site.shown.base_path)}  (Ctrl-C to stop)")
    if host not in LOOPBACK_NAMES:
        click.echo(f"Warning: listening on {host}: other machines can reach this preview.", err=True)
    loop.start()
    try:
        run_until_stopped()
    finally:
        watcher.stop()
        loop.stop()
        click.echo("Stopped.")
