"""URLs: every link goes under base_path, with anything unsafe in a path percent-encoded."""

from urllib.parse import quote

from hypothesis import given
from hypothesis import strategies as st

from slugify import slugify

from generator.urls import Urls, slug

URLS = Urls("https://org.github.io", "/digest/")


def test_paths_live_under_the_base_path():
    assert URLS.path() == "/digest/"
    assert URLS.path("topics/ai/") == "/digest/topics/ai/"
    assert URLS.path("/feed.xml") == "/digest/feed.xml"
    assert URLS.absolute("2024/05/a-story/") == "https://org.github.io/digest/2024/05/a-story/"


def test_unsafe_characters_are_encoded():
    assert URLS.path("topics/r&d/") == "/digest/topics/r%26d/"
    assert URLS.path('a"b<c> d') == "/digest/a%22b%3Cc%3E%20d"
    assert URLS.path("café/") == "/digest/caf%C3%A9/"


@given(st.text(max_size=40))
def test_any_target_gives_what_full_quoting_gives(target):
    assert URLS.path(target) == "/digest/" + quote(target.lstrip("/"), safe="/-._~")


TITLE_CHARACTERS = st.sampled_from(list("aZz09 ,.-'&;#x’é–/_:!?\"") + ["&amp;", "&#39;", "10,000", "  "])


@given(st.lists(TITLE_CHARACTERS, max_size=60).map("".join) | st.text(max_size=100),
       st.sampled_from([0, 8, 60, 80]), st.booleans())
def test_a_slug_is_what_slugify_makes(text, max_length, apostrophes):
    """Addresses are made from titles: however a slug is made, it is slugify's, or published links break."""
    replacements = [["'", ""], ["\u2019", ""]] if apostrophes else []
    assert slug(text, max_length, replacements) == slugify(text, max_length=max_length, word_boundary=True,
                                                           replacements=replacements, backend="text-unidecode")
