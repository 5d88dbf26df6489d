"""Images the site owns: `digest images` fetches fixtures served on loopback into the store, and the
build publishes them under the site's own address, read back as a reader, a subscriber and a mail
client see them. The fetches reach this machine only."""

from __future__ import annotations

import hashlib
import http.server
import json
import re
import shutil
import subprocess
import sys
import time
from dataclasses import replace
from datetime import date
from io import BytesIO
from pathlib import Path

import feedparser
import pytest
from PIL import Image

from conftest import REPO
from generator.build import build
from generator.config import load_config
from generator.fetch import ALLOW_LOOPBACK, Limits
from generator.images import command
from generator.images.command import update_store
from generator.images.store import FAILED, store_dir
from browser import browser  # noqa: F401  (fixture)
from imagestore import picture, stock
from readers import news
from sitecheck import listening, serving

FAST = Limits(connect_seconds=2, read_seconds=0.5, total_seconds=2)


def photo_with_location() -> bytes:
    """A large camera photo whose EXIF says where it was taken and by whom."""
    image = Image.linear_gradient("L").resize((3000, 2000)).convert("RGB")
    exif = image.getexif()
    exif[0x013B] = "Dr. Secret Photographer"  # Artist
    gps = exif.get_ifd(0x8825)
    gps.update({1: "N", 2: (48.0, 8.0, 10.0), 3: "E", 4: (11.0, 34.0, 5.0)})
    out = BytesIO()
    image.save(out, "JPEG", exif=exif, quality=90)
    return out.getvalue()


def transparent_png() -> bytes:
    image = Image.new("RGBA", (800, 600), (200, 30, 30, 0))
    image.paste((200, 30, 30, 255), (200, 150, 600, 450))
    out = BytesIO()
    image.save(out, "PNG")
    return out.getvalue()


def huge_png() -> bytes:
    """A few kilobytes that decode to 100 million pixels."""
    out = BytesIO()
    Image.new("1", (10_000, 10_000)).save(out, "PNG")
    return out.getvalue()


FIXTURES = {  # path -> (status, headers, body); a body of None is answered by the handler itself
    "/photo.jpg": (200, {"Content-Type": "image/jpeg"}, photo_with_location()),
    "/alpha.png": (200, {"Content-Type": "image/png"}, transparent_png()),
    "/page.jpg": (200, {"Content-Type": "image/jpeg"}, b"<!doctype html><title>Not an image</title>" * 20),
    "/huge.png": (200, {"Content-Type": "image/png"}, huge_png()),
    "/missing.jpg": (404, {}, b"gone"),
    "/slow.jpg": (200, {"Content-Type": "image/jpeg", "Content-Length": "100000"}, None),
    "/to-private.jpg": (302, {"Location": "http://10.20.30.40/photo.jpg"}, b""),
    "/to-metadata.jpg": (302, {"Location": "http://169.254.169.254/latest/meta-data/"}, b""),
}
STORED, REFUSED = {"/photo.jpg", "/alpha.png"}, set(FIXTURES) - {"/photo.jpg", "/alpha.png"}


class Outlet(http.server.BaseHTTPRequestHandler):
    asked: list[str] = []

    def do_GET(self):
        self.asked.append(self.path)
        status, headers, body = FIXTURES.get(self.path, (404, {}, b""))
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        if body is None:  # a server that stops sending
            self.end_headers()
            self.wfile.write(b"\xff\xd8\xff")
            self.wfile.flush()
            time.sleep(3)
            return
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


def outlet():
    return listening(Outlet)


def make_site(root: Path, origin: str, **settings):
    (root / "seeds").mkdir(parents=True)
    shutil.copytree(REPO / "themes", root / "themes")
    lines = {"url": "https://example.org", "base_path": "/digest/", "sources": "[seeds]", **settings}
    (root / "site.yml").write_text("".join(f"{k}: {v}\n" for k, v in lines.items()))
    config = load_config(root / "site.yml", environ={})
    for n, path in enumerate(sorted(FIXTURES)):
        news(config, f"{n:02d}.md", f"Story number {n} about {path.strip('/')}", f"2026-06-{10 + n:02d}T09:00:00Z",
             f"https://outlet.example/{n}", "Outlet", images=[{"url": origin + path, "width": 3000,
                                                               "height": 2000, "title": f"Picture {n}"}])
    return config


