"""Stories: one news story that arrives several times is one story; look-alikes stay apart."""

import os
import random
import shutil
import subprocess
import sys
from dataclasses import replace
from datetime import datetime, timedelta, timezone
from types import SimpleNamespace
from urllib.parse import urlsplit

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from conftest import REPO, minimal_site, shared_dir, write
from generator import stories
from generator.config import SiteConfig
from generator.diagnostics import Diagnostics
from generator.model import Article, Provider
from generator.sources import read_file, read_sources
from generator.stories import Story, canonical_url, cluster_stories

UTC = timezone.utc
FOLDERS = ("powerapps", "smartable-ai")

PR_NEWSWIRE_TWO_DAYS = (  # one release, one URL, fetched on two days
    "smartable-ai/2021-01-19-global-healthcare-artificial-intelligence-market-2020-2027-growing-incorporation"
    "-of-ai-in-clinical-trials-to-accelerate-new-drug-launches.md",
    "smartable-ai/2021-01-20-global-healthcare-artificial-intelligence-market-2020-2027-growing-incorporation"
    "-of-ai-in-clinical-trials-to-accelerate-new-drug-launches.md",
)
KARIUS_WFMZ_AND_BUSINESS_INSIDER = (  # one release syndicated a day apart, two URLs
    "smartable-ai/2020-07-15-karius-named-to-forbes-ai-50-list-of-most-promising-artificial-intelligence-companies.md",
    "smartable-ai/2020-07-16-karius-named-to-forbes-ai-50-list-of-most-promising-artificial-intelligence-companies.md",
)
PROVANCE_REPOSTS = (  # ITSM/ISTM, some "RE-TRANSMISSION:", five URLs over three days
    "powerapps/2021-05-10-provance-releases-serviceteam-a-new-family-of-istm-power-apps-products.md",
    "powerapps/2021-05-11-re-transmission-provance-releases-serviceteam-a-new-family-of-itsm-power-apps-products.md",
    "powerapps/2021-05-11-provance-releases-serviceteam-a-new-family-of-itsm-power-apps-products.md",
    "powerapps/2021-05-13-re-transmission-provance-releases-serviceteam-a-new-family-of-itsm-power-apps-products.md",
    "powerapps/2021-05-13-provance-releases-serviceteam-a-new-family-of-istm-power-apps-products.md",
)
BLOG_POST_TWO_TITLES = (  # one URL, two titles, six weeks apart
    "powerapps/2021-01-14-on-boarding-user-external-user-to-tenant-through-powerapps-portal.md",
    "powerapps/2021-02-28-user-on-boarding-walkthrough-powerapps-portal-way.md",
)
INFOWORLD_AND_RESELLER = (  # one article on two sites a day apart
    "powerapps/2021-05-05-microsoft-fleshes-out-power-apps.md",
    "powerapps/2021-05-06-microsoft-fleshes-out-power-apps.md",
)
MERGED = {PR_NEWSWIRE_TWO_DAYS: "same URL", KARIUS_WFMZ_AND_BUSINESS_INSIDER: "similar title (100)",
          PROVANCE_REPOSTS: "similar title (98)", BLOG_POST_TWO_TITLES: "same URL",
          INFOWORLD_AND_RESELLER: "similar title (100)"}

KEPT_APART = {
    "release waves (Power Apps)": ("powerapps/2019-08-19-microsoft-power-apps-2019-release-wave-2-overview.md",
                                   "powerapps/2020-08-04-microsoft-power-apps-2020-release-wave-1-overview.md"),
    "release waves (portals)": ("powerapps/2019-08-26-microsoft-power-apps-portals-2019-release-wave-2-overview.md",
                                "powerapps/2020-05-12-microsoft-power-apps-portals-2020-release-wave-1-overview.md"),
    "Power Apps and Power Apps Portals": (
        "powerapps/2019-08-19-microsoft-power-apps-2019-release-wave-2-overview.md",
        "powerapps/2019-08-26-microsoft-power-apps-portals-2019-release-wave-2-overview.md"),
    "market reports half a year apart": (
        "smartable-ai/2020-08-18-artificial-intelligence-in-healthcare-market-growth-leading-players-and-forecast-to-2025.md",
        "smartable-ai/2021-02-15-artificial-intelligence-in-healthcare-market-growth-leading-players-and-forecast-to-2021.md"),
    "two launch events": (
        "powerapps/2020-09-28-see-all-the-power-apps-updates-at-the-microsoft-business-applications-launch-event.md",
        "powerapps/2021-03-22-see-all-the-power-apps-updates-at-the-microsoft-business-applications-launch-event"
        "-april-6-2021.md"),
    "two general availabilities": (
        "powerapps/2021-01-07-announcing-the-general-availability-ga-of-monitor-in-power-apps.md",
        "powerapps/2021-01-20-announcing-the-general-availability-of-geospatial-features-in-power-apps.md"),
    "one announcement, two headlines": (
        "powerapps/2021-05-25-introducing-power-apps-ideas-ai-powered-assistance-now-helps-anyone-create-apps-using"
        "-natural-language.md",
        "powerapps/2021-05-26-microsoft-introduces-power-apps-ai-powered-assistance-to-create-apps-using-natural"
        "-language.md"),
}


