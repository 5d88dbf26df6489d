"""Readers: every seed, the whole shared corpus, and the YAML traps."""

import os
from collections import Counter
from datetime import datetime, timezone
from pathlib import Path

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from conftest import minimal_site, shared_dir, write
from generator.config import SiteConfig
from generator import yamlload
from generator.diagnostics import Diagnostics, SourceError
from generator.model import Topic
from generator.sources import read_file, read_sources, read_taxonomy, source_files
from generator.sources.document import parse_document

UTC = timezone.utc

SEEDS = {
    "000_18b3b3e0ce09e073": ("Study offers data related to physicians' potential liability to use AI in personalized medicine",
                             datetime(2021, 1, 12, 4, 40, tzinfo=UTC), ("AI",), True),
    "001_66d0eec8100579d4": ("When AI in healthcare goes wrong, who is responsible?",
                             datetime(2020, 9, 20, 8, 6, tzinfo=UTC), ("AI Ethics", "AI"), False),
    "002_06d28ed0651d8717": ("AI revolution in medicine",
                             datetime(2020, 11, 11, 16, 36, tzinfo=UTC), ("AI Ethics", "AI"), True),
    "004_5cd5536e1fb50c68": ("Ethical Considerations in AI-Driven Healthcare",
                             datetime(2023, 11, 6, 14, 6, tzinfo=UTC), ("AI in Healthcare", "AI", "AI Ethics"), False),
}
PLAIN_SEED = "003_29565fabe2cba5ab"


def read_one(config, path: Path, taxonomy=()):
    diagnostics = Diagnostics()
    return read_file(path, config, taxonomy, diagnostics), diagnostics


@pytest.mark.parametrize("stem", sorted(SEEDS))
def test_news_item_seeds_map_their_fields(site_config, stem):
    article, diagnostics = read_one(site_config, site_config.root / "seeds" / f"{stem}.txt")
    title, date, topics, draft = SEEDS[stem]
    assert (article.title, article.date, article.topics, article.draft) == (title, date, topics, draft)
    assert article.key == f"seeds/{stem}.txt"
    assert article.provider.name and article.outlet_url.startswith("https://")
    assert article.image.url.startswith("https://") and article.image.width and article.image.height
    assert article.related and all(r.title and r.date for r in article.related)
    assert diagnostics.items == []


def test_secured_blob_is_never_part_of_the_model(site_config):
    article, _ = read_one(site_config, site_config.root / "seeds" / "000_18b3b3e0ce09e073.txt")
    assert "58pipK7mvXiz" not in repr(article)


def test_plain_text_seed_has_title_headings_list_and_attributions(site_config):
    taxonomy = read_taxonomy(site_config, Diagnostics())
    article, diagnostics = read_one(site_config, site_config.root / "seeds" / f"{PLAIN_SEED}.txt", taxonomy)
    assert article.title == "Who's Liable When AI Makes a Medical Mistake? Doctors Fear They'll Pay the Price"
    headings = [b.text for b in article.blocks if b.kind == "heading"]
    assert headings == [
        "What Happens When AI Gets a Diagnosis Wrong?",
        "Why Does This Legal Gap Matter for Patient Trust?",
        "How to Establish Clear AI Accountability in Healthcare",
    ]
    [bullets] = [b.items for b in article.blocks if b.kind == "list"]
    assert len(bullets) == 4 and bullets[0].startswith("Reclassify AI as Products:")
    assert [b.text for b in article.blocks if b.kind == "attribution"] == [
        "Dr. Sarah Townley, Deputy Medical Director, Medical Protection Society",
        "Dr. Ragit Varia, President-Elect, Society for Acute Medicine",
    ]
    assert all(article.title not in b.text for b in article.blocks)
    assert article.summary.startswith("Doctors and the NHS could be held legally responsible")
    assert "Regulation & Liability" in article.topics and "AI in Healthcare" in article.topics
    # Plain text cannot carry a date or topics: the fallbacks are its documented reading, not a problem.
    assert diagnostics.items == []
    messages = [str(d) for d in diagnostics.reported]
    assert any(m.startswith(f"seeds/{PLAIN_SEED}.txt: info: no date") for m in messages)
    assert any(m.startswith(f"seeds/{PLAIN_SEED}.txt: info: no topics; assigned from keywords: ")
               and "Regulation & Liability" in m for m in messages)