@pytest.fixture
def fetched(tmp_path, monkeypatch):
    """A site naming every fixture, after one `digest images` run and one build."""
    monkeypatch.setenv(ALLOW_LOOPBACK, "1")
    with outlet() as origin:
        config = make_site(tmp_path / "site", origin)
        report = update_store(config, limits=FAST, today=date(2026, 6, 30))
    build(config, output=tmp_path / "out", show_progress=False)
    return config, origin, report, tmp_path / "out"


def page_of(out: Path, path: str) -> str:
    [page] = out.glob(f"2026/*/*{path.strip('/').replace('.', '-')}/index.html")
    return page.read_text()


def own_images(html: str) -> list[str]:
    return re.findall(r'<img [^>]*\bsrc="([^"]+)"', html)


def test_the_store_keeps_pictures_and_refuses_everything_else(fetched):
    config, _, report, _ = fetched
    assert report.fetched == len(STORED) and report.kept == 0
    assert sorted(f.url.rsplit("/", 1)[1] for f in report.failures) == sorted(p.strip("/") for p in REFUSED)
    reasons = {f.url.rsplit("/", 1)[1]: f.reason.name for f in report.failures}
    assert reasons == {"page.jpg": "NOT_IMAGE", "huge.png": "TOO_MANY_PIXELS", "missing.jpg": "STATUS",
                       "slow.jpg": "TIMEOUT", "to-private.jpg": "ADDRESS", "to-metadata.jpg": "ADDRESS"}
    summary = report.summary()
    assert "2 fetched" in summary and "6 failed" in summary and "not an image" in summary


def test_stored_files_are_resized_stripped_and_the_same_bytes_every_time(fetched, tmp_path, monkeypatch):
    config, _, _, _ = fetched
    files = sorted(p for p in store_dir(config).rglob("*") if p.suffix in (".webp", ".jpg"))
    assert files
    for path in files:
        with Image.open(path) as image:
            assert max(image.size) <= 1440 * 2 and image.width <= 1440
            assert not image.getexif(), f"{path.name} keeps no EXIF (where and by whom it was taken)"
            assert b"Secret" not in path.read_bytes()
    alpha = [p for p in files if p.name.endswith("-thumb.webp")]
    assert any(Image.open(p).mode == "RGBA" for p in alpha), "a transparent PNG stays transparent on pages"
    assert all(Image.open(p).mode == "RGB" for p in files if p.suffix == ".jpg"), "JPEG for mail is laid on white"
    monkeypatch.setenv(ALLOW_LOOPBACK, "1")
    with outlet() as origin:
        again = make_site(tmp_path / "again", origin)
        update_store(again, limits=FAST)
    def digests(folder):
        return sorted(hashlib.sha256(p.read_bytes()).hexdigest() for p in folder.rglob("*.webp"))
    assert digests(store_dir(again)) == digests(store_dir(config)), "the same pictures give the same bytes"


def test_pages_show_the_sites_own_copy_with_sizes_and_no_hot_link(fetched):
    _, origin, _, out = fetched
    story = page_of(out, "photo.jpg")
    [hero] = re.findall(r'<figure class="hero">\s*(<img [^>]+>)', story)
    assert re.search(r'src="/digest/images/[0-9a-f]{2}/[0-9a-f]{32}-720\.webp"', hero)
    assert re.search(r'srcset="[^"]*-360\.webp 360w, [^"]*-720\.webp 720w, [^"]*-1440\.webp 1440w"', hero)
    assert 'width="720" height="480"' in hero and 'alt="Picture' in hero and "sizes=" in hero
    for src in re.findall(r'(?:src|srcset)="([^"]+)"', story):
        for url in src.split(", "):
            assert (out / url.split()[0].removeprefix("/digest/")).is_file(), url
    assert origin not in "".join(p.read_text() for p in out.rglob("*.html")), "no page names the outlet's image"
    refused = page_of(out, "missing.jpg")
    assert '<figure class="hero">' not in refused and 'og:image' not in refused, "the no-image layout"


