"""Hostile and broken input: nothing crashes, nothing leaks, nothing is lost."""

import os
import random
import re
import shutil
import signal
import subprocess
import sys

import feedparser
import html5lib
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from browser import browser  # noqa: F401  (fixture)
from conftest import REPO, minimal_site, shared_dir
from generator.build import build
from sitecheck import serving, tree_bytes

DATE = "publishedDateTime: 2021-01-12T04:40:00Z"
TOPICS = "topics: [AI]"


def item(*lines: str, date: str = DATE, topics: str = TOPICS) -> bytes:
    return ("---\n" + "\n".join(filter(None, [*lines, date, topics])) + "\n---\n").encode()


NESTED = "x: " + "[" * 100_000 + "]" * 100_000
BOMB = "\n".join(["a: &a [x, x, x, x, x, x, x, x, x]"] + [f"{chr(98 + i)}: &{chr(98 + i)} [*{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}]" for i in range(8)])

# file name -> (bytes, expected diagnostics as (severity, text in the message)); every other file must be clean
CASES = {
    "empty.txt": (b"", [("error", "empty file")]),
    "only-fence.txt": (b"---\n", [("error", "never closed")]),
    "unterminated.txt": (b"---\ntitle: Never closed\n", [("error", "never closed")]),
    "syntax.txt": (b"---\ntitle: [oops\n---\n", [("error", "YAML")]),
    "list.txt": (b"---\n- a\n- b\n---\n", [("error", "must be a mapping of fields, got a list")]),
    "scalar.txt": (b"---\njust words\n---\n", [("error", "must be a mapping of fields, got a str")]),
    "title-int.txt": (item("title: 123"), []),
    "topics-string.txt": (item("title: Topic as text", topics='topics: "AI"'), []),
    "topics-null.txt": (item("title: Null topic", topics="topics: [null]"),
                        [("warning", "field 'topics': entries that are not names were dropped"),
                         ("warning", "no topics; assigned from keywords")]),
    "quality.txt": (item("title: Quality", 'quality: "high"'), [("warning", "field 'quality': expected a whole number")]),
    "images.txt": (item("title: Images", "images: {}"), [("warning", "field 'images': expected a list")]),
    "provider.txt": (item("title: Provider", 'provider: "CNN"'), []),
    "related.txt": (item("title: Related", "related: 5"), [("warning", "field 'related': expected a list")]),
    "date-bare.txt": (item("title: Bare date", date="date: 2021-01-12"), []),
    "date-offset.txt": (item("title: Offset", date="date: 2021-01-12T04:40:00+05:30"), []),
    "date-naive.txt": (item("title: Naive", date="date: 2021-01-12T04:40:00"), []),
    "date-words.txt": (item("title: Words", date="date: Jan 12, 2021"), []),
    "date-int.txt": (item("title: Integer date", date="date: 20210112"),
                     [("warning", "field 'date': not a date"), ("warning", "no date; using")]),
    "date-nonsense.txt": (item("title: Nonsense date", date="date: whenever"),
                          [("warning", "field 'date': not a date"), ("warning", "no date; using")]),
    "no-title.txt": (item("excerpt: No title here"), [("warning", "no title; using the file name")]),
    "long-title.txt": (item("title: " + "x" * 10_000), [("warning", "field 'title': 10,000 characters, cut to 300")]),
    "bang.txt": (item("title: '!!!'"), []),
    "emoji.txt": (item("title: \"\U0001F600\U0001F525\""), []),
    "same-1.txt": (item("title: Same title", date="date: 2021-01-10"), []),
    # A day apart, one story: the copy folded into it is no page of its own, so its slug moving aside
    # is worth no warning (two stories sharing a title are tested in test_index.py).
    "same-2.txt": (item("title: Same title", date="date: 2021-01-11"), []),
    "traversal.txt": (item("title: ../../etc/passwd", "slug: ../../../escape"), []),
    "slash-nul.txt": (item('title: "a/b\\0c"'), []),
    "latin1.txt": (item("title: caf\xe9").replace(b"caf\xc3\xa9", b"caf\xe9"), [("warning", "not valid UTF-8")]),
    "bom.txt": (b"\xef\xbb\xbf" + item("title: Byte order mark"), []),
    "crlf.txt": (item("title: Windows lines").replace(b"\n", b"\r\n"), []),
    "binary.png": (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", [("error", "binary file")]),
    # Stopped by our depth check or by libyaml's own limit, whichever comes first: any one error will do.
    "nested.txt": (("---\n" + NESTED + "\n---\n").encode(), [("error", "")]),
    "nested-70.txt": (("---\nx: " + "[" * 70 + "]" * 70 + "\n---\n").encode(), [("error", "nests deeper than 64 levels")]),
    "bomb.txt": (("---\n" + BOMB + "\n---\n").encode(), [("error", "aliases")]),
    "python-tag.txt": (item("title: !!python/object/apply:os.system [echo pwned]"), [("error", "python/object")]),
    "js-url.txt": (item("title: Script link", 'webUrl: "javascript:alert(1)"'),
                   [("warning", "field 'webUrl': not an http(s) URL")]),
    "char-refs.txt": (item("title: Character references") + "Body &#12; with &#11; forbidden &#1; refs &#xFFFE;.\n".encode(),
                      []),
    "brackets.txt": (item("title: Ten thousand brackets") + b"Intro.\n\n" + b"[" * 20_000 + b"\n",
                     [("warning", "shown as plain text")]),
    "topics-flood.txt": (item("title: Topic flood", topics="topics: [" + ", ".join(f"t{n}" for n in range(300)) + "]"),
                         [("warning", "300 topics; only the first 10 are kept")]),
    "invisible.txt": (item('title: "Invoice \u202etxt.exe\u200b"', 'provider: {name: "Evil\u2066 News"}',
                           topics='topics: ["\u200b", "\ufeff"]'),
                      [("warning", "entries that are not names were dropped"), ("warning", "no topics; assigned")]),
    ".hidden.txt": (item("title: Hidden"), None),
    "draft.txt~": (item("title: Backup"), None),
    ".draft.txt.swp": (b"\x00binary swap", None),
}
GOOD = {f"good-{n}.txt": item(f"title: Good story {n}", f"excerpt: Story number {n}") for n in range(3)}


@pytest.fixture(scope="module")
def hostile(tmp_path_factory):
    root = tmp_path_factory.mktemp("hostile")
    config = minimal_site(root, base_path="/digest/")
    for name, (data, _) in CASES.items():
        (root / "seeds" / name).write_bytes(data)
    for name, data in GOOD.items():
        (root / "seeds" / name).write_bytes(data)
    with open(root / "seeds" / "huge.txt", "wb") as huge:  # 50 MB, sparse: no disk used
        huge.truncate(50 * 1024 * 1024)
    outside = tmp_path_factory.mktemp("outside") / "secret.txt"
    outside.write_bytes(item("title: Secret from outside"))
    (root / "seeds" / "link.txt").symlink_to(outside)
    report = build(config, output=root / "out", show_progress=False)
    return root, report


def diagnostics_for(report, name):
    return sorted((d.severity, d.message) for d in report.diagnostics.items if d.path == f"seeds/{name}")


@pytest.mark.parametrize("name", sorted(CASES))
def test_each_bad_file_gets_exactly_the_expected_diagnostics(hostile, name):
    _, report = hostile
    expected = CASES[name][1] or []
    found = diagnostics_for(report, name)
    assert len(found) == len(expected), found
    for severity, text in expected:
        assert any(s == severity and text in m for s, m in found), (text, found)


def test_limits_and_links_are_reported(hostile):
    _, report = hostile
    assert any("over the 5,242,880-byte limit" in m for _, m in diagnostics_for(report, "huge.txt"))
    assert any("links outside its source folder" in m for _, m in diagnostics_for(report, "link.txt"))


def test_the_build_finishes_with_every_good_file_and_counts_the_bad(hostile):
    root, report = hostile
    home = (root / "out" / "index.html").read_text()
    assert all(f"Good story {n}" in home for n in range(3))
    assert report.skipped == sum(1 for _, (_, expected) in CASES.items() for s, _ in expected or [] if s == "error") + 1
    assert "Secret from outside" not in "".join(p.read_text() for p in (root / "out").rglob("*.html"))
    assert "Hidden" not in home and "Backup" not in home


def test_nothing_is_written_outside_the_output_and_no_page_overwrites_another(hostile):
    root, report = hostile
    out = (root / "out").resolve()
    assert all(p.resolve().is_relative_to(out) for p in out.rglob("*"))
    assert not (root / "escape").exists() and not list(root.glob("etc*"))
    pages = list(out.glob("[0-9][0-9][0-9][0-9]/[0-9][0-9]/*/index.html"))
    readable = sum(1 for name, (_, expected) in CASES.items() if expected is not None
                   and not any(s == "error" for s, _ in expected)) + len(GOOD)
    assert len(pages) == readable


INVISIBLE_OR_FORBIDDEN = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff\u202a-\u202e\u2066-\u2069\u200b\ufeff]")


