"""Objects made from articles, kept from one build to the next (the preview's memory of them)."""

from __future__ import annotations

from typing import Any, Callable

from generator.model import Article


class Derived:
    """What is made from each article by a value (an image plan, an editor's edit, its words), made again
    only when the article or the value changed: otherwise the very object made last time, so the
    preview, which compares articles by identity, sees no change. Kept by the caller from one build to
    the next; `done()` ends a build and forgets every article it did not ask about."""

    def __init__(self):
        self._last: dict[int, tuple] = {}  # id(article) -> (article, value, made)
        self._now: dict[int, tuple] = {}

    def get(self, article: Article, value, make: Callable[[], Any]):
        known = self._last.get(id(article))
        made = known[2] if known is not None and known[0] is article and known[1] == value else make()
        self._now[id(article)] = (article, value, made)
        return made

    def done(self) -> None:
        self._last, self._now = self._now, {}
