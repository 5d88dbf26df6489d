"""Dev server: the watcher filter, the debounce, the incremental plan, and errors that never kill it."""

import asyncio
import itertools
import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from tornado.httpclient import HTTPClientError, HTTPRequest
from tornado.websocket import websocket_connect

from conftest import REPO, SERVER_EDGES, RunningServer, ask, free_port, write
from generator.build import build
from generator.config import load_config
from generator.session import PreviewSession
from generator.serve.loop import RebuildLoop
from generator.serve.pages import insert_into
from generator.serve.preview import PreviewSite
from generator.serve.server import allowed_origins
from generator.serve.watch import Debouncer, Watcher, is_watched

SEED_001 = "seeds/001_66d0eec8100579d4.txt"
PAGE_001 = "2020/09/when-ai-in-healthcare-goes-wrong-who-is-responsible/index.html"


@pytest.mark.parametrize("name, watched", [
    ("seeds/001.txt", True), ("content/posts/a.md", True), ("themes/default/templates/base.html", True),
    ("seeds/.001.txt.swp", False), ("seeds/001.txt~", False), ("seeds/.#001.txt", False), ("seeds/4913", False),
    ("seeds/.hidden", False), (".git/index", False), ("seeds/x.swx", False),
])
def test_watcher_filter_ignores_hidden_files_and_editor_temporaries(name, watched):
    assert is_watched(Path(name)) is watched


PROBES = itertools.count()


def settle(watcher, folder: Path) -> set[str]:
    """Write a probe file into `folder` until the watcher reports it: then the folder is watched, and
    every change made there before the probe has been reported. What was reported, probes left out."""
    name = f"probe-{next(PROBES)}.txt"
    seen: set[str] = set()
    deadline = time.monotonic() + 10
    while not any(Path(path).name == name for path in seen):
        assert time.monotonic() < deadline, f"{folder} is not watched"
        write(folder / name, str(time.monotonic()))
        seen |= watcher.changes()
        time.sleep(0.02)
    return without_probes(seen)


def without_probes(paths: set[str]) -> set[str]:
    return {path for path in paths if not Path(path).name.startswith("probe-")}


def collect(watcher, expected: set[str], folder: Path, seconds: float = 10) -> set[str]:
    seen: set[str] = set()
    deadline = time.monotonic() + seconds
    while not expected <= seen and time.monotonic() < deadline:
        seen |= watcher.changes()
        time.sleep(0.02)
    return without_probes(seen) | settle(watcher, folder)  # anything unexpected has shown up too


@pytest.fixture
def watcher(site):
    started = Watcher(site, ["site.yml", "seeds", "templates"], ignored=[site / "seeds" / "skip"]).start()
    settle(started, site / "seeds")
    yield started
    started.stop()


def test_watcher_sees_additions_edits_and_deletions_but_not_ignored_files(site, watcher):
    (site / "seeds" / "skip").mkdir()
    write(site / "seeds" / "new.txt", "Title\nBody.\n")
    write(site / "seeds" / "skip" / "x.txt", "ignored folder")
    write(site / "seeds" / ".x.txt.swp", "editor temp")
    write(site / "content" / "posts" / "unwatched.md", "not a watched folder here")
    (site / SEED_001).write_text("changed")
    assert collect(watcher, {"seeds/new.txt", SEED_001}, site / "seeds") == {"seeds/new.txt", SEED_001}
    (site / "seeds" / "new.txt").unlink()
    assert collect(watcher, {"seeds/new.txt"}, site / "seeds") == {"seeds/new.txt"}


def test_watcher_keeps_seeing_a_settings_file_saved_by_rename(site, watcher):
    for version in range(3):
        write(site / "site.yml.tmp", f"title: v{version}\n").rename(site / "site.yml")
        assert "site.yml" in collect(watcher, {"site.yml"}, site / "seeds")


def test_watcher_watches_inside_a_folder_created_later(site, watcher):
    (site / "templates").mkdir()
    settle(watcher, site / "templates")
    write(site / "templates" / "404.html", "override")
    assert "templates/404.html" in collect(watcher, {"templates/404.html"}, site / "templates")


def test_a_burst_of_changes_is_one_rebuild():
    debouncer = Debouncer(settle=0.1)
    for i in range(500):  # a checkout writing 500 files over half a second
        debouncer.add({f"seeds/{i}.txt"}, now=i * 0.001)
        assert debouncer.due(now=i * 0.001 + 0.05) is None
    assert debouncer.due(now=0.55) is None
    assert len(debouncer.due(now=0.6)) == 500
    assert debouncer.due(now=5.0) is None