def test_no_page_feed_or_email_carries_a_forbidden_or_invisible_character(hostile):
    root, _ = hostile
    for path in (p for p in (root / "out").rglob("*") if p.suffix in (".html", ".xml", ".json", ".txt", ".opml")):
        found = INVISIBLE_OR_FORBIDDEN.findall(path.read_text(encoding="utf-8"))
        assert not found, (path, found)
    page = next((root / "out").glob("2021/01/invoice-*/index.html")).read_text()
    assert "Invoice txt.exe" in page and "Evil News" in page
    assert "Body  with  forbidden  refs ." in next((root / "out").glob("2021/01/character-references/index.html")).read_text()


def test_a_flood_of_topics_makes_ten_topic_pages_not_three_hundred(hostile):
    root, _ = hostile
    assert not (root / "out" / "topics" / "t10").exists() and (root / "out" / "topics" / "t9" / "feed.xml").is_file()


def test_a_body_too_costly_to_format_is_kept_as_plain_text(hostile):
    root, _ = hostile
    page = (root / "out" / "2021" / "01" / "ten-thousand-brackets" / "index.html").read_text()
    assert "<p>Intro.</p>" in page and "[" * 20_000 in page


def test_every_page_parses_and_every_feed_is_valid(hostile):
    root, _ = hostile
    parser = html5lib.HTMLParser(strict=True)
    for page in (root / "out").rglob("*.html"):
        parser.parse(page.read_bytes())
    for feed in (root / "out").rglob("feed.xml"):
        assert feedparser.parse(feed.read_bytes()).bozo == 0, feed