def copy_corpus(root):
    corpus = shared_dir("corpus")
    for folder in FOLDERS:
        shutil.copytree(corpus / folder, root / folder)
    return SiteConfig(root=root, sources=FOLDERS)


@pytest.fixture(scope="module")
def corpus_root(tmp_path_factory):
    root = tmp_path_factory.mktemp("corpus")
    copy_corpus(root)
    return root


@pytest.fixture(scope="module")
def corpus(corpus_root) -> dict[str, Article]:
    articles = read_sources(SiteConfig(root=corpus_root, sources=FOLDERS), (), Diagnostics())
    return {a.file: a for a in articles}


@pytest.fixture(scope="module")
def corpus_stories(corpus) -> tuple[Story, ...]:
    return cluster_stories(corpus.values())


def story_of(all_stories, source: str) -> Story:
    [found] = [s for s in all_stories if source in {m.file for m in s.members}]
    return found


def shape(all_stories) -> list[tuple]:
    """What a reader sees of the clustering: each story's key, lead, members and reason."""
    return [(s.key, s.lead.key, tuple(m.key for m in s.members), s.reason) for s in all_stories]


def article(key, title, day, *, hour=12, url=None, quality=None, provider="", **fields) -> Article:
    date = datetime(2021, 5, 1, tzinfo=UTC) + timedelta(days=day, hours=hour)
    return Article(key=key, file=f"news/{key}.md", kind="article", title=title, date=date, updated=date,
                   outlet_url=url, quality=quality, provider=Provider(provider) if provider else None, **fields)


# ---- the shared corpus ------------------------------------------------------------------------

@pytest.mark.parametrize("sources", list(MERGED), ids=["pr-newswire", "karius", "provance", "blog", "infoworld"])
def test_the_same_story_arriving_twice_or_more_is_one_story(corpus_stories, sources):
    story = story_of(corpus_stories, sources[0])
    assert {m.file for m in story.members} == set(sources)
    assert story.reason == MERGED[sources]


@pytest.mark.parametrize("pair", list(KEPT_APART.values()), ids=list(KEPT_APART))
def test_look_alikes_that_are_different_stories_stay_apart(corpus_stories, pair):
    first, second = pair
    assert story_of(corpus_stories, first) is not story_of(corpus_stories, second)


@pytest.mark.parametrize("pair", list(KEPT_APART.values()), ids=list(KEPT_APART))
def test_look_alikes_stay_apart_even_when_published_the_same_hour(corpus, pair):
    first, second = (corpus[source] for source in pair)
    together = cluster_stories([first, replace(second, date=first.date + timedelta(minutes=5))])
    assert len(together) == 2


def test_every_other_corpus_item_is_a_story_of_its_own(corpus, corpus_stories):
    assert len(corpus) == 339
    assert sorted(len(s.members) for s in corpus_stories if len(s.members) > 1) == [2, 2, 2, 2, 5]
    assert len(corpus_stories) == 339 - 13 + 5
    assert sorted(m.key for s in corpus_stories for m in s.members) == sorted(a.key for a in corpus.values())