def rebuilt_after(session, change) -> set[str]:
    session.rebuild()
    change()
    return set(session.rebuild().rendered)


def test_editing_one_item_makes_again_only_what_shows_it(site_config):
    session = PreviewSession(site_config)
    before = session.rebuild().files
    seed = site_config.root / SEED_001
    seed.write_text(seed.read_text().replace("In all these cases", "In every one of these cases", 1))
    after = session.rebuild()
    changed = {path for path, data in after.files.items() if before.get(path) != data}
    assert PAGE_001 in changed and changed <= set(after.rendered), "whatever the edit changed was made again"
    assert "about/index.html" not in after.rendered and "topics/index.html" not in after.rendered
    assert len(after.rendered) < len(after.files) / 2, "and little else"


def test_touching_a_file_without_changing_it_rerenders_nothing(site_config):
    session = PreviewSession(site_config)
    assert rebuilt_after(session, lambda: os.utime(site_config.root / SEED_001, (1, 1))) == set()


def test_a_template_change_rerenders_the_pages_using_it(site_config):
    session = PreviewSession(site_config)
    template = site_config.theme_dir / "templates" / "archive.html"
    assert rebuilt_after(session, lambda: template.write_text(template.read_text() + "\n")) == {"archive/index.html"}
    base = site_config.theme_dir / "templates" / "base.html"
    rendered = rebuilt_after(session, lambda: base.write_text(base.read_text() + "\n<!-- restyled -->\n"))
    files = session.rebuild().files
    assert rendered == {p for p in files if p.endswith(".html") and not p.endswith("email.html")}, \
        "every page, but no email copy: it does not extend base.html"
    assert b"<!-- restyled -->" in files["index.html"], "the edited template itself is used, not a cached copy"
    assert not any(p.endswith("feed.xml") for p in rendered)


def test_retitling_an_item_moves_its_page_and_leaves_no_stale_copy(site_config):
    session = PreviewSession(site_config)
    session.rebuild()
    seed = site_config.root / SEED_001
    seed.write_text(seed.read_text().replace('who is responsible?"', 'who pays?"', 1))
    files = session.rebuild().files
    assert "2020/09/when-ai-in-healthcare-goes-wrong-who-pays/index.html" in files
    assert b'url=/digest/2020/09/when-ai-in-healthcare-goes-wrong-who-pays/' in files[PAGE_001], \
        "the published address redirects to the new one, never a stale copy"


@pytest.mark.parametrize("hinted", [False, True])
def test_adding_and_deleting_a_seed_adds_and_removes_its_page_everywhere(site_config, hinted):
    session = PreviewSession(site_config)
    session.rebuild()
    new = write(site_config.root / "seeds" / "010_new.txt",
                "---\ntitle: Brand new story\npublishedDateTime: 2026-11-21T10:00:00Z\ntopics: [AI]\n---\n")
    transient = site_config.root / "seeds" / "sedX1a2b3"  # an editor's temp file, gone before the rebuild
    files = session.rebuild({new, transient} if hinted else None).files
    assert "2026/11/brand-new-story/index.html" in files and b"Brand new story" in files["index.html"]
    new.unlink()
    files = session.rebuild({new} if hinted else None).files
    assert "2026/11/brand-new-story/index.html" not in files
    assert not any(b"Brand new story" in data for data in files.values())


@pytest.mark.parametrize("hinted", [False, True])
def test_incremental_output_is_identical_to_a_clean_build(site_config, hinted):
    # Wants a slug already taken, and is another story (a week apart): an index warning.
    twin = write(site_config.root / "seeds" / "twin.md",
                 "---\ntitle: When AI in healthcare goes wrong, who is responsible?\n"
                 "publishedDateTime: 2020-09-28T10:00:00Z\n---\nTwin.\n")
    session = PreviewSession(site_config)
    session.rebuild()
    seed = site_config.root / SEED_001
    for edit in (lambda: seed.write_text(seed.read_text().replace("Quartz", "Quartz Media")),
                 lambda: twin.write_text(twin.read_text().replace("Twin.", "Twin, edited.")),
                 lambda: twin.write_text(twin.read_text().replace("2020-09-28", "2020-09-12"))):
        edit()
        incremental, clean = session.rebuild({seed, twin} if hinted else None), PreviewSession(site_config).rebuild()
        assert incremental.files == clean.files
        assert incremental.diagnostics.items == clean.diagnostics.items
        assert any("already used" in d.message for d in clean.diagnostics.items)