# ---- property-based: whatever the front matter, the build completes and its output parses ----------

scalars = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False), st.text(max_size=40),
                    st.sampled_from(["2021-01-12", "2021-01-12T04:40:00Z", "javascript:alert(1)", "<b>x</b>", "NO"]))
values = st.recursive(scalars, lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3),
                      max_leaves=8)
FIELDS = ["title", "excerpt", "summary", "publishedDateTime", "date", "updatedDateTime", "topics", "images",
          "provider", "related", "webUrl", "originalUrl", "type", "quality", "heat", "published", "draft",
          "featuredContent", "id", "slug"]
front_matter = st.dictionaries(st.sampled_from(FIELDS) | st.text(max_size=10), values, max_size=8)


def yaml_text(meta) -> str:
    import yaml
    return yaml.safe_dump(meta, allow_unicode=True)


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(documents=st.lists(st.tuples(front_matter, st.text(max_size=200), st.booleans()), min_size=1, max_size=4))
def test_any_front_matter_builds_into_valid_pages_and_feeds(tmp_path_factory, documents):
    root = tmp_path_factory.mktemp("prop")
    config = minimal_site(root)
    for number, (meta, body, with_front) in enumerate(documents):
        text = f"---\n{yaml_text(meta)}---\n{body}" if with_front else body
        (root / "seeds" / f"doc{number}.txt").write_text(text, encoding="utf-8", errors="surrogatepass")
    build(config, output=root / "out", show_progress=False)
    parser = html5lib.HTMLParser(strict=True)
    for page in (root / "out").rglob("*.html"):
        parser.parse(page.read_bytes())
    for feed in (root / "out").rglob("feed.xml"):
        parsed = feedparser.parse(feed.read_bytes())
        assert parsed.bozo == 0, (feed, parsed.get("bozo_exception"))


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.binary(max_size=300))
def test_any_bytes_at_all_never_crash_the_build(tmp_path_factory, data):
    root = tmp_path_factory.mktemp("bytes")
    config = minimal_site(root)
    (root / "seeds" / "raw.txt").write_bytes(data)
    (root / "seeds" / "fenced.txt").write_bytes(b"---\n" + data + b"\n---\n")
    build(config, output=root / "out", show_progress=False)
    assert (root / "out" / "index.html").is_file()