def test_what_leaves_the_site_names_its_own_absolute_jpeg(fetched):
    _, origin, _, out = fetched
    story = page_of(out, "photo.jpg")
    [og] = re.findall(r'<meta property="og:image" content="([^"]+)">', story)
    assert re.fullmatch(r"https://example\.org/digest/images/../[0-9a-f]{32}-share\.jpg", og)
    assert (out / og.removeprefix("https://example.org/digest/")).is_file()
    ld = json.loads(re.search(r'<script type="application/ld\+json">(.*?)</script>', story, re.S)[1])
    assert ld["image"] == [og]
    feed = feedparser.parse((out / "feed.xml").read_bytes())
    images = [src for entry in feed.entries for src in own_images(entry.content[0].value)]
    assert images and all(src.startswith("https://example.org/digest/images/") for src in images)
    items = json.loads((out / "feed.json").read_text())["items"]
    assert {item.get("image") for item in items} - {None} <= {og} | {i for i in images}
    assert any(item.get("image") == og for item in items)
    for email in out.glob("editions/*/email.html"):
        assert all(src.startswith("https://example.org/digest/images/") and src.endswith("-mail.jpg")
                   for src in own_images(email.read_text()))
    feeds = [p for p in [*out.rglob("*.xml"), *out.rglob("*.json")] if p.parent.name != "images"]
    assert origin not in "".join(p.read_text() for p in feeds), "the list of published images alone names sources"


def test_a_failed_image_waits_longer_after_each_failure(fetched, monkeypatch):
    config, _, _, _ = fetched
    failed = json.loads((store_dir(config) / FAILED).read_text())
    assert len(failed) == len(REFUSED) and {f["times"] for f in failed.values()} == {1}
    assert {f["retry"] for f in failed.values()} == {"2026-07-01"}
    monkeypatch.setenv(ALLOW_LOOPBACK, "1")
    Outlet.asked.clear()
    with outlet():  # another port: the URLs the documents name are not asked at all while they wait
        report = update_store(config, limits=FAST, today=date(2026, 6, 30))
    assert report.waiting == len(REFUSED) and report.failures == () and "tried again later" in report.summary()
    report = update_store(config, limits=FAST, today=date(2026, 7, 1))  # the fixture server is gone now
    assert len(report.failures) == len(REFUSED)
    failed = json.loads((store_dir(config) / FAILED).read_text())
    assert {f["times"] for f in failed.values()} == {2} and {f["retry"] for f in failed.values()} == {"2026-07-03"}


def test_a_store_lost_with_the_cache_comes_back_from_the_live_site(fetched, tmp_path, monkeypatch):
    config, _, _, out = fetched
    before = {p.relative_to(store_dir(config)).as_posix(): p.read_bytes()
              for p in store_dir(config).rglob("*") if p.suffix in (".webp", ".jpg")}
    live = tmp_path / "live"
    shutil.copytree(out, live / "digest")
    shutil.rmtree(store_dir(config))
    monkeypatch.setenv(ALLOW_LOOPBACK, "1")
    with serving(live) as origin:
        report = update_store(replace(config, url=origin), limits=FAST, today=date(2027, 1, 1))
    assert report.restored == len(STORED), report.summary()
    after = {p.relative_to(store_dir(config)).as_posix(): p.read_bytes()
             for p in store_dir(config).rglob("*") if p.suffix in (".webp", ".jpg")}
    published = {name for name in before if (out / "images" / name).exists()}
    assert {name: after[name] for name in published} == {name: before[name] for name in published}


def test_loopback_is_refused_unless_a_test_allows_it(tmp_path, monkeypatch):
    monkeypatch.delenv(ALLOW_LOOPBACK, raising=False)
    Outlet.asked.clear()
    with outlet() as origin:
        config = make_site(tmp_path / "site", origin)
        report = update_store(config, limits=FAST)
    assert report.fetched == 0 and {f.reason.name for f in report.failures} == {"ADDRESS"}
    assert Outlet.asked == [], "nothing was asked of this machine"


