"""Each story once, as readers and subscribers see the built corpus: one page, one listing entry, one
feed entry; every other copy's address redirects to it; the build and `digest clusters` report it."""

import html
import re
import shutil
import subprocess
import sys

import feedparser
import pytest

from conftest import REPO, shared_dir
from generator.build import build
from generator.config import load_config
from sitecheck import broken_links

PR_NEWSWIRE = "2021/01/global-healthcare-artificial-intelligence-market-2020-2027-growing-incorporation"  # slugs stop at 80
KARIUS = "2020/07/karius-named-to-forbes-ai-50-list-of-most-promising-artificial-intelligence"


@pytest.fixture(scope="module")
def corpus_site(tmp_path_factory):
    root = tmp_path_factory.mktemp("stories")
    shutil.copytree(shared_dir("corpus") / "smartable-ai", root / "seeds")
    (root / "site.yml").write_text("url: https://example.org\nbase_path: /digest/\nsources: [seeds]\n"
                                   "feed_size: 1000\npage_size: 1000\n")
    report = build(load_config(root / "site.yml", environ={}), output=root / "out", show_progress=False)
    return root, report


def test_a_story_told_twice_has_one_page_listing_all_its_outlets(corpus_site):
    root, _ = corpus_site
    page = (root / "out" / PR_NEWSWIRE / "index.html").read_text()
    assert "Also covered by" not in page, "its other copy is PR Newswire's again, at the same address: no other outlet"
    karius = (root / "out" / KARIUS / "index.html").read_text()
    also = karius[karius.index("Also covered by"):karius.index("</section>", karius.index("Also covered by"))]
    assert "Business Insider" in also, "the copy that is not shown is listed with its outlet"


def test_every_other_copy_redirects_to_the_story(corpus_site):
    root, _ = corpus_site
    copy = (root / "out" / (PR_NEWSWIRE + "-2") / "index.html").read_text()
    assert f'rel="canonical" href="https://example.org/digest/{PR_NEWSWIRE}/"' in copy
    assert f'http-equiv="refresh" content="0; url=/digest/{PR_NEWSWIRE}/"' in copy
    sitemap = (root / "out" / "sitemap.xml").read_text()
    assert PR_NEWSWIRE + "-2/" not in sitemap and PR_NEWSWIRE + "/" in sitemap
    assert broken_links(root / "out", "/digest/") == []


def test_listings_and_feeds_carry_each_story_once(corpus_site):
    root, _ = corpus_site
    home = (root / "out" / "index.html").read_text()
    assert home.count('href="/digest/' + PR_NEWSWIRE + '/"') == 1
    assert PR_NEWSWIRE + "-2/" not in home
    feed = feedparser.parse((root / "out" / "feed.xml").read_bytes())
    titles = [entry.title for entry in feed.entries]
    assert titles.count("Global Healthcare Artificial Intelligence Market, 2020-2027 - Growing Incorporation "
                        "of AI in Clinical Trials to Accelerate New Drug Launches") == 1
    assert len(set(entry.id for entry in feed.entries)) == len(feed.entries)


def test_the_story_keeps_the_id_of_its_first_copy_when_a_later_one_joins(corpus_site, tmp_path):
    root, _ = corpus_site
    site = tmp_path / "site"
    shutil.copytree(root / "seeds", site / "seeds")
    shutil.copy2(root / "site.yml", site / "site.yml")
    later = site / "seeds" / "2021-01-20-global-healthcare-artificial-intelligence-market-2020-2027-growing-incorporation-of-ai-in-clinical-trials-to-accelerate-new-drug-launches.md"
    kept = later.read_text()
    later.unlink()
    build(load_config(site / "site.yml", environ={}), output=site / "before", show_progress=False)
    later.write_text(kept)
    build(load_config(site / "site.yml", environ={}), output=site / "after", show_progress=False)
    ids = [{e.id for e in feedparser.parse((site / name / "feed.xml").read_bytes()).entries} for name in ("before", "after")]
    assert ids[0] == ids[1], "the copy joined the story: nothing new is announced"