def test_story_key_is_its_earliest_member_and_the_lead_its_best(corpus_stories):
    provance = story_of(corpus_stories, PROVANCE_REPOSTS[0])
    assert [m.file for m in provance.members] == list(PROVANCE_REPOSTS)  # by date, not by file name
    assert provance.key == provance.members[0].key == provance.members[0].file
    assert provance.lead.quality == 37 and provance.lead.key == provance.key  # quality 37 beats 29; then earliest
    karius = story_of(corpus_stories, KARIUS_WFMZ_AND_BUSINESS_INSIDER[0])
    assert karius.key.rsplit("/", 1)[-1].startswith("2020-07-15-karius")  # WFMZ-TV came first ...
    # ... and leads: Business Insider's copy has a quality and WFMZ-TV's none, but a quality ranks
    # copies of one outlet only, so a later outlet's copy never takes over the story's page.
    assert karius.lead.provider.name == "WFMZ-TV"
    assert [a.provider.name for a in karius.others] == ["Business Insider"]


def test_a_seed_and_its_corpus_copy_are_one_story(corpus):
    config = SiteConfig(root=REPO)
    seed = read_file(REPO / "seeds" / "002_06d28ed0651d8717.txt", config, (), Diagnostics())
    copy = corpus["smartable-ai/2020-11-12-ai-revolution-in-medicine.md"]
    [story] = cluster_stories([copy, seed])
    assert story.reason == "same URL" and story.key == seed.key


def test_amp_addresses_are_read_from_the_corpus(corpus):
    with_amp = [a for a in corpus.values() if a.alternate_urls]
    assert len(with_amp) == 82
    assert all(u.startswith("https://") for a in with_amp for u in a.alternate_urls)
    business_insider = corpus[KARIUS_WFMZ_AND_BUSINESS_INSIDER[1]]
    assert business_insider.alternate_urls == (
        "https://markets.businessinsider.com/amp/news/karius-named-to-forbes-ai-50-list-of-most-promising-artificial"
        "-intelligence-companies-1029397339",
        "https://markets-businessinsider-com.cdn.ampproject.org/c/s/markets.businessinsider.com/amp/news/karius-named"
        "-to-forbes-ai-50-list-of-most-promising-artificial-intelligence-companies-1029397339")
    # the AMP cache's address always names the same page as the AMP address
    assert all(canonical_url(a.alternate_urls[0]) == canonical_url(a.alternate_urls[1])
               for a in with_amp if len(a.alternate_urls) == 2)
    assert all(a.cluster and not a.story for a in corpus.values())


# ---- front matter -----------------------------------------------------------------------------

def test_front_matter_opts_out_names_a_story_and_lists_only_web_amp_addresses(tmp_path):
    config = minimal_site(tmp_path)
    path = write(tmp_path / "seeds" / "x.md", "---\ntitle: T\ndate: 2021-01-01\ncluster: false\nstory: provance-2021\n"
                 "ampWebUrl: https://example.com/amp/x\ncdnAmpWebUrl: javascript:alert(1)\n---\n")
    diagnostics = Diagnostics()
    article = read_file(path, config, (), diagnostics)
    assert (article.cluster, article.story, article.alternate_urls) == (False, "provance-2021", ("https://example.com/amp/x",))
    assert any("'cdnAmpWebUrl': not an http(s) URL" in str(d) for d in diagnostics.items)
    plain = read_file(write(tmp_path / "seeds" / "y.md", "---\ntitle: T\n---\n"), config, (), Diagnostics())
    assert (plain.cluster, plain.story, plain.alternate_urls) == (True, "", ())


def test_a_document_can_opt_out_of_being_merged():
    one = article("a", "Microsoft fleshes out Power Apps", 0, url="https://example.com/x")
    two = article("b", "Microsoft fleshes out Power Apps", 1, url="https://example.com/x", cluster=False)
    assert [len(s.members) for s in cluster_stories([one, two])] == [1, 1]


def test_a_story_key_joins_documents_whatever_the_rules_say():
    one = article("a", "Launch event: what's new", 0, story="launch-2021", cluster=False)
    two = article("b", "Recap of the spring launch", 40, story="launch-2021")
    copy = article("c", "Something else entirely", 90, url="https://news.example/recap", story="")
    two = replace(two, outlet_url="https://www.news.example/recap/")
    [story] = cluster_stories([copy, two, one])
    assert [m.key for m in story.members] == ["a", "b", "c"]
    assert story.reason == "story key; same URL"


def test_two_story_keys_are_never_merged():
    one = article("a", "Power Apps news", 0, url="https://example.com/x", story="first")
    two = article("b", "Power Apps news", 0, url="https://example.com/x", story="second")
    assert len(cluster_stories([one, two])) == 2