def test_offline_the_command_ends_at_once_says_why_and_leaves_the_build_as_it_was(tmp_path, monkeypatch):
    from conftest import shared_dir
    site = tmp_path / "site"
    site.mkdir()
    shutil.copytree(shared_dir("corpus") / "smartable-ai", site / "seeds")
    (site / "site.yml").write_text("sources: [seeds]\nbase_path: /digest/\n")
    config = load_config(site / "site.yml", environ={})
    first = build(config, output=tmp_path / "out", show_progress=False)
    looked_up = []

    def no_network(host, port, timeout):
        looked_up.append(host)
        raise command.Refused(command.Reason.DNS, host)

    monkeypatch.setattr("generator.fetch._resolve", no_network)
    started = time.monotonic()
    report = update_store(config)
    assert time.monotonic() - started < 10
    assert report.named > 100 and report.fetched == 0 and "offline" in report.summary()
    assert len(looked_up) < 30, "once no host resolves, the rest are not tried"
    assert not (store_dir(config) / FAILED).exists() or json.loads((store_dir(config) / FAILED).read_text()) == {}, \
        "a machine that reached nothing learnt nothing about the images"
    again = build(config, output=tmp_path / "out", show_progress=False)
    assert again.up_to_date and first.written


def test_the_byte_budget_keeps_every_thumbnail_and_the_newest_pictures_and_publishes_nothing_else(tmp_path):
    root = tmp_path / "site"
    config = make_site(root, "https://img.example", image_budget=1)
    for n in range(6):
        news(config, f"s{n}.md", f"Budget story {n}", f"2026-05-{10 + n:02d}T09:00:00Z", f"https://o.example/{n}",
             "Outlet", images=[{"url": f"https://img.example/{n}.jpg"}])
        stock(config, f"https://img.example/{n}.jpg", picture(1600, 1000))

    def cost(n: int, roles: str) -> int:
        return sum(p.stat().st_size for role in roles.split() for p in store_dir(config).rglob(f"*{key(n)}-{role}.*"))

    budget = (sum(cost(n, "thumb") for n in range(6)) + cost(5, "mail 360 720 1440 share")
              + cost(4, "mail 360 720") + 100)
    (root / "site.yml").write_text((root / "site.yml").read_text().replace("image_budget: 1", f"image_budget: {budget}"))
    build(load_config(root / "site.yml", environ={}), output=tmp_path / "out", show_progress=False)
    out = tmp_path / "out"
    files = {p.relative_to(out).as_posix(): p.stat().st_size for p in (out / "images").rglob("*")
             if p.suffix in (".webp", ".jpg")}
    assert sum(files.values()) <= budget
    newest, older, oldest = (page_of(out, f"budget-story-{n}") for n in (5, 4, 0))
    assert "-1440.webp" in newest and "-share.jpg" in newest, "the newest story gets every size"
    assert "-720.webp" in older and "-1440.webp" not in older and "og:image" not in older, "the next smaller ones"
    assert '<figure class="hero">' not in oldest and "/images/" not in oldest, "the oldest no picture on its page"
    assert all(any(name.endswith(f"{key(n)}-thumb.webp") for name in files) for n in range(6)), \
        "every story keeps its edition thumbnail"
    shows = [p for p in out.rglob("*") if p.suffix in (".html", ".xml", ".json") and p.parent.name != "images"]
    named = {m for p in shows for m in re.findall(r"images/../[0-9a-f]{32}-\w+\.\w+", p.read_text())}
    assert set(files) == named, "nothing is published that no page, feed or email shows"


def key(n: int) -> str:
    from generator.images.store import image_key
    return image_key(f"https://img.example/{n}.jpg")


@pytest.mark.parametrize("mode", ["link", "none"])
def test_a_publisher_can_choose_hot_links_or_no_pictures(tmp_path, mode):
    config = make_site(tmp_path / "site", "https://img.example", images=mode)
    build(config, output=tmp_path / "out", show_progress=False)
    story = page_of(tmp_path / "out", "photo.jpg")
    assert ('src="https://img.example/photo.jpg"' in story) == (mode == "link")
    assert not (tmp_path / "out" / "images").exists()