FORBIDDEN = st.sampled_from(["\x01", "\x0b", "\x1f", "\x7f", "\x80", "\x85", "\x9f", "\ufdd0", "\ufdef", "\ufffe",
                             "\uffff", "\U0001fffe", "\U0010ffff"])
NEIGHBOURS = st.sampled_from(["\xa0", "\xa9", "\u0fff", "\ufdcf", "\ufdf0", "\ufffd", "\U0001fffd", "é", "“", "💊"])


@settings(max_examples=300, deadline=None)
@given(pieces=st.lists(st.text(max_size=20) | FORBIDDEN | NEIGHBOURS, max_size=12))
def test_decoding_removes_exactly_the_forbidden_characters(pieces):
    from generator.sources.document import decode
    from generator.sources.fields import CONTROL_CHARS

    text = "".join(pieces).replace("\x00", "")
    if any("\ud800" <= c <= "\udfff" for c in text):
        return  # not encodable as UTF-8
    decoded, lossy = decode("doc.txt", text.encode("utf-8"))
    expected = CONTROL_CHARS.sub("", text.replace("\r\n", "\n").replace("\r", "\n").removeprefix("\ufeff"))
    assert (decoded, lossy) == (expected, False)


# ---- interrupted builds leave the last complete site --------------------------------------------

