"""The site index: paths, slugs, topics, months, pagination and drafts."""

from datetime import datetime, timezone

from generator.config import SiteConfig
from generator.diagnostics import Diagnostics
from generator.index import build_index
from generator.routes import Reuse, paginate, site_outputs
from generator.model import Article, Provider, Topic

UTC = timezone.utc


def article(key, title="A title", when=datetime(2021, 1, 12, 4, 40, tzinfo=UTC), topics=("AI",), **extra):
    return Article(key=key, file=f"seeds/{key}.txt", kind=extra.pop("kind", "article"), title=title,
                   date=when, updated=when, topics=topics, **extra)


def index_of(articles, taxonomy=(), drafts=False, **settings):
    diagnostics = Diagnostics()
    config = SiteConfig(root=__import__("pathlib").Path("/nonexistent"), **settings)
    return build_index(config, articles, taxonomy, diagnostics, drafts), diagnostics, config


def test_articles_live_under_year_month_slug_newest_first():
    index, _, _ = index_of([article("a", "Older story", datetime(2020, 9, 20, tzinfo=UTC)),
                            article("b", "Newer story: AI & the NHS", datetime(2021, 1, 12, tzinfo=UTC))])
    assert [e.path for e in index.entries] == ["2021/01/newer-story-ai-the-nhs/", "2020/09/older-story/"]


def test_colliding_slugs_are_resolved_deterministically_with_a_warning():
    first = article("z-first", "Same title", datetime(2021, 1, 1, tzinfo=UTC))
    second = article("a-second", "Same title", datetime(2021, 1, 5, tzinfo=UTC))
    for order in ([first, second], [second, first]):
        index, diagnostics, _ = index_of(order)
        paths = {e.article.key: e.path for e in index.entries}
        assert paths == {"z-first": "2021/01/same-title/", "a-second": "2021/01/same-title-2/"}
        assert "slug 'same-title' is already used" in str(diagnostics.items[0])


def test_each_article_gets_its_own_path_even_if_two_share_a_key():
    days = (3, 1, 2)
    stories = [article("story", "Story", datetime(2026, 11, day, tzinfo=UTC), summary=f"day {day}", cluster=False)
               for day in days]  # kept apart, or they would be one story
    for order in (stories, stories[::-1]):
        index, diagnostics, _ = index_of(order)
        paths = {e.article.summary: e.path for e in index.entries}
        assert paths == {"day 1": "2026/11/story/", "day 2": "2026/11/story-2/", "day 3": "2026/11/story-3/"}


def test_titles_that_slugify_to_nothing_fall_back_to_the_key():
    index, _, _ = index_of([article("007_abc", "!!!"), article("008_def", "\U0001F600\U0001F600")])
    assert sorted(e.path for e in index.entries) == ["2021/01/007-abc/", "2021/01/008-def/"]


def test_slugs_fall_back_to_the_file_name_not_the_path_based_key():
    keyed_by_path = Article(key="seeds/007_abc.txt", file="seeds/007_abc.txt", kind="article", title="!!!",
                            date=datetime(2021, 1, 12, tzinfo=UTC), updated=datetime(2021, 1, 12, tzinfo=UTC))
    about = Article(key="content/pages/about.md", file="content/pages/about.md", kind="page", title="About",
                    date=datetime(2021, 1, 12, tzinfo=UTC), updated=datetime(2021, 1, 12, tzinfo=UTC))
    index, _, _ = index_of([keyed_by_path, about])
    assert [e.path for e in index.entries + index.standalone] == ["2021/01/007-abc/", "about/"]


def test_non_ascii_titles_get_ascii_slugs():
    index, _, _ = index_of([article("a", "Ärzte & KI — «Überblick»")])
    assert index.entries[0].path == "2021/01/arzte-ki-uberblick/"


def test_months_are_grouped_in_the_site_timezone():
    late = article("a", "Late", datetime(2021, 1, 31, 23, 30, tzinfo=UTC))
    assert index_of([late])[0].months[0].path == "2021/01/"
    assert index_of([late], timezone="Europe/Paris")[0].months[0].path == "2021/02/"
    assert index_of([late], timezone="Europe/Paris")[0].entries[0].path.startswith("2021/02/")


def test_month_groups_follow_the_first_topic_in_taxonomy_order():
    taxonomy = (Topic("AI Ethics", "ai-ethics", order=0), Topic("AI", "ai", order=1))
    index, _, _ = index_of([article("a", "One", topics=("AI",)), article("b", "Two", topics=("AI Ethics", "AI")),
                            article("c", "Three", topics=())], taxonomy)
    groups = [(topic.name, [e.article.key for e in entries]) for topic, entries in index.months[0].groups]
    assert groups == [("AI Ethics", ["b"]), ("AI", ["a"]), ("Other news", ["c"])]


def test_topics_outside_the_taxonomy_still_get_listings_and_feeds():
    index, _, _ = index_of([article("a", topics=("Quantum Medicine",))], (Topic("AI", "ai"),))
    assert [t.path for t in index.topics] == ["topics/quantum-medicine/"]
    assert "topics/quantum-medicine/" in [f.page_path for f in index.feeds]


