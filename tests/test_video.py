"""Featured videos: byte-identical output, and a click-to-play facade that loads nothing from the
video host until the reader asks for the video."""

import functools
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError

from browser import CHROMIUM_ARGS, browser, chromium_path  # noqa: F401  (fixture)
from conftest import REPO, minimal_site, shared_dir, write
from generator.build import build
from generator.sources.sanitize import sanitize_embed
from sitecheck import links, serving, tree_bytes
from test_publish import axe_violations, vnu_errors

CORPUS_FOLDERS = ("powerapps", "smartable-ai")


def build_in_subprocess(site, output, hash_seed: str) -> None:
    env = {**os.environ, "PYTHONPATH": str(REPO), "PYTHONHASHSEED": hash_seed}
    subprocess.run([sys.executable, "-m", "generator", "build", "--no-cache", "--quiet", "--output", str(output)],
                   cwd=site, env=env, check=True, capture_output=True, timeout=600)


def test_the_corpus_builds_byte_identical_under_any_hash_seed(tmp_path):
    corpus = shared_dir("corpus")
    site = tmp_path / "site"
    for folder in CORPUS_FOLDERS:
        shutil.copytree(corpus / folder, site / folder)
    (site / "site.yml").write_text("title: Corpus\nbase_path: /digest/\nsources: [powerapps, smartable-ai]\n")
    trees = []
    for seed in ("0", "4242"):
        build_in_subprocess(site, tmp_path / f"out-{seed}", seed)
        trees.append(tree_bytes(tmp_path / f"out-{seed}"))
    assert len(trees[0]) > 300
    differing = sorted(name for name in trees[0].keys() | trees[1].keys() if trees[0].get(name) != trees[1].get(name))
    assert differing == []


# ---- which embeds survive, and as what -----------------------------------------------------------

YOUTUBE_PLAYER = "https://www.youtube-nocookie.com/embed/"


def embed_links(featured: str, title: str = "A title") -> list[tuple[str, str, str]]:
    return links(sanitize_embed(featured, title))


@pytest.mark.parametrize("featured, player, page", [
    ('<iframe width="800" height="500" frameborder="0" src="https://www.youtube.com/embed/6NPtZSMH0h4" '
     'allow="accelerometer; autoplay" allowfullscreen></iframe>',
     YOUTUBE_PLAYER + "6NPtZSMH0h4?autoplay=1", "https://www.youtube.com/watch?v=6NPtZSMH0h4"),
    ('<iframe src="http://youtube.com/embed/6NPtZSMH0h4?start=90&amp;rel=0"></iframe>',
     YOUTUBE_PLAYER + "6NPtZSMH0h4?autoplay=1&start=90", "https://www.youtube.com/watch?v=6NPtZSMH0h4&t=90s"),
    ('<IFRAME SRC="https://www.youtube-nocookie.com/embed/a_b-c?autoplay=0&onload=x&start=%D9%A1">',
     YOUTUBE_PLAYER + "a_b-c?autoplay=1", "https://www.youtube.com/watch?v=a_b-c"),
    ('<iframe src="https://player.vimeo.com/video/76979871?h=8272103f6e&amp;badge=0"></iframe>',
     "https://player.vimeo.com/video/76979871?h=8272103f6e&autoplay=1&dnt=1", "https://vimeo.com/76979871/8272103f6e"),
    ('text <iframe src="https://evil.example/x"></iframe><iframe src="https://player.vimeo.com/video/1"></iframe>'
     '<iframe src="https://www.youtube.com/embed/second"></iframe>',
     "https://player.vimeo.com/video/1?autoplay=1&dnt=1", "https://vimeo.com/1"),
])
def test_a_known_video_becomes_an_inert_player_and_a_link(featured, player, page):
    html = sanitize_embed(featured, 'Say "hi" <b>')
    assert embed_links(featured) == [("iframe", "src", player), ("a", "href", page)]
    assert html.startswith("<template><iframe ")  # inert until static/video.js clones it
    assert ' allow="autoplay; encrypted-media; picture-in-picture; fullscreen"' in html
    assert ' referrerpolicy="strict-origin-when-cross-origin"' in html
    assert "sandbox" not in html and "<b>" not in html and 'title="Video: Say &quot;hi&quot; &lt;b&gt;"' in html


@pytest.mark.parametrize("featured", [
    '<iframe src="https://evil.example/embed/x"></iframe>',
    '<iframe src="javascript:alert(1)//www.youtube.com/embed/x"></iframe>',
    '<iframe src="//www.youtube.com/embed/x"></iframe>',
    '<iframe src="ftp://www.youtube.com/embed/x"></iframe>',
    '<iframe src="https://www.youtube.com.evil.example/embed/x"></iframe>',
    '<iframe src="https://www.youtube.com@evil.example/embed/x"></iframe>',
    '<iframe src="https://www.youtube.com/embed/x%22onload%3Dalert(1)"></iframe>',
    '<iframe src="https://www.youtube.com/embed/videoseries?list=PL1"></iframe>',
    '<iframe src="https://www.youtube.com/watch?v=x"></iframe>',
    '<iframe src="https://player.vimeo.com/video/abc"></iframe>',
    '<iframe src="https://[::1"></iframe>',
    '<a href="https://www.youtube.com/embed/x">not an iframe</a><script>alert(1)</script>',
    "",
])
def test_anything_but_a_known_video_is_dropped(featured):
    assert sanitize_embed(featured, "T") == ""


