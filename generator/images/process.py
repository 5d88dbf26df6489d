"""One fetched image made into the files the site publishes: resized to what the theme shows, colours
brought to sRGB, every metadata block dropped (EXIF can hold where a photo was taken), and encoded
with fixed settings, so the same image always gives the same bytes.

WebP for the pages (a third smaller than JPEG at the same quality, shown by every current browser);
JPEG where the site does not choose the viewer: the email edition (mail clients show JPEG, not all
show WebP) and the Open Graph image, which also serves JSON-LD and the feeds (link previews and feed
readers take JPEG everywhere)."""

from __future__ import annotations

from dataclasses import dataclass
from io import BytesIO

from PIL import Image, ImageCms, ImageOps

from generator.fetch import Picture, Reason, Refused
from generator.images.store import MAIL_ROLE, SHARE_ROLE, STORY_ROLES, STORY_WIDTHS, THUMB_ROLE, Role

MAX_PIXELS = 40_000_000  # a 40-megapixel photo passes; a decompression bomb does not
MIN_SIDE = 16  # a tracking pixel or spacer is not a picture of the story
THUMB = (192, 128)  # the 96x64 thumbnail of editions and the email, at twice the density
SHARE_BOX = 1200  # Open Graph's recommended width
SHARE_MIN = 200  # link previews ignore smaller images
WEBP = {"quality": 80, "method": 4}
JPEG = {"quality": 82, "optimize": True, "progressive": True, "subsampling": 2}


@dataclass(frozen=True, slots=True)
class Variant:
    role: Role
    width: int
    height: int
    data: bytes


def variants(picture: Picture) -> tuple[Variant, ...]:
    """Every file the site can publish for `picture`, in ROLES order. A story size wider than the image
    is left out (never upscaled); so is the share image of a picture too small for link previews."""
    if min(picture.width, picture.height) < MIN_SIDE:
        raise Refused(Reason.NOT_IMAGE, f"{picture.width}x{picture.height} is too small to show")
    image = _clean(picture.image)
    made = [_thumb(image, THUMB_ROLE, _webp), _thumb(image, MAIL_ROLE, _jpeg)]
    sizes = set()
    for role, width in zip(STORY_ROLES, STORY_WIDTHS, strict=True):
        size = _fit(image.size, width, 2 * width)
        if size not in sizes:  # a narrow image makes one story size, not three equal ones
            sizes.add(size)
            made.append(Variant(role, *size, _webp(_resized(image, size))))
    if min(image.size) >= SHARE_MIN:
        size = _fit(image.size, SHARE_BOX, SHARE_BOX)
        made.append(Variant(SHARE_ROLE, *size, _jpeg(_resized(image, size))))
    return tuple(made)


def _clean(image: Image.Image) -> Image.Image:
    """Upright, sRGB, RGB or RGBA, and a fresh image with no metadata at all."""
    try:
        image = ImageOps.exif_transpose(image)
    except (OSError, ValueError, SyntaxError, TypeError):
        pass  # a broken orientation tag: show the image as stored
    alpha = image.mode in ("RGBA", "LA", "PA", "La", "RGBa") or "transparency" in image.info
    mode = "RGBA" if alpha else "RGB"
    try:
        converted = _to_srgb(image, mode) or image.convert(mode)
    except (OSError, ValueError) as error:
        raise Refused(Reason.NOT_IMAGE, f"colour mode {image.mode}: {error}") from None
    if alpha and converted.getchannel("A").getextrema() == (255, 255):
        converted = converted.convert("RGB")  # transparency declared but unused
    return Image.frombytes(converted.mode, converted.size, converted.tobytes())


def _to_srgb(image: Image.Image, mode: str) -> Image.Image | None:
    """Colours from the embedded ICC profile into sRGB, which is what a browser assumes once the profile
    is gone; None when there is no profile or it cannot be read."""
    profile = image.info.get("icc_profile")
    if not profile or image.mode not in ("RGB", "RGBA", "CMYK", "L"):
        return None
    try:
        source = ImageCms.ImageCmsProfile(BytesIO(profile))
        return ImageCms.profileToProfile(image, source, ImageCms.createProfile("sRGB"),
                                         outputMode="RGBA" if image.mode == "RGBA" else "RGB")
    except (ImageCms.PyCMSError, OSError, ValueError, TypeError):
        return None


def _fit(size: tuple[int, int], width: int, height: int) -> tuple[int, int]:
    scale = min(width / size[0], height / size[1], 1.0)
    return max(1, round(size[0] * scale)), max(1, round(size[1] * scale))


def _resized(image: Image.Image, size: tuple[int, int], box=None) -> Image.Image:
    if size == image.size and box is None:
        return image
    return image.resize(size, Image.Resampling.LANCZOS, box=box)


def _thumb(image: Image.Image, role: Role, encode) -> Variant:
    """A 3:2 crop from the middle, as the thumbnails are shown."""
    width, height = image.size
    aspect = THUMB[0] / THUMB[1]
    crop_w, crop_h = (height * aspect, height) if width / height > aspect else (width, width / aspect)
    left, top = (width - crop_w) / 2, (height - crop_h) / 2
    out_w = min(THUMB[0], max(1, round(crop_w)))
    size = (out_w, max(1, round(out_w / aspect)))
    return Variant(role, *size, encode(_resized(image, size, box=(left, top, left + crop_w, top + crop_h))))


def _webp(image: Image.Image) -> bytes:
    out = BytesIO()
    image.save(out, "WEBP", **WEBP)
    return out.getvalue()


def _jpeg(image: Image.Image) -> bytes:
    if image.mode == "RGBA":  # JPEG has no transparency: lay the image on white, as mail shows it
        flat = Image.new("RGB", image.size, (255, 255, 255))
        flat.paste(image, mask=image.getchannel("A"))
        image = flat
    out = BytesIO()
    image.save(out, "JPEG", **JPEG)
    return out.getvalue()