# ---- the rules, one by one --------------------------------------------------------------------

def test_lead_is_highest_quality_then_earliest_then_smallest_key():
    members = [article("c", "Same headline here", 0, quality=None), article("b", "Same headline here", 1, quality=50),
               article("a", "Same headline here", 2, quality=50), article("d", "Same headline here", 1, hour=13)]
    [story] = cluster_stories(members)
    assert story.lead.key == "b" and story.key == "c"
    assert [m.key for m in story.members] == ["c", "b", "d", "a"]
    [tie] = cluster_stories([replace(m, quality=None) for m in members])
    assert tie.lead.key == "c"


@pytest.mark.parametrize("first, second", [
    ("RE-TRANSMISSION: Provance Releases ServiceTeam", "Provance Releases ServiceTeam"),
    ("CORRECTING and REPLACING Acme Health Raises $12 Million", "Acme Health Raises $12 Million"),
    ("Karius Named to Forbes' AI 50 List", "Karius named to Forbes AI 50 list"),
    ("Nvidia’s Clara helps hospitals read mammograms", "Nvidia's Clara helps hospitals read mammograms"),
])
def test_wire_prefixes_case_and_punctuation_do_not_make_another_story(first, second):
    assert len(cluster_stories([article("a", first, 0), article("b", second, 1)])) == 1


def test_an_outlet_name_after_the_headline_does_not_make_another_story():
    one = article("a", "Karius Named to Forbes AI 50 List - Business Insider", 0, provider="Business Insider")
    two = article("b", "Karius Named to Forbes AI 50 List", 1, provider="WFMZ-TV")
    assert len(cluster_stories([one, two])) == 1


@pytest.mark.parametrize("first, second", [
    ("5 ways AI is changing radiology", "7 ways AI is changing radiology"),  # another number
    ("AI in radiology: forecast to 2025", "AI in radiology: forecast"),  # a number on one side only
    ("Microsoft Power Apps | 2019 release wave 2 overview",
     "Microsoft Power Apps Portals | 2019 release wave 2 overview"),  # a word more
])
def test_a_different_number_or_an_extra_word_is_another_story(first, second):
    assert len(cluster_stories([article("a", first, 0), article("b", second, 0)])) == 2


@pytest.mark.parametrize("first, second", [("Pfizer sues Moderna over vaccine patent", "Moderna sues Pfizer over vaccine patent"),
                                           ("Google beats Microsoft in cloud AI race", "Microsoft beats Google in cloud AI race")])
def test_the_same_words_in_another_order_are_another_story(first, second):
    assert len(cluster_stories([article("a", first, 0), article("b", second, 0)])) == 2


@pytest.mark.parametrize("first, second", [
    ("AI triage is safe, study finds", "AI triage is unsafe, study finds"),
    ("Sepsis model effective in trial", "Sepsis model ineffective in trial"),
    ("AI study of male patients", "AI study of female patients"),
    ("Screening AI increases detection", "Screening AI decreases detection"),
    ("Selling patient data is legal", "Selling patient data is illegal"),
    ("FDA approves stroke algorithm", "FDA disapproves stroke algorithm"),
    ("Approval likely for AI stethoscope", "Approval unlikely for AI stethoscope"),
    ("Model flags normal heart rhythms", "Model flags abnormal heart rhythms"),
])
def test_a_word_and_its_opposite_are_two_stories_not_a_typo(first, second):
    assert len(cluster_stories([article("a", first, 0), article("b", second, 0)])) == 2


def test_one_outlets_recurring_headline_on_three_days_is_three_stories():
    daily = [article(f"d{day}", "Coronavirus and AI: daily briefing", day, url=f"https://news.example/briefing/{day}",
                     provider="News") for day in range(3)]
    assert len(cluster_stories(daily)) == 3
    syndicated = [replace(daily[0], provider=Provider("Other")), daily[1]]
    assert len(cluster_stories(syndicated)) == 1, "two outlets with one headline a day apart are still one story"


def test_a_parameter_a_site_names_its_pages_by_is_not_tracking():
    one = article("a", "Hospital news", 0, url="https://news.example/article.php?ref=1001", cluster=True)
    two = article("b", "Clinic report", 0, url="https://news.example/article.php?ref=1002")
    assert len(cluster_stories([one, two])) == 2


