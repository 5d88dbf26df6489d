"""End to end: build the project's own site into a temp folder and read it back as a visitor would."""

import os
import re
import subprocess
import sys
from pathlib import Path

import feedparser
import html5lib
import pytest

from conftest import REPO, shared_dir, write
from generator.build import build
from generator.config import SiteConfig, load_config
from imagestore import picture, stock
from sitecheck import broken_links, tree_bytes

EXPECTED_PAGES = [
    "index.html", "404.html", ".nojekyll", "feed.xml", "static/style.css",
    "topics/index.html", "topics/ai/index.html", "topics/ai/feed.xml", "topics/ai-ethics/index.html",
    "topics/ai-in-healthcare/index.html", "topics/ai-in-healthcare/feed.xml",
    "sources/index.html", "sources/quartz/index.html", "sources/quartz/feed.xml", "sources/quartz/feed.json", "feeds.opml",
    "archive/index.html", "2020/09/index.html", "2023/11/index.html", "about/index.html",
    "2020/09/when-ai-in-healthcare-goes-wrong-who-is-responsible/index.html",
    "2023/11/ethical-considerations-in-ai-driven-healthcare/index.html", "search/index.html",
    "search/index/site.json", "search/words.json",
]
SEED_IMAGE = "https://d2jx2rerrg6sh3.cloudfront.net/images/Article_Images/ImageForArticle_23905_16992787609573557.jpg"
DRAFT_TITLES = ["Study offers data related to physicians", "AI revolution in medicine"]


@pytest.fixture
def built(site, tmp_path):
    config = load_config(site / "site.yml")
    stock(config, SEED_IMAGE, picture(2000, 1333))  # as `digest images` leaves it
    report = build(config, output=tmp_path / "out", show_progress=False)
    return config, tmp_path / "out", report


def text(path: Path) -> str:
    return path.read_text(encoding="utf-8")


def test_every_expected_page_exists(built):
    _, out, report = built
    missing = [p for p in EXPECTED_PAGES if not (out / p).is_file()]
    assert missing == []
    assert report.read == 7 and report.skipped == 0


def test_every_internal_link_resolves_under_the_base_path(built):
    config, out, _ = built
    assert config.base_path == "/digest/"
    assert broken_links(out, config.base_path) == []


def test_links_also_resolve_when_published_at_the_domain_root(site, tmp_path):
    config = load_config(site / "site.yml", {"base_path": "/"})
    build(config, output=tmp_path / "out", show_progress=False)
    assert broken_links(tmp_path / "out", "/") == []


def test_drafts_are_absent_from_every_page_and_feed(built):
    _, out, _ = built
    for path in out.rglob("*"):
        if path.is_file() and path.suffix in (".html", ".xml"):
            assert not any(title in text(path) for title in DRAFT_TITLES), path
    assert "Draft" not in text(out / "index.html")


def test_drafts_build_shows_them_with_a_badge(site, tmp_path):
    build(load_config(site / "site.yml"), output=tmp_path / "out", drafts=True, show_progress=False)
    page = text(tmp_path / "out" / "2021" / "01" / "study-offers-data-related-to-physicians-potential-liability-to-use-ai-in" / "index.html")
    assert '<span class="badge">Draft</span>' in page
    assert "Study offers data related to physicians" in text(tmp_path / "out" / "index.html")


def test_two_builds_are_byte_identical(site, tmp_path):
    config = load_config(site / "site.yml")
    build(config, output=tmp_path / "a", show_progress=False)
    build(config, output=tmp_path / "b", show_progress=False)
    assert tree_bytes(tmp_path / "a") == tree_bytes(tmp_path / "b")


def test_every_feed_parses_strictly_with_the_same_ids_on_every_build(site, tmp_path):
    config = load_config(site / "site.yml")
    ids = []
    for name in ("a", "b"):
        build(config, output=tmp_path / name, show_progress=False)
        feeds = sorted((tmp_path / name).rglob("feed.xml"))
        assert len(feeds) >= 4
        parsed = {f.relative_to(tmp_path / name): feedparser.parse(f.read_bytes()) for f in feeds}
        assert {str(k): p.bozo for k, p in parsed.items() if p.bozo} == {}
        ids.append({str(k): [e.id for e in p.entries] for k, p in parsed.items()})
    assert ids[0] == ids[1] and all(ids[0].values())


def test_every_page_is_well_formed_html_linking_its_feed(built):
    _, out, _ = built
    parser = html5lib.HTMLParser(strict=True, namespaceHTMLElements=False)
    for page in (p for p in out.rglob("*.html") if p.name != "email.html"):  # mail: see test_editions.py
        document = parser.parse(page.read_bytes())
        feeds = document.findall(".//head/link[@type='application/atom+xml']")
        assert any(link.get("href") == "/digest/feed.xml" for link in feeds), page