def preview(site, tmp_path):
    messages = []
    loop = RebuildLoop(PreviewSite(site / "site.yml", True, {}),
                       Watcher(site, ["seeds"], []), echo=lambda m, err=False: messages.append(m))
    return loop, messages


def test_a_broken_document_is_left_out_and_listed_while_the_rest_builds(site, tmp_path):
    loop, messages = preview(site, tmp_path)
    assert loop.rebuild(set()).ok
    bad = write(site / "seeds" / "bad.txt", "---\ntitle: [oops\n---\n")
    for _ in range(2):
        outcome = loop.rebuild({"seeds/bad.txt"})
    assert outcome.ok and loop.site.shown.error_page is None, "one document's error does not stop the preview"
    assert loop.site.shown.files.read(PAGE_001)
    assert "seeds/bad.txt:3:1" in loop.site.shown.panel.decode()
    assert sum("seeds/bad.txt:3:1" in m for m in messages) == 1, "the terminal shows the error once"
    bad.unlink()
    assert loop.rebuild({"seeds/bad.txt"}).ok and loop.site.shown.panel == b""


def test_warnings_are_listed_in_the_page_and_printed_once_each(site, tmp_path):
    loop, messages = preview(site, tmp_path)
    loop.rebuild(set())
    assert loop.site.shown.panel == b"", "infos alone (seed 003 has two) raise no panel"
    post = write(site / "content" / "posts" / "undated.md", "---\ntitle: Undated\ndate: not-a-date\n---\nBody.\n")
    loop.rebuild({"content/posts/undated.md"})
    panel = loop.site.shown.panel.decode()
    assert "content/posts/undated.md" in panel and "not-a-date" in panel
    printed = [m for m in messages if "content/posts/undated.md" in m and "not-a-date" in m]
    assert len(printed) == 1
    post.write_text(post.read_text() + "More body.\n")
    loop.rebuild({"content/posts/undated.md"})
    assert len([m for m in messages if "content/posts/undated.md" in m and "not-a-date" in m]) == 1, \
        "a warning still there after another save is not printed again"
    assert "listed in the page" in messages[-1], "the rebuild line says there is something to read"


@pytest.mark.parametrize("path, text, expected", [
    ("themes/default/templates/article.html", "{% if %}", "article.html:1: TemplateSyntaxError"),
    ("site.yml", "page_size: many\n", "'page_size' must be a whole number"),
    ("themes/default/templates/topics.html", "{% include 'missing.html' %}", "TemplateNotFound: missing.html"),
])
def test_fatal_errors_become_an_error_page_not_a_dead_server(site, tmp_path, path, text, expected):
    loop, _ = preview(site, tmp_path)
    loop.rebuild(set())
    original = (site / path).read_text()
    (site / path).write_text(text)
    assert not loop.rebuild({path}).ok
    assert expected in loop.site.shown.error_page.decode().replace("&#39;", "'")
    assert loop.site.shown.panel == b""
    (site / path).write_text(original)
    assert loop.rebuild({path}).ok and loop.site.shown.error_page is None


def test_the_preview_leaves_the_output_folder_untouched(site, tmp_path):
    loop, _ = preview(site, tmp_path)
    loop.rebuild(set())
    assert loop.site.shown.files.read("index.html")
    assert not (site / "output").exists()


def test_reload_socket_accepts_only_the_served_origin():
    origins = allowed_origins("127.0.0.1", 8000)
    assert "http://127.0.0.1:8000" in origins and "http://localhost:8000" in origins
    assert "http://evil.example" not in origins and "http://127.0.0.1:9000" not in origins


def test_a_busy_port_gives_a_clear_message(site):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = subprocess.run([sys.executable, "-m", "generator", "serve", "--port", str(port)], cwd=site,
                                capture_output=True, text=True, timeout=30, env={**os.environ, "PYTHONPATH": str(REPO)})
    assert result.returncode == 1
    assert f"port {port} is already in use" in result.stderr and "--port" in result.stderr
    assert "Traceback" not in result.stderr


def test_ctrl_c_stops_the_server_cleanly_and_removes_the_preview(server):
    server.process.send_signal(signal.SIGINT)
    assert server.process.wait(timeout=10) == 0
    server.reader.join(timeout=10)  # everything it printed has been read
    assert "Stopped." in "".join(server.lines) and "Traceback" not in "".join(server.lines)