# ---- the facade in a real browser ----------------------------------------------------------------

VIDEO_PLATFORMS = ("youtube.com", "youtube-nocookie.com", "ytimg.com", "ggpht.com", "googlevideo.com",
                   "vimeo.com", "vimeocdn.com")
# The stand-in player needs what a real one needs: scripts and storage, i.e. its own origin. In a frame
# with an opaque origin (a sandbox without allow-same-origin) setItem throws and it never says 'started'.
STAND_IN_PLAYER = """<!doctype html><html lang="en"><title>player</title><body><script>
localStorage.setItem("player-state", "ready");
document.title = "started";
parent.postMessage("started", "*");
</script></body></html>"""
VIDEOS = {
    "youtube": {
        "title": "Triage with machine learning, explained",
        "slug": "triage-with-machine-learning-explained",
        "featured": '<iframe width="800" height="500" frameborder="0" src="https://www.youtube.com/embed/6NPtZSMH0h4" '
                    'allow="accelerometer; autoplay; encrypted-media; gyroscope; picture-in-picture" allowfullscreen></iframe>',
        # a thumbnail from the platform itself: loading it would tell the platform who reads the page
        "image": "https://i.ytimg.com/vi/6NPtZSMH0h4/maxresdefault.jpg",
        "player": "https://www.youtube-nocookie.com/embed/6NPtZSMH0h4?autoplay=1",
        "page": "https://www.youtube.com/watch?v=6NPtZSMH0h4",
    },
    "vimeo": {
        "title": "Radiology rounds on video",
        "slug": "radiology-rounds-on-video",
        "featured": '<iframe src="https://player.vimeo.com/video/76979871?h=8272103f6e" allowfullscreen></iframe>',
        "image": "https://images.example.org/rounds.jpg",
        "player": "https://player.vimeo.com/video/76979871?h=8272103f6e&autoplay=1&dnt=1",
        "page": "https://vimeo.com/76979871/8272103f6e",
    },
}


def video_item(video: dict) -> str:
    import yaml
    meta = {"title": video["title"], "excerpt": "What the video shows.", "publishedDateTime": "2021-02-01T16:00:24Z",
            "type": "video", "topics": ["AI"], "featuredContent": video["featured"],
            "images": [{"url": video["image"], "width": 1280, "height": 720}], "provider": {"name": "Example"}}
    return "---\n" + yaml.safe_dump(meta) + "---\n"


@pytest.fixture(scope="module")
def video_site(tmp_path_factory):
    """A site with one YouTube and one Vimeo story, served at /digest/ on 127.0.0.1."""
    root = tmp_path_factory.mktemp("video")
    config = minimal_site(root, base_path="/digest/", images="link")  # hot-linked: what the facade guards
    for name, video in VIDEOS.items():
        write(root / "seeds" / f"{name}.md", video_item(video))
    build(config, output=root / "www" / "digest", show_progress=False)
    with serving(root / "www") as origin:
        yield root / "www" / "digest", {name: f"{origin}/digest/2021/02/{video['slug']}/" for name, video in VIDEOS.items()}


def on_video_platform(url: str) -> bool:
    host = urlsplit(url).hostname or ""
    return any(host == h or host.endswith("." + h) for h in VIDEO_PLATFORMS)


def fulfil_html(route, body: str) -> None:
    route.fulfill(status=200, content_type="text/html", body=body)


def watched(context, requests: list[str]):
    """Record every request; the video hosts answer with the stand-in player and a stand-in watch
    page, any other outside host with nothing."""
    context.set_default_timeout(10_000)
    context.on("request", lambda request: requests.append(request.url))
    context.route(lambda url: not url.startswith("http://127.0.0.1:"), lambda route: route.fulfill(status=204, body=""))
    for video in VIDEOS.values():
        for url, body in ((video["player"], STAND_IN_PLAYER), (video["page"], "<!doctype html><title>watch page</title>")):
            context.route(url, functools.partial(fulfil_html, body=body))
    return context


def open_context(browser, requests: list[str], **options):  # noqa: F811
    return watched(browser.new_context(**options), requests)


def desktop_context(browser, user_data: Path, requests: list[str]):  # noqa: F811
    """A browser with a desktop profile's cookie setting, which lets embedded players keep storage.
    A fresh automation context blocks third-party storage, and there no player could start at all."""
    (user_data / "Default").mkdir(parents=True)
    (user_data / "Default" / "Preferences").write_text(json.dumps({"profile": {"cookie_controls_mode": 0}}))
    context = browser.browser_type.launch_persistent_context(user_data, executable_path=chromium_path(), args=CHROMIUM_ARGS)
    return watched(context, requests)