def test_undated_file_outside_git_uses_its_modification_time(tmp_path):
    config = minimal_site(tmp_path)
    path = write(tmp_path / "seeds" / "note.txt", "A title\nA paragraph.\n")
    os.utime(path, (1_600_000_000, 1_600_000_000))
    article, diagnostics = read_one(config, path)
    assert article.date == datetime.fromtimestamp(1_600_000_000, tz=UTC)
    assert "info: no date; using the file modification time" in str(diagnostics.reported[0])


def test_front_matter_without_a_date_or_topics_still_warns(tmp_path):
    config = minimal_site(tmp_path)
    path = write(tmp_path / "seeds" / "note.md", "---\ntitle: A title\n---\nA paragraph.\n")
    _, diagnostics = read_one(config, path)
    assert [(d.severity, d.message[:10]) for d in diagnostics.reported] == [("warning", "no date; u"),
                                                                            ("warning", "no topics;")]


@pytest.mark.parametrize("typed, expected", [("NO", "NO"), ("2024", "2024"), ("1e3", "1e3"), ("on", "on"),
                                             ("null-ish", "null-ish"), ("'quoted'", "quoted")])
def test_yaml_scalars_stay_the_text_the_writer_typed(tmp_path, typed, expected):
    config = minimal_site(tmp_path)
    path = write(tmp_path / "seeds" / "x.md", f"---\ntitle: {typed}\ndate: 2021-01-01T00:00:00Z\n---\n")
    assert read_one(config, path)[0].title == expected


def test_bare_dates_and_naive_times_are_read_in_the_site_timezone(tmp_path):
    config = minimal_site(tmp_path, timezone="America/New_York")
    bare = write(tmp_path / "seeds" / "a.md", "---\ntitle: A\ndate: 2021-01-12\n---\n")
    naive = write(tmp_path / "seeds" / "b.md", "---\ntitle: B\npublishedDateTime: 2021-01-12T09:30:00\n---\n")
    assert read_one(config, bare)[0].date.isoformat() == "2021-01-12T00:00:00-05:00"
    assert read_one(config, naive)[0].date.isoformat() == "2021-01-12T09:30:00-05:00"


@pytest.mark.parametrize("front, draft", [("published: false", True), ("published: true", False),
                                          ("draft: true", True), ("draft: false", False), ("", False)])
def test_drafts_are_flagged_from_published_or_draft(tmp_path, front, draft):
    config = minimal_site(tmp_path)
    path = write(tmp_path / "seeds" / "x.md", f"---\ntitle: T\ndate: 2021-01-01\n{front}\n---\n")
    assert read_one(config, path)[0].draft is draft


def test_markdown_post_body_is_rendered_and_sanitised(tmp_path):
    config = minimal_site(tmp_path)
    path = write(tmp_path / "content" / "posts" / "p.md",
                 "---\ntitle: Post\ndate: 2021-01-01\nsummary: Short.\n---\nHello **world** <script>alert(1)</script>\n"
                 "[bad](javascript:alert(1)) [ok](https://example.org)\n")
    article, _ = read_one(config, path)
    assert "<strong>world</strong>" in article.body_html
    assert "<script" not in article.body_html and "javascript:" not in article.body_html
    assert 'href="https://example.org"' in article.body_html
    assert article.summary == "Short."


def test_document_id_field_wins_over_the_file_name(tmp_path):
    config = minimal_site(tmp_path)
    path = write(tmp_path / "seeds" / "renamed-file.md", "---\nid: story-42\ntitle: T\ndate: 2021-01-01\n---\n")
    assert read_one(config, path)[0].key == "story-42"