def test_the_build_reports_each_merge_and_clusters_lists_them(corpus_site):
    root, report = corpus_site
    infos = [d for d in report.diagnostics.reported if d.severity == "info" and d.message.startswith("one story")]
    assert len(infos) == 2 and all("smartable-ai" not in d.path for d in infos)
    result = subprocess.run([sys.executable, "-m", "generator", "clusters"], cwd=root, capture_output=True, text=True,
                            env={"PYTHONPATH": str(REPO), "PATH": "/usr/bin:/bin"}, timeout=120)
    assert result.returncode == 0, result.stderr
    assert "seeds/2021-01-19-global-healthcare" in result.stdout and "seeds/2021-01-20-global-healthcare" in result.stdout
    assert "same URL" in result.stdout
    assert re.search(r"^2 stories told by more than one document", result.stdout, re.M)


STORY_LINK = re.compile(r'<h[23]><a href="(/digest/\d{4}/\d\d/[^"]+)"')
META = re.compile(r'class="meta">((?:(?!class="meta").)*?</time>[^<]*)', re.S)
TAGS = re.compile(r"<[^>]+>")


def test_the_front_page_names_each_story_once(corpus_site):
    root, _ = corpus_site
    home = (root / "out" / "index.html").read_text()
    assert "Top stories" in home
    links = STORY_LINK.findall(home)
    assert len(links) > 20 and len(links) == len(set(links)), "top stories first, then what is new and not yet shown"


def test_every_list_gives_a_story_the_same_meta_line_outlet_first(corpus_site):
    root, _ = corpus_site
    out = root / "out"
    pages = [out / "index.html", out / "2021" / "01" / "index.html", next((out / "editions").glob("2021-W*/index.html")),
             next((out / "topics").glob("*/index.html"))]
    lines = [TAGS.sub("", line).strip() for path in pages for line in META.findall(path.read_text())]
    dated = [line for line in lines if re.search(r"\d{4}$|Video$|outlets?$", line)]
    assert len(dated) > 50
    shape = re.compile(r"^(?:[^·]+? (?:and \d+ more outlets? )?· )?\d{1,2} [A-Z][a-z]+ \d{4}(?: · Video)?$")
    assert [line for line in dated if not shape.match(line)] == [], "outlet (and how many more), then date"
    assert not any(line.startswith("Digest ·") for line in lines), "no invented outlet"
    email = next((out / "editions").glob("2021-W*/email.txt")).read_text()
    assert re.search(r"^   [^·\n]+ · \d{1,2} [A-Z][a-z]+ \d{4}$", email, re.M), "the email says it the same way"


def test_a_story_page_lists_each_other_outlet_and_headline_once_and_never_itself(corpus_site):
    root, _ = corpus_site
    for path in (root / "out").glob("20*/*/*/index.html"):
        page = path.read_text()
        if "http-equiv=\"refresh\"" in page:
            continue
        headline = re.search(r"<h1>(.*?)(?: <span|</h1>)", page).group(1)
        for section in ("related-coverage", "also-covered"):
            if f'id="{section}"' in page:
                listed = page.split(f'id="{section}"')[1].split("</section>")[0]
                assert f">{headline}<" not in listed and f"· {headline}<" not in listed, (path, section)
        if 'id="also-covered"' in page:
            listed = page.split('id="also-covered"')[1].split("</section>")[0]
            outlets = re.findall(r'rel="noopener">([^<]+)</a>', listed)
            assert len(outlets) == len(set(outlets)), path


ENDS_A_SENTENCE = re.compile(r"[.!?…][\"'”’)\]]*$")


def test_a_summary_the_source_cut_is_marked_as_cut_wherever_it_appears(corpus_site):
    root, _ = corpus_site
    out = root / "out"
    shown = [html.unescape(TAGS.sub("", text)).strip() for path in out.glob("20*/*/*/index.html")
             for text in re.findall(r'<p class="summary">(.*?)</p>', path.read_text(), re.S)]
    home = (out / "index.html").read_text()
    shown += [html.unescape(text) for text in re.findall(r'</p>\n  <p>([^<]+)</p>', home)]
    email = next((out / "editions").glob("2021-W*/email.txt")).read_text()
    shown += [line.strip() for line in email.splitlines() if line.startswith("   ") and "·" not in line
              and "://" not in line]
    assert len(shown) > 100
    assert [text for text in shown if not ENDS_A_SENTENCE.search(text)] == [], "every summary ends as it should"
    assert not [text for text in shown if re.search(r"[.!?]…$|[,;:]…$|\.\.\.$", text)], \
        "a complete sentence gets no ellipsis, and a cut leaves no dangling comma"
