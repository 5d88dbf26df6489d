"""Which images a build shows: a story's image comes from the image store or not at all (`images: own`),
from its outlet (`link`), or never (`none`). Runs between reading and indexing, so what a page shows
is part of the articles it is made from, and the incremental build and the preview see an image
change as they see any edit.

The byte budget (`image_budget`) first keeps every stored image's edition thumbnail, then is spent
newest story first: while it lasts a story gets every size; then the two smaller story sizes and the
email's thumbnail (no 1440 px, no share image); then the edition thumbnail alone (its page has no
picture). Should even the thumbnails not all fit, the oldest get nothing. A story never gets more than
a newer one, so the newest always keep their pictures, and what is published is decided by the store
and the stories alone, never by the clock.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path

from generator.addresses import IMAGES
from generator.config import SiteConfig
from generator.images.store import (MANIFEST, ROLES, Store, StoredFile, StoredImage, dump_manifest, image_key, store_dir,
                                     store_stamp)
from generator.derived import Derived
from generator.model import Article, Image, ImageFile
from generator.urls import Urls

TIERS = (  # what a story may get, best first
    ("thumb", "mail", "360", "720", "1440", "share"),
    ("thumb", "mail", "360", "720"),
    ("thumb",),
)
THUMB_TIER = TIERS[-1]
ROLE_ORDER = tuple(role.name for role in ROLES)
MANIFEST_PATH = IMAGES.path + MANIFEST  # what the site publishes, so a lost store can be restored from it


class ImagePlanner:
    """Kept by the caller between builds (the preview keeps one): an article whose image is planned as
    before comes back as the very same object, so the preview sees no edit."""

    def __init__(self, config: SiteConfig, drafts: bool):
        self.config, self.drafts = config, drafts
        self._planned = Derived()
        self._store: Store | None = None
        self._stamp = None

    def plan(self, articles: list[Article]) -> list[Article]:
        mode = self.config.images
        if mode == "link":
            return articles
        chosen = self._own(articles) if mode == "own" else {}
        planned = []
        for article in articles:
            image = chosen.get(id(article))
            planned.append(self._planned.get(article, image, lambda: article if article.image is None and image is None
                                             else replace(article, image=image)))
        self._planned.done()
        return planned

    def _own(self, articles: list[Article]) -> dict[int, Image]:
        store = self._open_store()
        shown = [a for a in articles if a.image is not None and a.kind == "article" and (self.drafts or not a.draft)]
        shown.sort(key=lambda a: (-a.date.timestamp(), a.file))
        keys = list(dict.fromkeys(key for a in shown if (key := image_key(a.image.url)) in store.images))
        reserved = sum(_cost(store.images[key], THUMB_TIER) for key in keys)  # every thumbnail comes first
        left, tier = self.config.image_budget, 0
        taken: dict[str, tuple[ImageFile, ...]] = {}
        for key in keys:  # newest first: once a tier no longer fits, no older image gets it either
            stored = store.images[key]
            reserved -= _cost(stored, THUMB_TIER)
            while tier < len(TIERS) - 1 and _cost(stored, TIERS[tier]) > left - reserved:
                tier += 1
            if tier < len(TIERS) and _cost(stored, TIERS[tier]) > left:
                tier = len(TIERS)  # not even every thumbnail fits: the older images get nothing
            files = _files(stored, TIERS[tier]) if tier < len(TIERS) else ()
            left -= sum(f.size for f in files)
            taken[key] = tuple(ImageFile(f.role, IMAGES.path + f.name, f.width, f.height, f.size, f.sha256)
                               for f in files)
        chosen = {}
        for article in shown:
            if taken.get(key := image_key(article.image.url)):
                chosen[id(article)] = replace(article.image, files=taken[key])
        return chosen

    def _open_store(self) -> Store:
        """Read again only when a file in it changed."""
        folder = store_dir(self.config)
        stamp = store_stamp(folder)
        if self._store is None or stamp != self._stamp:
            self._store, self._stamp = Store.open(folder), stamp
        return self._store


def _files(stored: StoredImage, roles: tuple[str, ...]):
    return tuple(f for f in stored.files if f.role in roles)


def _cost(stored: StoredImage, roles: tuple[str, ...]) -> int:
    return sum(f.size for f in _files(stored, roles))


def plan_images(config: SiteConfig, articles: list[Article], drafts: bool) -> list[Article]:
    return ImagePlanner(config, drafts).plan(articles)


def shown_images(articles) -> list[Image]:
    """The owned images of `articles`, each once, in a fixed order."""
    found = {}
    for article in articles:
        if article.image is not None and article.image.files:
            found.setdefault(article.image.files[0].path, article.image)
    return [found[path] for path in sorted(found)]


def published_manifest(images: list[Image]) -> bytes:
    """index.json for the published images/ folder: the store's format, listing what the site publishes."""
    listed: dict[str, StoredImage] = {}
    for image in images:
        key = image_key(image.url)
        files = {f.role: StoredFile(key, f.role, f.width, f.height, f.size, f.sha256) for f in image.files}
        if key in listed:
            files = {**{f.role: f for f in listed[key].files}, **files}
        listed[key] = StoredImage(key, image.url, tuple(files[r] for r in ROLE_ORDER if r in files))
    return dump_manifest(listed.values())


@dataclass(frozen=True, slots=True)
class SharedImage:
    """The image a story offers elsewhere: Open Graph, JSON-LD, feeds."""

    url: str  # absolute
    width: int | None
    height: int | None


def shared_image(image: Image | None, urls: Urls) -> SharedImage | None:
    """The site's own JPEG (none when the byte budget left it out), or the outlet's image when the site
    hot-links."""
    if image is None:
        return None
    if not image.files:
        return SharedImage(image.url, image.width, image.height)
    share = image.file("share")
    return SharedImage(urls.absolute(share.path), share.width, share.height) if share else None


def share_url(image: Image | None, urls: Urls) -> str | None:
    shared = shared_image(image, urls)
    return shared.url if shared else None


def store_path(config: SiteConfig, file: ImageFile) -> Path:
    return store_dir(config) / file.path.removeprefix(IMAGES.path)