@pytest.mark.parametrize("key, message", [
    ("titel", "titel: unknown key; did you mean 'title'?"),
    ("sumary", "sumary: unknown key; did you mean 'summary'?"),
    ("publishedDatetime", "publishedDatetime: unknown key; did you mean 'publishedDateTime'?"),
    ("tags", "tags: unknown key; did you mean 'topics'?"),
    ("colour", "colour: unknown key; ignored"),
    ("two\\nlines", "two\\nlines: unknown key; ignored"),
    ("", "'': unknown key; ignored"),
])
def test_a_front_matter_key_that_nothing_reads_is_named(tmp_path, key, message):
    config = minimal_site(tmp_path)
    path = write(tmp_path / "seeds" / "x.md", f'---\ntitle: T\ndate: 2021-01-01\ntopics: [AI]\n"{key}": x\n---\n')
    _, diagnostics = read_one(config, path)
    assert [str(d) for d in diagnostics.reported] == [f"seeds/x.md: warning: {message}"]


def test_smartable_fields_we_do_not_show_and_nested_keys_are_not_reported(tmp_path):
    config = minimal_site(tmp_path)
    path = write(tmp_path / "seeds" / "x.md", "---\ntitle: T\ndate: 2021-01-01\ntopics: [AI]\ncategory: news\n"
                                             "secured: a;b\nampWebUrl: https://a.example/\ncdnAmpWebUrl: https://b.example/\n"
                                             "provider: {name: P, nmae: typo}\n---\n")
    _, diagnostics = read_one(config, path)
    assert diagnostics.reported == []


def test_broken_front_matter_is_an_error_with_file_line_and_column(tmp_path):
    config = minimal_site(tmp_path)
    path = write(tmp_path / "seeds" / "bad.md", "---\ntitle: ok\nexcerpt: \"unclosed\n---\n")
    with pytest.raises(SourceError) as caught:
        read_one(config, path)
    message = str(caught.value.diagnostic)
    assert message.startswith("seeds/bad.md:") and "YAML" in message
    assert caught.value.diagnostic.line is not None and caught.value.diagnostic.line >= 3


@pytest.mark.parametrize("front, expected", [
    ("- a\n- b", "must be a mapping"),
    ("x: !!python/object/apply:os.system [echo hi]", "python/object"),
    ("a: &x [1, 2]\nb: *x", "aliases"),
    ('t: "Q&A, AT&amp;T"\nb: {"k":&x [1], "l": *x}', "aliases"),  # an anchor right after a flow indicator
    ("t: Q&A\nb: [&x1 q, *x1]", "aliases"),
])
def test_unsafe_or_malformed_front_matter_is_refused(tmp_path, front, expected):
    config = minimal_site(tmp_path)
    path = write(tmp_path / "seeds" / "bad.md", f"---\n{front}\n---\n")
    with pytest.raises(SourceError, match=expected):
        read_one(config, path)


def test_editor_temporaries_hidden_and_data_files_are_not_documents(tmp_path):
    config = minimal_site(tmp_path)
    for name in ("real.md", ".hidden.md", "real.md~", ".real.md.swp", "4913", ".#real.md", "topics.yml"):
        write(tmp_path / "seeds" / name, "---\ntitle: x\n---\n")
    assert [Path(p).name for p in source_files(config, Diagnostics())] == ["real.md"]


def test_a_document_without_an_id_is_keyed_by_its_path(tmp_path):
    config = minimal_site(tmp_path, sources=("seeds", "content"))
    for path in ("seeds/same.md", "content/same.md", "seeds/same.txt", "content/posts/same.markdown"):
        write(tmp_path / path, "---\ntitle: One\ndate: 2021-01-01\ntopics: [AI]\n---\n")
    diagnostics = Diagnostics()
    articles = read_sources(config, (), diagnostics)
    assert [a.key for a in articles] == ["seeds/same.md", "seeds/same.txt", "content/posts/same.markdown",
                                         "content/same.md"]
    assert diagnostics.reported == []