def test_article_page_shows_what_a_reader_needs(built):
    _, out, _ = built
    page = text(out / "2023/11/ethical-considerations-in-ai-driven-healthcare/index.html")
    assert "<h1>Ethical Considerations in AI-Driven Healthcare" in page
    assert re.search(r'<time datetime="2023-11-06T14:06:00\+00:00"[^>]*>6 November 2023</time>', page)
    assert re.search(r'<span class="provider"[^>]*>News Medical</span>', page)
    hero = re.search(r'<figure class="hero">\s*<img src="/digest/(images/[^"]+-720\.webp)" srcset="[^"]+" sizes="[^"]+" '
                     r'alt="[^"]+" width="720" height="480" loading="lazy"', page)
    assert hero and (out / hero[1]).is_file(), "the site's own copy, sized for the page"
    assert "d2jx2rerrg6sh3" not in page, "never the outlet's"

    assert '<a href="https://www.news-medical.net/health/Ethical-Considerations-in-AI-Driven-Healthcare.aspx" rel="noopener">Read the full story at News Medical</a>' in page
    assert "Related coverage" in page and "Oncology researchers raise ethics concerns" in page
    assert 'href="/digest/2023/11/"' in page and 'href="/digest/topics/ai-ethics/"' in page
    assert "l7YC6LXOQezq" not in page, "the secured blob is never shown"


def test_plain_text_article_renders_headings_lists_and_attributions(built):
    _, out, _ = built
    [page] = out.glob("*/*/whos-liable-when-ai-makes-a-medical-mistake*/index.html")
    html = text(page)
    assert "<h2>What Happens When AI Gets a Diagnosis Wrong?</h2>" in html
    assert html.count("<li>") >= 4 and '<p class="attribution">— Dr. Sarah Townley' in html
    body = html.split("<body>", 1)[1]
    assert body.count(">Who&#39;s Liable When AI Makes a Medical Mistake?") == 1, "the <h1>, not repeated as a paragraph"


def test_month_page_groups_by_topic_and_archive_counts(built):
    _, out, _ = built
    archive = text(out / "archive/index.html")
    assert re.search(r'href="/digest/2023/11/">November 2023</a> <span class="count">1 story', archive)
    month = text(out / "2023/11/index.html")
    assert re.search(r'<h2><a href="/digest/topics/ai-in-healthcare/">AI in Healthcare</a></h2>', month)


def test_topics_page_lists_each_topic_with_its_count(built):
    _, out, _ = built
    topics = text(out / "topics/index.html")
    assert re.search(r'<a href="/digest/topics/ai-ethics/">AI Ethics</a>\s*<span class="count">3 stories', topics)


def test_a_site_can_override_a_single_template(site, tmp_path):
    write(site / "templates" / "404.html",
          '{% extends "!theme/404.html" %}{% block content %}<h1>Lost?</h1>{{ super() }}{% endblock %}')
    build(load_config(site / "site.yml"), output=tmp_path / "out", show_progress=False)
    page = text(tmp_path / "out" / "404.html")
    assert "<h1>Lost?</h1>" in page and "Page not found" in page
    assert "Latest news" in text(tmp_path / "out" / "index.html"), "other templates still come from the theme"


def run_cli(*args, cwd):
    return subprocess.run([sys.executable, "-m", "generator", *args], cwd=cwd, capture_output=True, text=True,
                          env={**os.environ, "PYTHONPATH": str(REPO)})


def test_cli_prints_one_summary_line_and_honours_options(site, tmp_path):
    result = run_cli("build", "--output", str(tmp_path / "o"), "--base-path", "/fork", cwd=site)
    assert result.returncode == 0, result.stderr
    summary = result.stdout.strip().splitlines()
    assert len(summary) == 1
    assert re.match(r"digest: read 7 documents, wrote \d+ pages and \d+ feeds into .*, 0 warnings, [\d.]+ s$", summary[0])
    assert "seeds/003_29565fabe2cba5ab.txt: info: no date" in result.stderr
    assert ": warning: " not in result.stderr
    assert 'href="/fork/topics/"' in text(tmp_path / "o" / "index.html")


def test_strict_passes_on_the_shipped_site_and_quiet_hides_infos(site, tmp_path):
    result = run_cli("build", "--strict", "--output", str(tmp_path / "o"), cwd=site)
    assert result.returncode == 0, result.stderr
    assert "seeds/003_29565fabe2cba5ab.txt: info: no topics; assigned from keywords" in result.stderr
    assert (tmp_path / "o" / "index.html").is_file()
    quiet = run_cli("build", "--quiet", "--no-cache", "--output", str(tmp_path / "q"), cwd=site)
    assert quiet.returncode == 0 and quiet.stderr == ""


