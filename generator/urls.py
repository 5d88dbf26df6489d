"""The one place URLs are made, so `base_path` is applied everywhere or nowhere."""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import quote

from slugify import slugify, smart_truncate

ROOT_RELATIVE = re.compile(r'(\s(?:href|src)=")/(?!/)')
NOT_SLUG = re.compile(r"[^a-z0-9]+")
DIGIT_COMMA = re.compile(r"(?<=[0-9]),(?=[0-9])")  # "10,000" -> "10000", as slugify has it
URL_SAFE = re.compile(r"[A-Za-z0-9/_.~-]*")  # what quote() leaves as it is: slugs and folders always are


def slug(text: str, max_length: int, replacements=()) -> str:
    """An address part made from a title or a name: lower-case ASCII words and hyphens. Transliteration
    is always text-unidecode's, so installing Unidecode beside it never moves an address (its "auto"
    choice also searched the import path again for every non-ASCII title)."""
    plain = text
    for old, new in replacements:
        plain = plain.replace(old, new)
    if plain.isascii() and "'" not in plain and ("&" not in plain or ";" not in plain):
        # What slugify does to such text, without its entity and Unicode passes (most of its time): with
        # nothing to transliterate and no "&...;" to decode, each run of other characters becomes a hyphen.
        plain = NOT_SLUG.sub("-", DIGIT_COMMA.sub("", plain.lower())).strip("-")
        for old, new in replacements:
            plain = plain.replace(old, new)
        return smart_truncate(plain, max_length, True, "-") if max_length > 0 else plain
    return slugify(text, max_length=max_length, word_boundary=True, replacements=replacements,
                   backend="text-unidecode")


@dataclass(frozen=True)
class Urls:
    origin: str  # "https://org.github.io"
    base_path: str  # "/digest/"

    def path(self, target: str = "") -> str:
        """Site-relative target ("topics/ai/") -> URL path under base_path ("/digest/topics/ai/")."""
        target = target.lstrip("/")
        return self.base_path + (target if URL_SAFE.fullmatch(target) else quote(target, safe="/-._~"))

    def absolute(self, target: str = "") -> str:
        return self.origin + self.path(target)

    def rebase_html(self, html: str, absolute: bool = False) -> str:
        """Root-relative links written in content ("/feed.xml") point inside the site, under base_path."""
        prefix = (self.origin if absolute else "") + self.base_path
        return ROOT_RELATIVE.sub(lambda m: m.group(1) + prefix, html)