@pytest.mark.parametrize("origin, allowed", [(None, True), ("http://evil.example", False)])
def test_live_server_refuses_reload_sockets_from_other_origins(server, origin, allowed):
    async def connect():
        headers = {"Origin": origin or f"http://127.0.0.1:{server.port}"}
        request = HTTPRequest(f"ws://127.0.0.1:{server.port}/livereload", headers=headers)
        connection = await websocket_connect(request)
        connection.close()

    if allowed:
        asyncio.run(connect())
    else:
        with pytest.raises(HTTPClientError, match="403"):
            asyncio.run(connect())


def test_served_pages_live_under_the_base_path(server):
    import urllib.request
    from urllib.error import HTTPError

    root = f"http://127.0.0.1:{server.port}"
    with urllib.request.urlopen(root + "/") as response:  # follows the redirect
        assert response.url == server.url and b"/livereload.js" in response.read()
    with pytest.raises(HTTPError) as missing:
        urllib.request.urlopen(server.url + "no/such/page/")
    assert missing.value.code == 404 and b"Page not found" in missing.value.read()


def test_a_source_folder_added_to_site_yml_is_watched_from_the_next_rebuild(site, tmp_path):
    watcher = Watcher(site, ["site.yml", "seeds"], []).start()
    try:
        loop = RebuildLoop(PreviewSite(site / "site.yml", True, {}), watcher,
                           echo=lambda m, err=False: None)
        settings = site / "site.yml"
        settings.write_text(settings.read_text().replace("  - content\n", "  - content\n  - wire\n"))
        (site / "wire").mkdir()
        loop.rebuild({"site.yml"})
        settle(watcher, site / "wire")  # the recursive watch restarts on the new list
        write(site / "wire" / "story.txt", "---\ntitle: From the wire\ndate: 2026-11-01\n---\n")
        assert "wire/story.txt" in collect(watcher, {"wire/story.txt"}, site / "wire")
    finally:
        watcher.stop()


def fetch(url: str) -> tuple[int, str]:
    import urllib.request
    from urllib.error import HTTPError

    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return response.status, response.read().decode()
    except HTTPError as error:
        return error.code, error.read().decode()


def test_one_broken_document_leaves_every_other_page_served_and_named_in_each(site):
    write(site / "seeds" / "bad.txt", "---\ntitle: [oops\n---\n")
    running = RunningServer(site)
    try:
        for path in ("", "2020/09/when-ai-in-healthcare-goes-wrong-who-is-responsible/", "topics/", "about/"):
            status, page = fetch(running.url + path)
            assert status == 200, (path, page[:300])
            assert 'id="digest-preview-panel"' in page and "seeds/bad.txt:3:1" in page
        status, page = fetch(running.url + "no/such/page/")
        assert status == 404 and "seeds/bad.txt:3:1" in page
        assert sum(line.startswith("seeds/bad.txt:3:1") for line in running.lines) == 1
    finally:
        running.stop()


def reload_on_connect(port: int, generation: str | None) -> bool:
    """Whether the server tells a page that connects showing `generation` to reload at once."""
    async def connect():
        request = HTTPRequest(f"ws://127.0.0.1:{port}/livereload", headers={"Origin": f"http://127.0.0.1:{port}"})
        connection = await websocket_connect(request)
        hello = {"command": "hello", "protocols": ["http://livereload.com/protocols/official-7"]}
        connection.write_message(json.dumps(hello))
        assert json.loads(await connection.read_message())["command"] == "hello"
        plugins = {"digest-preview": {"generation": generation, "version": "1"}} if generation else {}
        connection.write_message(json.dumps({"command": "info", "plugins": plugins, "url": "http://x/"}))
        try:
            message = await asyncio.wait_for(connection.read_message(), 1)
        except asyncio.TimeoutError:
            return False
        finally:
            connection.close()
        return json.loads(message)["command"] == "reload"

    return asyncio.run(connect())


def test_a_page_that_connects_showing_an_older_build_is_reloaded_at_once(server):
    _, page = fetch(server.url)
    shown = re.search(r'data-generation="([^"]+)"', page).group(1)
    assert not reload_on_connect(server.port, shown), "a current page is left alone"
    assert not reload_on_connect(server.port, None), "a page that does not say is left alone"
    run, number = shown.rsplit(".", 1)
    assert reload_on_connect(server.port, f"{run}.{int(number) - 1}")
    assert reload_on_connect(server.port, f"00000000.{number}"), "a page from an earlier run of the server"