def test_a_contested_id_is_kept_by_the_earliest_document_and_the_others_use_their_path(tmp_path):
    config = minimal_site(tmp_path, sources=("seeds", "content"))
    claims = {"seeds/a.md": "2021-01-03", "content/b.md": "2021-01-02", "seeds/c.md": "2021-01-02"}
    for path, date in claims.items():
        write(tmp_path / path, f"---\nid: shared\ntitle: {path}\ndate: {date}\ntopics: [AI]\n---\n")
    write(tmp_path / "seeds" / "d.md", "---\nid: seeds/e.md\ntitle: D\ndate: 2020-01-01\ntopics: [AI]\n---\n")
    write(tmp_path / "seeds" / "e.md", "---\ntitle: E\ndate: 2022-01-01\ntopics: [AI]\n---\n")
    diagnostics = Diagnostics()
    keys = {a.file: a.key for a in read_sources(config, (), diagnostics)}
    assert keys == {"content/b.md": "shared", "seeds/a.md": "seeds/a.md", "seeds/c.md": "seeds/c.md",
                    "seeds/d.md": "seeds/d.md", "seeds/e.md": "seeds/e.md"}
    warned = {d.path: d.message for d in diagnostics.reported}
    assert warned.keys() == {"seeds/a.md", "seeds/c.md", "seeds/d.md"}
    assert "'shared' is also claimed by content/b.md, which keeps it" in warned["seeds/a.md"]
    assert "'seeds/e.md' is also claimed by seeds/e.md" in warned["seeds/d.md"]


def test_topics_come_from_keywords_when_a_document_has_none(tmp_path):
    config = minimal_site(tmp_path)
    taxonomy = (Topic("Medical Imaging", "medical-imaging", keywords=("radiology", "scan")),
                Topic("AI Ethics", "ai-ethics", keywords=("bias",)))
    path = write(tmp_path / "seeds" / "x.md", "---\ntitle: Radiology AI reads every scan\ndate: 2021-01-01\n---\n")
    article, diagnostics = read_one(config, path, taxonomy)
    assert article.topics == ("Medical Imaging",)
    assert "assigned from keywords: Medical Imaging" in str(diagnostics.items[0])


# ---- the shared corpus of real Smartable items ---------------------------------------------------

CORRUPT = "2020-12-01-project-innereye"


def read_corpus_folder(folder: str, diagnostics: Diagnostics | None = None):
    corpus = shared_dir("corpus")
    config = minimal_site_config(corpus)
    articles, errors = [], []
    for path in sorted((corpus / folder).iterdir()):
        try:
            articles.append(read_file(path, config, (), Diagnostics() if diagnostics is None else diagnostics))
        except SourceError as error:
            errors.append(error.diagnostic)
    return articles, errors


def minimal_site_config(root: Path):
    return SiteConfig(root=root)


def test_every_powerapps_item_parses_and_matches_the_survey():
    articles, errors = read_corpus_folder("powerapps")
    assert errors == []
    assert len(articles) == 192
    assert Counter(a.media_type for a in articles) == {"article": 180, "video": 12}
    assert Counter(a.draft for a in articles) == {False: 132, True: 60}
    assert sum(bool(a.featured_html) for a in articles) == 13
    assert all(a.featured_html.startswith('<template><iframe src="https://www.youtube-nocookie.com/embed/')
               and '<a href="https://www.youtube.com/watch?v=' in a.featured_html for a in articles if a.featured_html)
    assert not any(a.media_type.endswith("\r") or a.title.endswith("\r") for a in articles)  # CRLF files


_FENCED_LINES = st.sampled_from(["---", "...", "--- ", "...\t", "---x", " ---", "----", ".. .", "title: T", "a: b", "",
                                 "- x", "  y: z", "text"])


