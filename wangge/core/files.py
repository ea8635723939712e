"""Photos: verified, re-encoded, resized and stripped of metadata before anything is stored.

A phone photo carries GPS coordinates and device data in EXIF; a crafted file can be a decompression bomb.
So every upload is opened with a pixel limit, checked to be a real image, turned upright, re-encoded to
JPEG without metadata, and stored under a random name. The original bytes are never kept.
"""

import io
import uuid
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.utils.translation import gettext as _
from PIL import Image, ImageOps, UnidentifiedImageError

ACCEPTED_FORMATS = {"JPEG", "PNG", "WEBP", "GIF", "BMP"}


@dataclass(frozen=True)
class Photo:
    """A processed photo ready to store: JPEG bytes without metadata."""

    content: ContentFile
    width: int
    height: int


def process_photo(upload, *, max_side: int | None = None) -> Photo:
    """The upload as a clean JPEG, or a ValidationError saying why it was refused."""
    max_bytes = settings.PHOTO_MAX_BYTES
    max_pixels = settings.PHOTO_MAX_PIXELS
    max_side = max_side or settings.PHOTO_MAX_SIDE
    size = getattr(upload, "size", None)
    if size is not None and size > max_bytes:
        raise ValidationError(
            _("This photo is too large (at most %(mb)d MB).") % {"mb": max_bytes // (1024 * 1024)}, code="too_large"
        )
    data = upload.read(max_bytes + 1)
    if len(data) > max_bytes:
        raise ValidationError(
            _("This photo is too large (at most %(mb)d MB).") % {"mb": max_bytes // (1024 * 1024)}, code="too_large"
        )
    try:
        with Image.open(io.BytesIO(data)) as probe:
            # The header tells the size before any pixel is decoded: refuse bombs here.
            width, height = probe.size
            if width * height > max_pixels:
                raise ValidationError(_("This image has too many pixels."), code="too_many_pixels")
            if probe.format not in ACCEPTED_FORMATS:
                raise ValidationError(_("Upload a photo (JPEG, PNG or WebP)."), code="format")
            probe.verify()
        with Image.open(io.BytesIO(data)) as image:
            image.load()
            image = ImageOps.exif_transpose(image)
            if image.mode not in ("RGB", "L"):
                image = image.convert("RGB")
            image.thumbnail((max_side, max_side), Image.Resampling.LANCZOS)
            out = io.BytesIO()
            # Saved without exif/icc/comment arguments, Pillow writes no metadata at all.
            image.save(out, format="JPEG", quality=85, optimize=True)
            width, height = image.size
    except ValidationError:
        raise
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError, Image.DecompressionBombError):
        raise ValidationError(_("This file is not a readable image."), code="not_image") from None
    return Photo(content=ContentFile(out.getvalue(), name=f"{uuid.uuid4().hex}.jpg"), width=width, height=height)
