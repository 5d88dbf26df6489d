"""The editors' overlay (content/editorial.yml) over fetched stories, read back as a reader, a subscriber
and a writer in the preview see it."""

from __future__ import annotations

import json

import pytest

from generator.build import build
from generator.config import load_config
from generator.session import PreviewSession
from readers import feed_entries, news, news_site

TRIAGE_URL = "https://wire.example/triage"
TRIAGE_PATH = "2026/06/hospital-deploys-ai-triage-in-emergency-rooms/"
EDITORIAL = f"""
"{TRIAGE_URL}?utm_source=newsletter":
  headline: Emergency rooms try AI triage, and waits fall
  note: "**Why it matters:** the first <script>x</script>trial in a public hospital."
  featured: true
"https://wire.example/bakery":
  hide: true
"https://wire.example/triag":
  headline: A typo names no story
"""


@pytest.fixture
def site(tmp_path):
    config = load_config(news_site(tmp_path / "site"), environ={})
    news(config, "triage.md", "Hospital deploys AI triage in emergency rooms", "2026-06-10T09:00:00Z", TRIAGE_URL,
         "Health Wire", excerpt="Clinicians report shorter waits.")
    news(config, "bakery.md", "Hospital bakery uses AI to bake bread", "2026-06-11T09:00:00Z",
         "https://wire.example/bakery", "Health Wire")
    news(config, "other.md", "Radiology AI approved by regulators", "2026-06-12T09:00:00Z",
         "https://other.example/fda", "Other News", heat=90)
    return config


def test_the_editors_headline_note_and_pick_show_everywhere_and_move_nothing(site):
    out = site.root / "out"
    build(site, output=out, show_progress=False)
    ids_before = {entry.link: entry_id for entry_id, entry in feed_entries(out).items()}
    (site.root / "content" / "editorial.yml").write_text(EDITORIAL)
    report = build(site, output=out, show_progress=False)
    page = (out / TRIAGE_PATH / "index.html").read_text()
    assert "<h1>Emergency rooms try AI triage, and waits fall" in page, "the address did not move"
    assert "Health Wire’s headline: “Hospital deploys AI triage in emergency rooms”" in page
    assert "<strong>Why it matters:</strong> the first" in page and "<script>x" not in page
    assert "Emergency rooms try AI triage" in (out / "index.html").read_text()
    entries = feed_entries(out)
    assert entries[ids_before[f"https://example.org/digest/{TRIAGE_PATH}"]].title.startswith("Emergency rooms"), \
        "the same feed id, the editor's headline"
    items = json.loads((out / "feed.json").read_text())["items"]
    assert any(item["title"].startswith("Emergency rooms") and "Why it matters" in item["content_html"] for item in items)
    edition = next((out / "editions").glob("2026-W24/index.html")).read_text()
    assert edition.index("Emergency rooms try AI triage") < edition.index("Radiology AI approved"), \
        "an editor's pick leads its edition"
    email = next((out / "editions").glob("2026-W24/email.txt")).read_text()
    assert "Why it matters: the first trial in a public hospital." in email
    warned = [d.message for d in report.diagnostics.warnings if d.path == "content/editorial.yml"]
    assert len(warned) == 1 and "names no story" in warned[0] and "wire.example/triage" in warned[0]


def test_a_hidden_story_is_in_no_listing_feed_sitemap_or_search(site):
    (site.root / "content" / "editorial.yml").write_text(EDITORIAL)
    out = site.root / "out"
    build(site, output=out, show_progress=False)
    everything = "".join(p.read_text() for p in out.rglob("*") if p.suffix in (".html", ".xml", ".json", ".txt"))
    assert "bakery" not in everything.lower()
    assert not list(out.glob("2026/06/hospital-bakery*"))


def test_the_preview_shows_an_edit_of_the_overlay_at_once(site):
    session = PreviewSession(site, workers=1)
    page = TRIAGE_PATH + "index.html"
    assert b"Emergency rooms" not in session.rebuild().files[page]
    (site.root / "content" / "editorial.yml").write_text(EDITORIAL)
    assert b"Emergency rooms try AI triage" in session.rebuild({site.root / "content" / "editorial.yml"}).files[page]