def test_killed_builds_never_leave_a_half_written_site(tmp_path):
    corpus = shared_dir("corpus")
    site = tmp_path / "site"
    site.mkdir()
    (site / "seeds").symlink_to(corpus / "smartable-ai")
    (site / "site.yml").write_text("sources: [seeds]\nbase_path: /digest/\n")
    command = [sys.executable, "-m", "generator", "build", "--quiet", "--output", str(site / "output")]
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    subprocess.run(command, cwd=site, env=env, check=True, capture_output=True)
    good = tree_bytes(site / "output")
    assert len(good) > 100
    chance = random.Random(20261122)
    for attempt in range(8):
        shutil.rmtree(site / ".cache" / "builds", ignore_errors=True)  # a real build, not "nothing changed"
        process = subprocess.Popen(command, cwd=site, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            process.wait(timeout=chance.uniform(0.05, 1.5))
        except subprocess.TimeoutExpired:
            process.send_signal(signal.SIGKILL if attempt % 2 else signal.SIGINT)
            process.wait(timeout=30)
        assert tree_bytes(site / "output") == good, f"attempt {attempt}"
    subprocess.run(command, cwd=site, env=env, check=True, capture_output=True)
    assert sorted(p.name for p in site.iterdir()) == [".cache", "output", "published.json", "seeds",
                                                     "site.yml"], "leftovers are cleared"
    assert sorted(p.name for p in (site / ".cache").iterdir()) == ["builds", "pages", "pages.pickle", "reads.pickle",
                                                                         "search-words.pickle", "templates"]


# ---- script injection, checked in a real browser ------------------------------------------------

PAYLOADS = [
    '<script>window.__xss="script"</script>',
    '"><img src=x onerror="window.__xss=\'img\'">',
    "' onmouseover='window.__xss=1' data-x='",
    "</title><script>window.__xss='title'</script>",
    "javascript:window.__xss='href'",
    "{{ 7*7 }}{% raw %}",
]
BAD_URLS = ["javascript:window.__xss='url'", "data:text/html,<script>window.__xss=1</script>",
            "vbscript:msgbox(1)", "//evil.example/x.js", " JaVaScRiPt:window.__xss=1"]


def xss_item(n: int) -> str:
    import yaml
    text = PAYLOADS[n % len(PAYLOADS)]
    url = BAD_URLS[n % len(BAD_URLS)]
    meta = {
        "title": f"{text} title {n}", "excerpt": f"{text} excerpt", "publishedDateTime": f"2021-0{1 + n % 3}-1{n % 9}T04:40:00Z",
        "webUrl": url, "originalUrl": url, "type": text, "quality": text, "id": f"{text}-{n}", "slug": text,
        "provider": {"name": f"{text} provider", "domain": text},
        "topics": [f"{text} topic", "AI"],
        "images": [{"url": url, "width": text, "height": "10", "title": text}],
        "related": [{"title": f"{text} related", "excerpt": text, "webUrl": url, "publishedDateTime": text,
                     "provider": {"name": text}}],
        "featuredContent": f'{text}<iframe src="https://evil.example/frame" onload="window.__xss=1"></iframe>'
                           f'<iframe src="{url}"></iframe><script>window.__xss="featured"</script>',
    }
    return "---\n" + yaml.safe_dump(meta, allow_unicode=True) + "---\n" + f"Body {text} [link]({url}) <a href=\"{url}\">raw</a>\n"


@pytest.fixture(scope="module")
def xss_site(tmp_path_factory):
    root = tmp_path_factory.mktemp("xss")
    config = minimal_site(root, base_path="/digest/", title=PAYLOADS[0], description=PAYLOADS[1])
    for n in range(12):
        (root / "seeds" / f"item{n}.md").write_text(xss_item(n))
    (root / "seeds" / "plain.txt").write_text("\n".join(PAYLOADS + [f"- {p}" for p in PAYLOADS]))
    build(config, output=root / "out" / "digest", show_progress=False)
    return root / "out"


def test_no_injected_script_runs_on_any_page(xss_site, browser):  # noqa: F811
    with serving(xss_site) as base:
        _visit_every_page(xss_site, base, browser)


def _visit_every_page(xss_site, base, browser):
    context = browser.new_context()
    problems: list[str] = []
    page = context.new_page()
    page.route(lambda url: not url.startswith(base), lambda route: route.fulfill(status=204, body=""))
    page.on("dialog", lambda dialog: (problems.append(f"dialog: {dialog.message}"), dialog.dismiss()))
    page.on("console", lambda message: message.type == "error" and problems.append(
        f"console on {page.url}: {message.text} {message.location}"))
    page.on("response", lambda response: response.status >= 400 and problems.append(f"{response.status}: {response.url}"))
    page.on("pageerror", lambda error: problems.append(f"page error: {error}"))
    pages = sorted(xss_site.rglob("*.html"))
    assert len(pages) > 20
    try:
        for path in pages:
            page.goto(base + "/" + path.relative_to(xss_site).as_posix())
            page.mouse.move(10, 10)
            flag = page.evaluate("() => window.__xss")
            hrefs = page.eval_on_selector_all("[href],[src]", "els => els.map(e => e.getAttribute('href') || e.getAttribute('src'))")
            bad = [h for h in hrefs if h.strip().lower().startswith(("javascript:", "data:", "vbscript:", "//"))]
            if flag is not None or bad:
                problems.append(f"{path}: flag={flag!r} links={bad}")
    finally:
        context.close()
    assert problems == []


# ---- what the command line prints ---------------------------------------------------------------

def run_build(site, *options):
    return subprocess.run([sys.executable, "-m", "generator", "build", "--output", str(site / "out"), *options],
                          cwd=site, capture_output=True, text=True, env={**os.environ, "PYTHONPATH": str(REPO)})


def test_each_diagnostic_is_one_line_whatever_the_file_is_called(tmp_path):
    minimal_site(tmp_path)
    seeds = tmp_path / "seeds"
    names = ["two\nlines.txt", "tab\there.txt", "bell\x07.txt", "plain name.txt"]
    for name in names:
        (seeds / name).write_bytes(item(f"title: Story {len(name)}", 'quality: "high"'))
    result = run_build(tmp_path)
    assert result.returncode == 0, result.stderr
    lines = result.stderr.splitlines()
    assert len(lines) == len(names), lines
    assert all(line.endswith("warning: field 'quality': expected a whole number, got 'high'; ignored") for line in lines)
    assert "seeds/plain name.txt: warning: " in result.stderr, "an ordinary name is printed as it is"
    assert "'seeds/two\\nlines.txt': warning: " in result.stderr
    assert "'seeds/bell\\x07.txt': warning: " in result.stderr


# ---- reading stays inside the source folders ---------------------------------------------------------

def links_site(tmp_path):
    """A site whose source folders hold every kind of link that leads out of them, or nowhere."""
    root = tmp_path / "site"
    config = minimal_site(root)
    seeds, content = root / "seeds", root / "content"
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.txt").write_bytes(item("title: Secret from an outside folder"))
    (root / ".git").mkdir()
    (root / ".git" / "config").write_text("[core]\n\trepositoryformatversion = 0 secret-git-config\n")
    (seeds / ".private").mkdir()
    (seeds / ".private" / "draft.txt").write_bytes(item("title: Secret from a hidden folder"))
    (seeds / "sub").mkdir()
    (seeds / "good.md").write_bytes(item("title: Good story"))
    (seeds / "sub" / "real.txt").write_bytes(item("title: Real story in a subfolder"))
    (seeds / "more").symlink_to(outside, target_is_directory=True)
    (seeds / "notes.txt").symlink_to("../.git/config")
    (seeds / "loop").symlink_to("loop")
    (seeds / "dangling.txt").symlink_to("nowhere.txt")
    (seeds / "hidden.txt").symlink_to(".private/draft.txt")
    (seeds / "alias.txt").symlink_to("sub/real.txt")  # inside the source folder: read
    (seeds / "sub-again").symlink_to("sub", target_is_directory=True)  # its files are read where they are
    (seeds / "around").symlink_to(".", target_is_directory=True)
    content.mkdir()
    (content / "borrowed.md").symlink_to("../seeds/good.md")  # in the site, but outside its source folder
    with open(os.path.join(os.fsencode(seeds), b"latin-\xe9.txt"), "wb") as undecodable:
        undecodable.write(item("title: Undecodable file name"))
    return config


REFUSED = {"seeds/more": "links outside its source folder", "seeds/notes.txt": "links outside its source folder",
           "seeds/loop": "leads nowhere", "seeds/dangling.txt": "leads nowhere",
           "seeds/hidden.txt": "links to a hidden", "content/borrowed.md": "links outside its source folder",
           "seeds/latin-\udce9.txt": "not valid UTF-8"}


def test_nothing_is_read_through_a_link_leading_out_of_its_source_folder(tmp_path):
    config = links_site(tmp_path)
    report = build(config, output=config.root / "out", show_progress=False)
    found = [(d.path, d.severity, d.message) for d in report.diagnostics.items if "slug" not in d.message]
    assert sorted(path for path, _, _ in found) == sorted(REFUSED), found
    assert all(severity == "warning" and REFUSED[path] in message for path, severity, message in found), found
    pages = "".join(p.read_text() for p in (config.root / "out").rglob("*.html"))
    assert "Secret from" not in pages and "secret-git-config" not in pages and "Undecodable" not in pages
    assert "Good story" in pages and "Real story in a subfolder" in pages
    assert report.read == 3, "good.md, sub/real.txt and the link to it inside the folder, each once"


def test_hostile_links_never_give_a_traceback_and_fail_strict(tmp_path):
    config = links_site(tmp_path)
    plain, strict = run_build(config.root), run_build(config.root, "--strict", "--no-cache")
    assert plain.returncode == 0 and strict.returncode == 1
    for result in (plain, strict):
        assert "Traceback" not in result.stderr
        assert all(line.startswith(("seeds/", "content/", "'seeds/", "digest: error: --strict")) for line in
                   result.stderr.splitlines()), result.stderr


def test_a_file_swapped_for_an_outside_link_while_serving_is_not_read(tmp_path):
    from generator.diagnostics import Diagnostics
    from generator.sources import read_sources

    config = links_site(tmp_path)
    cache: dict = {}
    read_sources(config, (), Diagnostics(), cache=cache)
    good = config.root / "seeds" / "good.md"
    good.unlink()
    good.symlink_to(tmp_path / "outside" / "secret.txt")
    diagnostics = Diagnostics()
    articles = read_sources(config, (), diagnostics, cache=cache, edited={str(good)})
    assert "Secret from an outside folder" not in [a.title for a in articles]
    assert any(d.path == "seeds/good.md" and "outside its source folder" in d.message for d in diagnostics.items)


# ---- static files and logos ----------------------------------------------------------------------

def test_a_static_link_leading_out_of_its_folder_is_never_published(tmp_path):
    config = minimal_site(tmp_path, base_path="/digest/")
    (tmp_path / "seeds" / "a.txt").write_bytes(item("title: A story"))
    static = tmp_path / "static" / "logos"
    static.mkdir(parents=True)
    (static / "passwd.png").symlink_to("/etc/passwd")
    (static / "env.txt").symlink_to("/proc/self/environ")
    (static / "real.svg").write_text("<svg xmlns='http://www.w3.org/2000/svg'/>")
    (static / "alias.svg").symlink_to("real.svg")
    report = build(config, output=tmp_path / "out", show_progress=False)
    published = {p.name for p in (tmp_path / "out" / "static" / "logos").iterdir()}
    assert published == {"real.svg", "alias.svg"}, "a link inside static/ is fine"
    warned = {d.path for d in report.diagnostics.items if "links outside" in d.message}
    assert warned == {"static/logos/passwd.png", "static/logos/env.txt"}


def test_an_item_claiming_another_outlets_domain_does_not_get_its_logo(tmp_path):
    config = minimal_site(tmp_path, base_path="/digest/")
    (tmp_path / "static" / "logos").mkdir(parents=True)
    (tmp_path / "static" / "logos" / "wfmz.svg").write_text("<svg xmlns='http://www.w3.org/2000/svg'/>")
    (tmp_path / "content").mkdir()
    (tmp_path / "content" / "outlets.yml").write_text("wfmz.com: static/logos/wfmz.svg\n")
    (tmp_path / "seeds" / "real.txt").write_bytes(item("title: Real news", "provider: {name: WFMZ-TV, domain: wfmz.com}",
                                                        "webUrl: https://www.wfmz.com/news/1"))
    (tmp_path / "seeds" / "fake.txt").write_bytes(item("title: Fake news", "provider: {name: Evil, domain: wfmz.com}",
                                                        "webUrl: https://evil.example/1"))
    build(config, output=tmp_path / "out", show_progress=False)
    assert "wfmz.svg" in (tmp_path / "out" / "sources" / "wfmz-tv" / "index.html").read_text()
    assert "wfmz.svg" not in (tmp_path / "out" / "sources" / "evil" / "index.html").read_text()