def test_drafts_are_left_out_unless_asked_for():
    items = [article("pub", "Published"), article("dra", "Draft story", draft=True)]
    assert [e.article.key for e in index_of(items)[0].entries] == ["pub"]
    assert sorted(e.article.key for e in index_of(items, drafts=True)[0].entries) == ["dra", "pub"]
    assert all(e.article.key != "dra" for f in index_of(items)[0].feeds for e in f.entries)


def test_pagination_paths_and_neighbours():
    index, _, config = index_of([article(f"k{i:02d}", f"Story {i}") for i in range(45)], page_size=20)
    pages = paginate(index.entries, 20, "topics/ai/")
    assert [p.path for p in pages] == ["topics/ai/", "topics/ai/page/2/", "topics/ai/page/3/"]
    assert [len(p.entries) for p in pages] == [20, 20, 5]
    assert (pages[1].previous, pages[1].next) == ("topics/ai/", "topics/ai/page/3/")
    files = {p.path for p in site_outputs(config, index)}
    assert {"index.html", "page/2/index.html", "page/3/index.html", "topics/ai/page/3/index.html"} <= files


def test_feeds_hold_the_newest_feed_size_entries():
    items = [article(f"k{i:02d}", f"Story {i}", datetime(2021, 1, 1 + i, tzinfo=UTC)) for i in range(10)]
    index, _, _ = index_of(items, feed_size=3)
    assert [e.article.key for e in index.feeds[0].entries] == ["k09", "k08", "k07"]


def test_standalone_pages_get_top_level_paths_and_stay_out_of_listings():
    about = article("about", "About this digest", kind="page", topics=())
    index, _, _ = index_of([about, article("a")])
    assert [p.path for p in index.standalone] == ["about/"]
    assert [e.article.key for e in index.entries] == ["a"]


def test_an_index_updated_in_place_equals_one_built_afresh():
    from dataclasses import replace

    from generator.index import placed_alike, update_index

    articles = [article(f"k{n}", title=f"Story {n % 7}", when=datetime(2021, 1 + n % 12, 1 + n % 27, tzinfo=UTC),
                        topics=(("AI", "Imaging"), ("Imaging",), ())[n % 3]) for n in range(60)]
    articles.append(article("about", title="About", kind="page"))
    before, _, config = index_of(articles)
    edited = {3: replace(articles[3], summary="New excerpt", body_html="<p>New body</p>"),
              17: replace(articles[17], updated=datetime(2026, 1, 1, tzinfo=UTC)),
              60: replace(articles[60], body_html="<p>New about text</p>")}
    after = list(articles)
    for position, new in edited.items():
        assert placed_alike(articles[position], new)
        after[position] = new
    updated = update_index(before, {id(articles[p]): new for p, new in edited.items()})
    assert updated == index_of(after)[0]
    assert updated.months[-1] is before.months[-1], "lists without an edited article are kept as they were"


def test_every_article_field_declares_whether_it_moves_the_article():
    from dataclasses import fields

    from generator.model import Article

    undeclared = [f.name for f in fields(Article) if f.metadata.get("affects") not in ("placement", "content")]
    assert not undeclared, f"declare each with model.placement() or model.content(): {undeclared}"


def test_a_field_not_declared_content_counts_as_placement():
    from dataclasses import dataclass, field

    from generator.model import content, placement_fields

    @dataclass(frozen=True)
    class Extended:
        title: str = content("")
        heat_rank: int = field(default=0)  # a new field nobody declared yet

    assert placement_fields(Extended) == ("heat_rank",)


def test_any_change_to_a_placement_field_is_not_placed_alike():
    from dataclasses import replace

    from generator.index import PLACEMENT, placed_alike

    original = article("k1", slug="given")
    changes = {"key": "k2", "kind": "page", "draft": True, "file": "seeds/other.txt",
               "date": datetime(2022, 1, 1, tzinfo=UTC), "title": "Other", "slug": "other", "topics": ("Imaging",),
               "alternate_urls": ("https://example.org/amp/",), "cluster": False, "story": "one-story",
               "provider": Provider("Another outlet"), "outlet_url": "https://example.org/x", "quality": 50,
               "heat": 90, "featured": True}
    for name in PLACEMENT:
        assert not placed_alike(original, replace(original, **{name: changes[name]})), name


def test_pages_derived_again_after_an_edit_equal_pages_derived_afresh():
    from dataclasses import replace

    from generator.index import update_index

    articles = [article(f"k{n}", title=f"Story {n}", when=datetime(2021, 1 + n % 12, 1 + n % 27, tzinfo=UTC))
                for n in range(45)]
    before, _, config = index_of(articles)
    reuse = Reuse()
    first = site_outputs(config, before, reuse)
    reuse.next_build()
    after = update_index(before, {id(articles[7]): replace(articles[7], summary="Edited")})
    again = site_outputs(config, after, reuse)
    assert again == site_outputs(config, after), "the same outputs as without reuse"
    kept = [new for old, new in zip(first, again) if old is new]
    assert len(kept) > 30, "pages of untouched entries and months are handed back, not rebuilt"
    assert all("Edited" not in repr(page.context) for page in kept)