def test_only_copies_from_the_first_copys_outlet_compete_on_quality():
    first = article("a", "Hospital adopts AI triage", 0, provider="Real News", quality=10)
    better = article("b", "Hospital adopts AI triage", 1, provider="Real News", quality=60)
    other = article("c", "Hospital adopts AI triage", 1, provider="Other Outlet", quality=100)
    [story] = cluster_stories([first, better, other])
    assert story.key == "a" and story.lead.key == "b"
    [story] = cluster_stories([first, other])
    assert story.lead.key == "a", "another outlet's copy never leads, whatever its quality"


@pytest.fixture
def comparisons(monkeypatch) -> list[int]:
    """How many pairs of titles the clustering compared: [count], read after clustering."""
    compared = [0]
    measures = stories._fuzz()

    def counting_ratio(*args, **kwargs):
        compared[0] += 1
        return measures.ratio(*args, **kwargs)

    monkeypatch.setattr(stories, "_fuzz", lambda: SimpleNamespace(ratio=counting_ratio, similarity=measures.similarity))
    return compared


def test_one_press_release_arriving_thousands_of_times_is_compared_as_one_run(comparisons):
    flood = [article(f"f{n:05d}", "Acme Health launches AI platform for hospitals", n % 3, hour=n % 24,
                     url=f"https://wire{n}.example/acme") for n in range(3000)]
    [story] = cluster_stories(flood)
    assert len(story.members) == 3000
    assert comparisons[0] < 3 * len(flood), "comparing every pair would be millions"


def test_titles_alone_merge_only_within_a_few_days():
    assert len(cluster_stories([article("a", "Same headline here", 0), article("b", "Same headline here", 2)])) == 1
    assert len(cluster_stories([article("a", "Same headline here", 0), article("b", "Same headline here", 4)])) == 2


def test_a_headline_repeated_daily_does_not_become_one_long_story():
    daily = [article(f"d{day:02d}", "Today in health AI", day) for day in range(30)]
    found = cluster_stories(daily)
    assert len(found) >= 4
    assert all(s.members[-1].date - s.members[0].date <= timedelta(days=7) for s in found)


def test_drafts_are_clustered_like_everything_else_the_caller_gives():
    one = article("a", "Microsoft fleshes out Power Apps", 0, draft=True)
    two = article("b", "Microsoft fleshes out Power Apps", 1)
    [story] = cluster_stories([one, two])
    assert story.lead.key == "a"


# ---- canonical URLs ---------------------------------------------------------------------------

@pytest.mark.parametrize("url, canonical", [
    ("https://www.Example.com/a/b/", "example.com/a/b"),
    ("http://example.com/a/b", "example.com/a/b"),
    ("HTTPS://example.com:443/a/b#comments", "example.com/a/b"),
    ("https://example.com:8080/a", "example.com:8080/a"),
    ("https://example.com/a?utm_source=feed&id=7&utm_medium=rss&fbclid=x&ref=rss", "example.com/a?id=7&ref=rss"),
    ("https://example.com/a?b=2&a=1", "example.com/a?a=1&b=2"),
    ("https://example.com/", "example.com"),
    ("https://example.com/caf%c3%a9//x", "example.com/caf%C3%A9/x"),
    ("https://example.com/café", "example.com/caf%C3%A9"),
    ("https://example.com/A/B", "example.com/A/B"),  # paths are case-sensitive
    ("https://m.jpost.com/opinion/x-636985/amp", "jpost.com/opinion/x-636985"),
    ("https://amp.benzinga.com/amp/content/18827297", "benzinga.com/content/18827297"),
    ("https://www.wired.com/story/brain-model-artificial-intelligence/amp", "wired.com/story/brain-model-artificial-intelligence"),
    ("https://www.fool.com/amp/investing/2020/10/05/nvidia/", "fool.com/investing/2020/10/05/nvidia"),
    ("https://www.zdnet.com/google-amp/article/aaeon-ai/", "zdnet.com/article/aaeon-ai"),
    ("https://www.infoworld.com/article/3617869/x.amp.html", "infoworld.com/article/3617869/x.html"),
    ("https://newatlas.com/robotics/neuropod/?amp=true", "newatlas.com/robotics/neuropod"),
    ("https://www.chathamhouse.org/publication/ai-india?amp", "chathamhouse.org/publication/ai-india"),
    ("https://example.com/a?outputType=amp", "example.com/a"),
    ("https://www-wired-com.cdn.ampproject.org/c/s/www.wired.com/story/brain/amp", "wired.com/story/brain"),
    ("https://blog-google.cdn.ampproject.org/c/s/blog.google/technology/x/amp/", "blog.google/technology/x"),
    ("https://example-com.cdn.ampproject.org/c/example.com/x", "example.com/x"),
    ("https://www.com/x", "www.com/x"),  # a host is never cut to a bare suffix
    ("https://m.co.uk/x", "m.co.uk/x"),  # ... nor to a shared one
    ("https://www.m.example.org/x", "example.org/x"),
    ("https://example.com/news/amp/story", "example.com/news/amp/story"),  # a segment inside the path stays
    ("https://example.com/amp", "example.com/amp"),  # ... and so does a page called amp
    ("https://example.com/a?ocid=7&gclid=x", "example.com/a?ocid=7"),
    ("ftp://example.com/a", ""),
    ("javascript:alert(1)", ""),
    ("/relative/path", ""),
    ("https://[::1/", ""),
    ("https://example.com:99999/", ""),
    ("", ""),
])
def test_canonical_url(url, canonical):
    assert canonical_url(url) == canonical