@pytest.mark.parametrize("name", sorted(VIDEOS))
def test_the_player_loads_only_after_the_reader_presses_play_and_then_starts(video_site, browser, name, tmp_path):  # noqa: F811
    _, pages = video_site
    video = VIDEOS[name]
    requests: list[str] = []
    context = desktop_context(browser, tmp_path / "profile", requests)
    page = context.new_page()
    page.add_init_script("window.__messages = []; addEventListener('message', e => __messages.push([e.origin, e.data]));")
    problems: list[str] = []
    page.on("pageerror", lambda error: problems.append(str(error)))
    page.on("console", lambda message: message.type == "error" and problems.append(message.text))
    try:
        page.goto(pages[name], wait_until="networkidle")
        assert [r for r in requests if on_video_platform(r)] == []
        assert page.locator("iframe").count() == 0
        button = page.get_by_role("button", name=f"Play video: {video['title']}")
        assert button.is_visible()
        button.click()
        try:
            page.wait_for_function("() => __messages.length > 0")
        except PlaywrightTimeoutError:
            pytest.fail(f"the player never started: {problems}")
        origin = urlsplit(video["player"])
        assert page.evaluate("() => __messages") == [[f"{origin.scheme}://{origin.netloc}", "started"]]
        assert [r for r in requests if on_video_platform(r)] == [video["player"]]
        frame = page.locator("iframe")
        assert frame.get_attribute("src") == video["player"] and frame.get_attribute("title") == f"Video: {video['title']}"
        assert "autoplay" in frame.get_attribute("allow")
        assert frame.get_attribute("referrerpolicy") == "strict-origin-when-cross-origin"
        assert page.frame_locator("iframe").locator("title").text_content() == "started"
        assert button.count() == 0 and page.evaluate("() => document.activeElement.tagName") == "IFRAME"
        assert problems == []
    finally:
        context.close()


def test_the_play_button_works_from_the_keyboard(video_site, browser, tmp_path):  # noqa: F811
    _, pages = video_site
    requests: list[str] = []
    context = desktop_context(browser, tmp_path / "profile", requests)
    page = context.new_page()
    try:
        page.goto(pages["youtube"])
        for _ in range(30):
            page.keyboard.press("Tab")
            if page.evaluate("() => document.activeElement.matches('.video button')"):  # past the header's search
                break
        page.keyboard.press("Enter")
        page.wait_for_selector("iframe")
        assert page.frame_locator("iframe").locator("title").text_content() == "started"
    finally:
        context.close()


def test_the_facade_shows_the_stories_own_image_unless_the_video_platform_serves_it(video_site, browser):  # noqa: F811
    _, pages = video_site
    requests: list[str] = []
    context = open_context(browser, requests)
    page = context.new_page()
    try:
        page.goto(pages["vimeo"], wait_until="networkidle")
        assert page.locator(".video img").get_attribute("src") == VIDEOS["vimeo"]["image"]
        assert VIDEOS["vimeo"]["image"] in requests
        page.goto(pages["youtube"], wait_until="networkidle")
        assert page.locator(".video img").count() == 0
        assert page.locator(".video").get_by_text(VIDEOS["youtube"]["title"]).is_visible()  # a placeholder instead
        assert [r for r in requests if on_video_platform(r)] == []
    finally:
        context.close()


@pytest.mark.parametrize("name", sorted(VIDEOS))
def test_without_javascript_the_facade_is_a_working_link_to_the_video(video_site, browser, name):  # noqa: F811
    _, pages = video_site
    requests: list[str] = []
    context = open_context(browser, requests, java_script_enabled=False)
    page = context.new_page()
    try:
        page.goto(pages[name], wait_until="networkidle")
        assert [r for r in requests if on_video_platform(r)] == []
        assert page.locator(".video").get_by_role("button").count() == 0  # a play button that cannot play is not offered
        link = page.get_by_role("link", name="Watch the video on " + ("YouTube" if name == "youtube" else "Vimeo"))
        assert link.get_attribute("href") == VIDEOS[name]["page"]
        link.click()
        page.wait_for_url(VIDEOS[name]["page"])
        assert page.title() == "watch page"
    finally:
        context.close()


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_the_facade_and_the_player_have_no_accessibility_violations(video_site, browser, scheme):  # noqa: F811
    _, pages = video_site
    context = open_context(browser, [], color_scheme=scheme)
    page = context.new_page()
    found = {}
    try:
        for name, url in sorted(pages.items()):
            page.goto(url)
            for state in ("facade", "player"):
                if state == "player":
                    page.get_by_role("button", name="Play video").click()
                    page.wait_for_selector("iframe")
                found[(name, state)] = axe_violations(page)
    finally:
        context.close()
    assert found == {key: [] for key in found} and len(found) == 4


def test_video_pages_pass_the_nu_html_checker(video_site):
    out, _ = video_site
    assert vnu_errors(out) == []