def test_strict_fails_on_warnings_and_keeps_the_last_site(site, tmp_path):
    out = tmp_path / "o"
    assert run_cli("build", "--output", str(out), cwd=site).returncode == 0
    before = tree_bytes(out)
    write(site / "seeds" / "broken.txt", "---\ntitle: [unclosed\n---\n")
    result = run_cli("build", "--strict", "--output", str(out), cwd=site)
    assert result.returncode == 1
    assert re.search(r"^seeds/broken.txt:\d+:\d+: error: YAML", result.stderr, re.M) and "--strict" in result.stderr
    assert tree_bytes(out) == before


def test_a_bad_file_is_skipped_and_named_while_the_rest_builds(site, tmp_path):
    write(site / "seeds" / "broken.txt", "---\ntitle: ok\n  bad indent: [\n---\n")
    result = run_cli("build", "--output", str(tmp_path / "o"), cwd=site)
    assert result.returncode == 0
    assert re.search(r"^seeds/broken.txt:\d+:\d+: error: YAML", result.stderr, re.M)
    assert "(1 skipped)" in result.stdout
    assert (tmp_path / "o" / "2023/11/ethical-considerations-in-ai-driven-healthcare/index.html").is_file()


def test_config_errors_stop_the_build_with_a_clear_message(site, tmp_path):
    write(site / "site.yml", "title: x\npage_sise: 3\n")
    result = run_cli("build", "--output", str(tmp_path / "o"), cwd=site)
    assert result.returncode == 1
    assert result.stderr.strip() == "digest: error: site.yml: unknown key 'page_sise'"
    assert not (tmp_path / "o").exists()


def test_template_errors_name_the_template(site, tmp_path):
    write(site / "templates" / "topics.html", "{% for x in %}")
    result = run_cli("build", "--output", str(tmp_path / "o"), cwd=site)
    assert result.returncode == 1
    assert "topics.html:1: TemplateSyntaxError" in result.stderr and "Traceback" not in result.stderr


def test_a_broken_template_that_no_page_uses_does_not_stop_the_build(site, tmp_path):
    write(site / "templates" / "notes-draft.html", "{% for x in %}")
    result = run_cli("build", "--output", str(tmp_path / "o"), cwd=site)
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "o" / "index.html").is_file()


def test_the_whole_shared_corpus_builds_one_page_per_published_item(tmp_path):
    corpus = shared_dir("corpus")
    config = SiteConfig(root=corpus, sources=("powerapps", "smartable-ai"), base_path="/digest/")
    report = build(config, output=tmp_path / "out", show_progress=False)
    articles = [p for p in (tmp_path / "out").glob("[0-9][0-9][0-9][0-9]/[0-9][0-9]/*/index.html")]
    assert len(articles) == 132 + 106
    assert [d.path.split("/")[-1][:27] for d in report.diagnostics.errors] == ["2020-12-01-project-innereye"]
    assert broken_links(tmp_path / "out", "/digest/") == []
    for feed in (tmp_path / "out").rglob("feed.xml"):
        assert feedparser.parse(feed.read_bytes()).bozo == 0, feed


def test_a_parallel_build_is_byte_identical_to_a_serial_one(site, monkeypatch):
    import generator.parallel
    from generator.session import PreviewSession

    monkeypatch.setattr(generator.parallel, "THRESHOLD", 1)
    config = load_config(site / "site.yml")
    serial = PreviewSession(config, workers=1).rebuild()
    parallel = PreviewSession(config, workers=2).rebuild()
    assert parallel.files == serial.files
    assert len(parallel.rendered) == len(serial.rendered) > 20


def test_files_written_by_forked_workers_match_a_serial_build(site, tmp_path, monkeypatch):
    import generator.build
    import generator.parallel

    config = load_config(site / "site.yml")
    monkeypatch.setattr(generator.build.os, "cpu_count", lambda: 1)
    build(config, output=tmp_path / "serial", show_progress=False, use_cache=False)
    monkeypatch.setattr(generator.build.os, "cpu_count", lambda: 2)
    monkeypatch.setattr(generator.parallel, "THRESHOLD", 1)
    build(config, output=tmp_path / "forked", show_progress=False, use_cache=False)
    assert tree_bytes(tmp_path / "forked") == tree_bytes(tmp_path / "serial")
    assert len(tree_bytes(tmp_path / "forked")) > 20