_SEGMENT = st.text("abcxyzAMP019-_.~'()+,;=:@!$&*", min_size=1, max_size=12)


@given(scheme=st.sampled_from(["http", "https"]),
       host=st.from_regex(r"(www\.|m\.|amp\.|www\.amp\.)?[a-z0-9-]{1,8}(\.[a-z]{2,3}){1,2}\.?", fullmatch=True),
       segments=st.lists(_SEGMENT, max_size=5), slash=st.booleans())
def test_the_same_page_however_its_address_is_written(scheme, host, segments, slash):
    """An address written with capitals in its scheme and host, an empty query or a fragment names the
    same page as the plain one (the plain one is the usual case, read without a full URL parser)."""
    path = "".join("/" + s for s in segments) + ("/" if slash else "")
    plain = f"{scheme}://{host}{path}"
    assert canonical_url(plain) != ""
    for written in (plain + "?", plain + "#top", f"{scheme.upper()}://{host.upper()}{path}", f" {plain}\n",
                    f"{scheme}://{host}:{80 if scheme == 'http' else 443}{path}"):
        assert canonical_url(written) == canonical_url(plain), written


@example("https://News.Example.COM/story")
@given(url=st.tuples(st.sampled_from(["http://", "https://", "HTTPS://", " https://", "ftp://", "https:"]),
                    st.sampled_from(["", "", "user@", "user:pw@"]),
                    st.from_regex(r"[A-Za-z0-9.-]{1,12}", fullmatch=True) | st.text("aZ09.-_[]:@ \t", max_size=12),
                    st.sampled_from(["", "/", "/a/B", "?q=1", "#top", ":8080/", ":", "@other.org/", "\\x", " x"]))
       .map("".join) | st.text(max_size=30))
def test_a_story_without_a_provider_is_told_by_its_address_host(url):
    """Who told a story without a provider is its link's host, however the link is written."""
    try:
        expected = urlsplit(url).hostname or ""
    except ValueError:
        return  # no such link reaches an article: the reader refuses it
    assert article("a", "Title", 0, url=url).outlet == expected


@pytest.mark.parametrize("web, amp", [
    ("https://venturebeat.com/2021/05/25/microsoft-uses-gpt-3-to-add-ai-features-to-power-apps/",
     "https://venturebeat-com.cdn.ampproject.org/c/s/venturebeat.com/2021/05/25/microsoft-uses-gpt-3-to-add-ai"
     "-features-to-power-apps/amp/"),
    ("https://www.blog.google/technology/health/predicting-sight-threatening-eye-condition/",
     "https://blog.google/technology/health/predicting-sight-threatening-eye-condition/amp/"),
    ("https://www.nasdaq.com/articles/robotics-and-artificial-intelligence-etf-irbo-at-52-week-high-2020-08-19",
     "https://www.nasdaq.com/articles/robotics-and-artificial-intelligence-etf-irbo-at-52-week-high-2020-08-19?amp"),
    ("https://www.jpost.com/opinion/hillels-tech-corner-kaiai-flips-the-script-on-therapy-636985",
     "https://m.jpost.com/opinion/hillels-tech-corner-kaiai-flips-the-script-on-therapy-636985/amp"),
])
def test_corpus_amp_addresses_name_the_same_page_as_the_web_address(web, amp):
    assert canonical_url(web) == canonical_url(amp) != ""


