"""Pictures made on the spot, and an image store filled as `digest images` fills it, with no network."""

from __future__ import annotations

from io import BytesIO

from PIL import Image

from generator.config import SiteConfig
from generator.fetch import open_image
from generator.images.process import MAX_PIXELS, variants
from generator.images.store import Store, image_key, store_dir, stored_files


def picture(width: int = 1600, height: int = 1000, kind: str = "JPEG", mode: str = "RGB", **save) -> bytes:
    """A gradient, so that encoders have something to encode."""
    image = Image.linear_gradient("L").resize((width, height)).convert(mode)
    out = BytesIO()
    image.save(out, kind, **save)
    return out.getvalue()


def stock(config: SiteConfig, url: str, data: bytes | None = None) -> None:
    """Store `data` (a picture) as the image fetched from `url`."""
    key = image_key(url)
    store = Store.open(store_dir(config))
    store.add(key, url, stored_files(key, variants(open_image(data or picture(), MAX_PIXELS))))
    store.save()
