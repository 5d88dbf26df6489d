"""Incremental builds equal clean builds, byte for byte, whatever one field of one document a writer edits:
the CLI build with its cache, and the dev server's session with its memory."""

import os
import shutil
from datetime import datetime, timezone
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import REPO
from generator.build import build
from generator.config import load_config
from generator.session import PreviewSession
from generator.diagnostics import Diagnostics
from generator.sources.article import FIELDS_READ, build_article
from generator.sources.document import Document
from sitecheck import tree_bytes

FRONT_MATTER_DOCUMENTS = ["seeds/000_18b3b3e0ce09e073.txt", "seeds/001_66d0eec8100579d4.txt",
                          "seeds/002_06d28ed0651d8717.txt", "seeds/004_5cd5536e1fb50c68.txt",
                          "content/posts/welcome.md", "content/pages/about.md"]
PLAIN_TEXT_DOCUMENT = "seeds/003_29565fabe2cba5ab.txt"

words = st.text(alphabet="abcdefgh ÉZ-'", min_size=1, max_size=24).map(str.strip).filter(bool)
dates = st.datetimes(min_value=__import__("datetime").datetime(2019, 12, 25),
                     max_value=__import__("datetime").datetime(2027, 1, 5)).map(lambda d: d.isoformat() + "Z")
topics = st.lists(st.sampled_from(["AI", "AI Ethics", "AI in Healthcare", "Brand New Topic"]), max_size=3)
urls = st.sampled_from(["https://example.org/a", "https://example.org/b/", "javascript:alert(1)", "",
                       "https://qz.com/1905712/when-ai-in-healthcare-goes-wrong-who-is-responsible-2/"])  # joins a story
# Every field a document can carry, with values that move it (dates, topics, titles that collide) or not.
FIELDS = {
    "title": st.one_of(words, st.just("When AI in healthcare goes wrong, who is responsible?")),
    "excerpt": words, "summary": words,
    "publishedDateTime": st.one_of(dates, st.just("not a date")), "date": dates, "updatedDateTime": dates,
    "topics": topics, "published": st.sampled_from(["true", "false"]), "draft": st.sampled_from(["true", "false"]),
    "slug": words, "id": st.one_of(words, st.just("welcome")), "type": st.sampled_from(["article", "video"]),
    "provider": st.builds(lambda name: {"name": name, "domain": "example.org"}, words),
    "quality": st.integers(0, 100), "heat": st.integers(0, 100), "webUrl": urls,
    "images": st.builds(lambda url: [{"url": url, "width": 10, "height": 10}], urls),
    "related": st.builds(lambda title, url: [{"title": title, "webUrl": url}], words, urls),
    "updated": dates, "originalUrl": urls, "link": urls, "ampWebUrl": urls, "cdnAmpWebUrl": urls,
    "cluster": st.sampled_from(["true", "false"]), "featured": st.sampled_from(["true", "false"]), "story": words,
    "featuredContent": st.sampled_from(['<iframe src="https://www.youtube.com/embed/dQw4w9WgXcQ"></iframe>',
                                        "<p>Watch the briefing</p>"]),
}


def test_every_field_the_reader_takes_is_edited_here_and_none_it_takes_is_called_unknown():
    class Recorded(dict):
        asked: set = set()

        def get(self, key, default=None):
            self.asked.add(key)
            return super().get(key, default)

    config = load_config(REPO / "site.yml", environ={})
    document = Document("seeds/x.md", Recorded(category="news"), "Body.\n")
    build_article(document, REPO / "seeds" / "x.md", "story", config, (), Diagnostics(),
                  undated=lambda file: (datetime(2026, 1, 1, tzinfo=timezone.utc), "test"))
    assert Recorded.asked == FIELDS_READ, "a key read but undeclared is reported unknown; declared, never read"
    assert set(FIELDS) == FIELDS_READ


def edit_front_matter(path: Path, field: str, value) -> None:
    text = path.read_text(encoding="utf-8")
    _, meta, body = text.split("---\n", 2)
    data = yaml.safe_load(meta) or {}
    if value is None:
        data.pop(field, None)
    else:
        data[field] = value
    path.write_text("---\n" + yaml.safe_dump(data, allow_unicode=True, sort_keys=True) + "---\n" + body,
                    encoding="utf-8")


def bump(path: Path) -> None:
    """The read cache knows a file by size and mtime; a real save lands on a later clock tick."""
    status = path.stat()
    os.utime(path, ns=(status.st_atime_ns, status.st_mtime_ns + 1_000_000_000))


@pytest.fixture(scope="module")
def writer(tmp_path_factory):
    """One site a writer keeps editing: the dev server's session and the CLI's cache live through every edit."""
    site = tmp_path_factory.mktemp("incremental") / "site"
    for name in ("seeds", "content"):
        shutil.copytree(REPO / name, site / name)
    shutil.copy2(REPO / "site.yml", site / "site.yml")
    config = load_config(site / "site.yml", environ={})
    session = PreviewSession(config)
    session.rebuild()
    build(config, output=site / "out", show_progress=False)
    return site, config, session


@pytest.mark.parametrize("field", sorted(FIELDS) + ["text"])
@settings(max_examples=2, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_any_one_field_edited_rebuilds_exactly_as_a_clean_build(writer, field, data):
    site, config, session = writer
    if field == "text":
        document = site / PLAIN_TEXT_DOCUMENT
        lines = document.read_text(encoding="utf-8").split("\n")
        document.write_text("\n".join([data.draw(words)] + lines[1:]), encoding="utf-8")
    else:
        document = site / data.draw(st.sampled_from(FRONT_MATTER_DOCUMENTS))
        edit_front_matter(document, field, data.draw(st.one_of(FIELDS[field], st.none())))
    bump(document)

    shutil.rmtree(site / "clean", ignore_errors=True)
    build(config, output=site / "clean", show_progress=False, use_cache=False)
    clean = tree_bytes(site / "clean")
    build(config, output=site / "out", show_progress=False)
    assert tree_bytes(site / "out") == clean, "the CLI's cached build"
    assert session.rebuild({document}).files == {path: data for path, data in clean.items()
                                                  if not path.startswith("static/")}, "the dev server's rebuild"