def test_one_page_reached_by_an_amp_address_is_one_story():
    one = article("a", "Microsoft uses GPT-3 to add AI features to Power Apps", 0,
                  url="https://venturebeat.com/2021/05/25/microsoft-uses-gpt-3/")
    two = article("b", "GPT-3 comes to Power Apps", 9, url="http://venturebeat.com/2021/05/25/microsoft-uses-gpt-3/amp/")
    [story] = cluster_stories([one, two])
    assert story.reason == "same URL"


# ---- independent of input order and hash seed -------------------------------------------------

TIES = [article("t1", "Same headline here", 0, quality=5), article("t2", "Same headline here", 0, quality=5),
        article("t3", "Same headline here", 0, url="https://example.com/t"),
        article("t4", "Unrelated", 0, url="https://example.com/t", story="k"),
        article("t5", "Another one", 0, story="k"), article("t6", "Another one", 0, story="j")]


@settings(max_examples=25, deadline=None)
@given(data=st.data())
def test_shuffling_the_input_gives_the_same_stories(corpus, data):
    everything = list(corpus.values()) + TIES
    expected = shape(cluster_stories(everything))
    shuffled = data.draw(st.permutations(everything))
    assert shape(cluster_stories(shuffled)) == expected


SCRIPT = """
import sys
from pathlib import Path
from generator.config import SiteConfig
from generator.diagnostics import Diagnostics
from generator.sources import read_sources
from generator.stories import cluster_stories
articles = read_sources(SiteConfig(root=Path(sys.argv[1]), sources=("powerapps", "smartable-ai")), (), Diagnostics())
for story in cluster_stories(articles):
    print(story.key, story.lead.key, [m.key for m in story.members], story.reason)
"""


def test_stories_do_not_depend_on_the_hash_seed(corpus_root):
    def run(seed: str) -> str:
        environment = {**os.environ, "PYTHONHASHSEED": seed, "PYTHONPATH": str(REPO)}
        return subprocess.run([sys.executable, "-c", SCRIPT, str(corpus_root)], env=environment, check=True,
                              capture_output=True, text=True, timeout=120).stdout

    first, second = run("1"), run("4242")
    assert first == second and first.count("\n") == 331


# ---- scale ------------------------------------------------------------------------------------

WORDS = ("radiology pathology oncology cardiology sepsis stroke diabetes dermatology triage imaging genomics "
         "wearables telehealth records scans notes trials vaccines surgery robotics").split()
SYLLABLES = "ka lo mi nu pe ra si to vu xe zo be".split()


def synthetic(count: int, seed: int = 7):
    """`count` headlines from a small vocabulary over two years, and, planted among them, re-posts of
    every 100th a day later with a wire prefix or a typo."""
    r = random.Random(seed)
    orgs = sorted({"".join(r.choices(SYLLABLES, k=3)).capitalize() for _ in range(600)})
    items, planted = [], []
    for n in range(count):
        title = f"{r.choice(orgs)} {r.choice(['unveils', 'tests', 'buys', 'pilots'])} AI for {r.choice(WORDS)} " \
                f"and {r.choice(WORDS)} in a {r.choice(WORDS)} study"
        items.append(article(f"s{n:06d}", title, r.randrange(730), hour=r.randrange(24)))
        if n % 100 == 0:
            copy = "UPDATE: " + title if n % 200 else title.replace(" study", " stduy")
            items.append(replace(items[-1], key=f"r{n:06d}", title=copy, date=items[-1].date + timedelta(days=1)))
            planted.append((f"s{n:06d}", f"r{n:06d}"))
    return items, planted


def test_twenty_thousand_items_cluster_without_comparing_all_pairs(comparisons):
    items, planted = synthetic(20_000)
    found = cluster_stories(items)
    together = {m.key: s.key for s in found for m in s.members}
    assert all(together[original] == together[copy] for original, copy in planted)
    assert sum(len(s.members) for s in found) == len(items)
    assert 0 < comparisons[0] < 50 * len(items)  # a few dozen neighbours each, where all pairs would be 10,000 each