def test_the_preview_additions_are_served_but_never_built(site, server, tmp_path):
    write(site / "seeds" / "bad.txt", "---\ntitle: [oops\n---\n")
    write(site / "content" / "posts" / "undated.md", "---\ntitle: Undated\ndate: not-a-date\n---\nBody.\n")
    markers = ("digest-preview", "data-generation", "__digest", "livereload")
    deadline = time.monotonic() + 10
    while "seeds/bad.txt" not in fetch(server.url)[1]:
        assert time.monotonic() < deadline
        time.sleep(0.1)
    served = fetch(server.url)[1]
    assert all(marker in served for marker in markers)
    report = build(load_config(site / "site.yml"), output=tmp_path / "out", drafts=True, show_progress=False)
    assert report.diagnostics.errors and report.diagnostics.warnings
    built = [path for path in (tmp_path / "out").rglob("*") if path.is_file()]
    assert len(built) > 10
    assert [(p.name, m) for p in built for m in markers if m.encode() in p.read_bytes()] == []


@pytest.mark.parametrize("page, placed", [
    (b"<!doctype html><html><head><title>t</title></head><body class='x'><p>text</p></body></html>", True),
    (b"<HTML><HEAD></HEAD><BODY>upper case</BODY></HTML>", True),
    (b"<!doctype html><title>t</title><p>a template that leaves out head and body</p>", False),
])
def test_every_page_gets_the_scripts_and_the_panel(page, placed):
    import html5lib

    tree = html5lib.parse(insert_into(page, b'<script src="/s.js"></script>', b"<aside id=panel></aside>"),
                          namespaceHTMLElements=False)
    assert [script.get("src") for script in tree.iter("script")] == ["/s.js"]
    assert tree.find(".//aside").get("id") == "panel"
    if placed:
        assert tree.find("head/script") is not None and tree.find("body")[0].tag == "aside"


@pytest.mark.parametrize("path, method, status", SERVER_EDGES)
def test_odd_requests_get_the_answer_github_pages_gives(server, path, method, status):
    got, headers, body = ask(server.url + path, method)
    assert got == status
    assert (body == b"") == (method == "HEAD")
    assert not any("Traceback" in line for line in server.lines)


@pytest.mark.parametrize("host, answered", [
    ("127.0.0.1:{port}", True), ("localhost:{port}", True), ("[::1]:{port}", True), ("LOCALHOST.:{port}", True),
    ("rebind.attacker.example:{port}", False), ("rebind.attacker.example", False), ("127.0.0.1.nip.io", False),
])
def test_the_preview_answers_only_to_the_names_it_was_started_for(server, host, answered):
    status, _, body = ask(server.url, host=host.format(port=server.port))
    assert (status == 200) is answered
    assert (b"Draft" in body or b"<html" in body) is answered, "a page whose name was rebound to loopback reads nothing"


def test_pages_are_served_from_the_last_build_while_the_next_one_runs(site, tmp_path):
    import threading

    from tornado.httpclient import AsyncHTTPClient

    from generator.serve.server import preview_app

    preview = PreviewSite(site / "site.yml", True, {})
    loop = RebuildLoop(preview, Watcher(site, [], []), echo=lambda m, err=False: None)
    loop.rebuild(set())
    release, rebuild = threading.Event(), preview.session.rebuild
    preview.session.rebuild = lambda *args: release.wait(30) and rebuild(*args)
    story = site / SEED_001
    story.write_text(story.read_text().replace("There’s no easy answer", "There is no easy answer"))
    port = free_port()

    async def visit():
        preview_app(lambda: preview.shown, "127.0.0.1", port).listen(
            port, "127.0.0.1")
        page = f"http://127.0.0.1:{port}/digest/{PAGE_001}"
        loop.debouncer.add({SEED_001}, 0)
        loop.tick()  # the rebuild starts, and waits
        during = (await AsyncHTTPClient().fetch(page, request_timeout=5)).body.decode()
        release.set()
        deadline = time.monotonic() + 20
        while "There is no easy answer" not in (await AsyncHTTPClient().fetch(page)).body.decode():
            assert time.monotonic() < deadline
            await asyncio.sleep(0.02)
        return during

    during = asyncio.run(visit())
    loop.stop()
    assert "There’s no easy answer" in during and "There is no easy answer" not in during