@settings(max_examples=500, deadline=None)
@given(st.lists(_FENCED_LINES, max_size=8), st.booleans())
def test_front_matter_ends_at_the_first_fence_line_after_the_first(lines, newline):
    """A writer's `---` (or `...`), spaces after it or not, closes the front matter; what follows is the body."""
    text = "\n".join(["---", *lines]) + ("\n" if newline else "")
    split = text.split("\n")
    end = next((n for n, line in enumerate(split[1:], 1) if line.rstrip() in ("---", "...")), None)
    try:
        document = parse_document("doc.md", text)
    except SourceError as error:
        assert (end is None) == ("never closed" in error.diagnostic.message)
        return
    assert end is not None and document.body == "\n".join(split[end + 1:])
    front = yamlload.load_strings("\n".join(split[1:end])) or {}
    assert document.meta == front


def test_every_smartable_item_but_the_corrupt_one_parses_and_matches_the_survey():
    articles, errors = read_corpus_folder("smartable-ai")
    assert len(articles) == 147
    assert [e.path.split("/")[-1][: len(CORRUPT)] for e in errors] == [CORRUPT]
    assert "never closed" in errors[0].message
    assert Counter(a.media_type for a in articles) == {"article": 147}
    # 80 published, 41 unpublished, 26 without the field (treated as published)
    assert Counter(a.draft for a in articles) == {False: 106, True: 41}
    assert sum(a.quality is None for a in articles) == 25


def test_corpus_text_is_cleaned_of_entities_and_stray_whitespace():
    articles, _ = read_corpus_folder("powerapps")
    texts = [a.title for a in articles] + [a.summary for a in articles]
    assert not any("&#8217;" in t or "&amp;" in t for t in texts)
    assert all(t == t.strip() and "\n" not in t for t in texts)
    assert all(a.image is None or a.image.url == a.image.url.strip() for a in articles)


@pytest.mark.parametrize("folder", ["powerapps", "smartable-ai"])
def test_every_key_the_real_corpus_uses_is_known(folder):
    diagnostics = Diagnostics()
    articles, _ = read_corpus_folder(folder, diagnostics)
    assert len(articles) > 100
    assert [str(d) for d in diagnostics.reported if "unknown key" in d.message] == []


# ---- front matter of the common shape, read without libyaml, reads as libyaml reads it ----------

_PLAIN = list("aZ09 .:-_/'()+") + ["é", "日", "null", "https://x.org/a-b", "-1", "- "]
_TRICKY = list("\"\\#&*!|>%@`,[]{}?~=") + ["\u00a0", "\t", "\x85", "\u2028", "\ufeff", "\x01", "\x7f", "\r", "\n",
                                          "NULL", ": ", " #", "  "]
_text = st.lists(st.one_of(*[st.sampled_from(_PLAIN)] * 5, st.sampled_from(_TRICKY)), max_size=8).map("".join)
_key = st.one_of(*[st.sampled_from(["title", "webUrl", "a-b", "_k", "K9"])] * 6,
                 st.sampled_from(["null", "Null", "x y", "9", "~", "", "a" * 101]), _text)


def _scalar_source(value: str, style: str) -> str:
    if style == "quoted":
        return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
    return '"' + value + '"' if style == "raw" else value


_scalar = st.builds(_scalar_source, _text, st.sampled_from(["quoted", "quoted", "raw", "plain", "plain"]))
_values = st.recursive(_scalar, lambda inner: st.one_of(st.lists(inner, max_size=3).map(lambda v: ("list", v)),
                                                          st.lists(st.tuples(_key, inner), max_size=3).map(
                                                              lambda v: ("map", v))), max_leaves=12)


def _yaml_lines(value, column: int, gap: int, dash_gap: int) -> list[str]:
    """A mapping or list written in block style, `gap` more spaces per level (a list `dash_gap` more)."""
    if isinstance(value, str):
        return [" " * column + value]
    kind, items = value
    lines = []
    for item in items:
        if kind == "list":
            if isinstance(item, str):
                lines.append(" " * column + "- " + item)
            else:
                nested = _yaml_lines(item, column + 2, gap, dash_gap)
                lines += [(" " * column + "- " + nested[0].lstrip(" ")) if nested else " " * column + "-", *nested[1:]]
        else:
            key, inner = item
            if isinstance(inner, str):
                lines.append(f"{' ' * column}{key}: {inner}" if inner else f"{' ' * column}{key}:")
            else:
                lines.append(f"{' ' * column}{key}:")
                lines += _yaml_lines(inner, column + (dash_gap if inner[0] == "list" else gap), gap, dash_gap)
    return lines


