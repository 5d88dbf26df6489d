"""URLs: every link goes under base_path, with anything unsafe in a path percent-encoded."""

from urllib.parse import quote

from hypothesis import given
from hypothesis import strategies as st

from generator.urls import Urls

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