def test_the_command_line_reports_and_never_fails_on_a_bad_image(tmp_path):
    with outlet() as origin:
        make_site(tmp_path / "site", origin)
        result = subprocess.run([sys.executable, "-m", "generator", "images"], cwd=tmp_path / "site",
                                capture_output=True, text=True, timeout=120,
                                env={"PYTHONPATH": str(REPO), "PATH": "/usr/bin:/bin", ALLOW_LOOPBACK: "1"})
    assert result.returncode == 0, result.stderr
    assert "2 fetched" in result.stdout and "Traceback" not in result.stderr


# ---- a reader's browser asks no one else ----------------------------------------------------------

@pytest.fixture(scope="module")
def corpus_served(tmp_path_factory):
    from conftest import shared_dir
    from generator.diagnostics import Diagnostics
    from generator.sources import read_sources
    root = tmp_path_factory.mktemp("own-images")
    site = root / "site"
    site.mkdir()
    shutil.copytree(shared_dir("corpus") / "smartable-ai", site / "seeds")
    (site / "site.yml").write_text("sources: [seeds]\nbase_path: /digest/\nurl: https://example.org\n")
    config = load_config(site / "site.yml", environ={})
    articles = sorted((a for a in read_sources(config, (), Diagnostics()) if a.image and not a.draft),
                      key=lambda a: a.date, reverse=True)
    for article in articles[:12]:  # the newest stories show the site's own pictures, the rest none
        stock(config, article.image.url, picture(1200, 800))
    build(config, output=root / "www" / "digest", show_progress=False)
    with serving(root / "www") as origin:
        yield root / "www" / "digest", origin


def test_no_page_asks_another_origin_for_anything(corpus_served, browser):
    out, origin = corpus_served
    pictured = next(p for p in sorted(out.glob("20*/*/*/index.html")) if '<figure class="hero">' in p.read_text())
    edition = sorted(out.glob("editions/20*/index.html"))[-1]
    pages = ["", pictured.relative_to(out).parent.as_posix() + "/", edition.relative_to(out).parent.as_posix() + "/",
             "topics/", "sources/", "search/?q=cancer"]
    context = browser.new_context()
    requests: list[str] = []
    context.on("request", lambda request: requests.append(request.url))
    context.route(lambda url: not url.startswith(origin), lambda route: route.abort())
    try:
        page = context.new_page()
        for path in pages:
            page.goto(f"{origin}/digest/{path}", wait_until="networkidle")
            page.mouse.wheel(0, 20000)  # lazy images too
            page.wait_for_load_state("networkidle")
    finally:
        context.close()
    assert [url for url in requests if not url.startswith(origin + "/")] == []
    assert any("/digest/images/" in url and url.endswith(".webp") for url in requests), "own pictures do load"


def test_the_preview_shows_a_picture_once_the_store_has_it(tmp_path):
    from generator.session import PreviewSession
    config = make_site(tmp_path / "site", "https://img.example")
    session = PreviewSession(config, workers=1)
    path = next(p for p in session.rebuild().files if p.endswith("photo-jpg/index.html"))
    assert b'<figure class="hero">' not in session.rebuild().files[path]
    stock(config, "https://img.example/photo.jpg")
    shown = session.rebuild()
    assert b'<figure class="hero">' in shown.files[path]
    [image] = re.findall(rb'src="/digest/(images/[^"]+)"', shown.files[path])
    assert image.decode() in shown.files, "the preview serves the stored file"


def test_on_a_phone_an_editions_thumbnail_never_narrows_its_headline(corpus_served, browser):
    out, origin = corpus_served
    edition = sorted(out.glob("editions/20*/index.html"))[-1].relative_to(out).parent.as_posix()
    context = browser.new_context(viewport={"width": 375, "height": 800})
    try:
        page = context.new_page()
        page.goto(f"{origin}/digest/{edition}/", wait_until="networkidle")
        # A picture floated beside a headline shortens its lines without narrowing its box: what
        # shows it is the picture starting above the headline's last line.
        gaps = page.eval_on_selector_all(".edition-story", """items => items
            .filter(item => item.querySelector("img"))
            .map(item => item.querySelector("img").getBoundingClientRect().top
                         - item.querySelector("h2").getBoundingClientRect().bottom)""")
    finally:
        context.close()
    assert gaps and min(gaps) >= 0, "each picture sits below its headline, which keeps the whole width"