_word = st.text(alphabet="aZ09._+/()'-:", min_size=1, max_size=6).filter(lambda w: w[0].isalnum() and w[-1] != ":")
_smartable_scalar = st.one_of(
    st.builds(_scalar_source, st.text(max_size=10), st.just("quoted")),
    st.builds(_scalar_source, st.text(st.characters(categories=("L", "N", "P", "S", "Zs")), max_size=10),
              st.just("quoted")),
    st.lists(_word, min_size=1, max_size=3).map(" ".join),
    st.sampled_from(["null", "true", "16", "-1", "2024-12-30T15:31:00Z", "https://example.org/a-b_c"]))
_smartable_key = st.sampled_from(["title", "excerpt", "webUrl", "provider", "name", "images", "url", "a-b", "_x"])
_smartable_values = st.recursive(_smartable_scalar, lambda inner: st.one_of(
    st.lists(inner, min_size=1, max_size=3).map(lambda v: ("list", v)),
    st.lists(st.tuples(_smartable_key, inner), min_size=1, max_size=3).map(lambda v: ("map", v))), max_leaves=10)
_documents = st.one_of(
    st.builds(lambda items, gap: "\n".join(_yaml_lines(("map", items), 0, gap, gap)),
              st.lists(st.tuples(_smartable_key, _smartable_values), min_size=1, max_size=5), st.sampled_from([2, 4])),
    st.builds(lambda items, gap, dash_gap, newline, blank: newline.join(
        line for n, line in enumerate(_yaml_lines(("map", items), 0, gap, dash_gap)) for line in (
            (line, "") if n == blank else (line,))),
        st.lists(st.tuples(_key, _values), min_size=1, max_size=5), st.sampled_from([1, 2, 2, 4]),
        st.sampled_from([0, 2, 2, 4]), st.sampled_from(["\n", "\n", "\r\n"]), st.integers(0, 6)),
    st.lists(st.one_of(_text, st.builds(lambda k, v: f"{k}: {v}", _key, _scalar)), max_size=6).map("\n".join),
)


def _libyaml(text: str):
    loader = yamlload.StringLoader(text)
    try:
        return loader.load()
    finally:
        loader.dispose()


def _same(a, b) -> bool:
    if type(a) is not type(b):
        return False
    if isinstance(a, dict):
        return list(a) == list(b) and all(_same(a[key], b[key]) for key in a)
    if isinstance(a, list):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b))
    return a == b


@settings(max_examples=3000, deadline=None)
@given(_documents)
def test_front_matter_reads_the_same_whether_libyaml_reads_it_or_not(text):
    try:
        expected = _libyaml(text)
    except yaml.YAMLError:
        with pytest.raises(yaml.YAMLError):
            yamlload.load_strings(text)
        return
    assert _same(yamlload.load_strings(text), expected)


def test_the_corpus_front_matter_reads_the_same_whether_libyaml_reads_it_or_not():
    corpus = shared_dir("corpus")
    checked = 0
    for path in sorted(corpus.rglob("*")):
        text = path.read_bytes().decode("utf-8", "replace") if path.is_file() else ""
        lines = text.split("\n")
        end = next((n for n, line in enumerate(lines[1:], 1) if line.rstrip() in ("---", "...")), None)
        if lines[0].rstrip() != "---" or end is None:
            continue
        front = "\n".join(lines[1:end])
        try:
            expected = _libyaml(front)
        except yaml.YAMLError:
            continue
        assert _same(yamlload.load_strings(front), expected), path
        checked += 1
    assert checked > 200
