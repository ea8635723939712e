"""Evidence files: photos go through the photo pipeline; documents are checked to be what their name says.

An office's ledger holds meeting minutes, plans and notices as PDF, Word and Excel files. A file is accepted
only when its bytes match its type (a PDF starts with %PDF-, an Office file is a zip with the part that makes it
Word or Excel, an old Office file is an OLE compound file), so a script renamed to .pdf is refused. Files are
stored under random names and always served as downloads, never rendered by the browser.
"""

import io
import uuid
import zipfile
from dataclasses import dataclass
from pathlib import PurePath

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.utils.translation import gettext as _

from wangge.core.files import process_photo

OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
# Allowed document types: extension → (content type, how its bytes are checked, the zip part that proves it).
DOCUMENT_TYPES: dict[str, tuple[str, str, str]] = {
    ".pdf": ("application/pdf", "pdf", ""),
    ".docx": ("application/vnd.openxmlformats-officedocument.wordprocessingml.document", "zip", "word/document.xml"),
    ".xlsx": ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "zip", "xl/workbook.xml"),
    ".pptx": (
        "application/vnd.openxmlformats-officedocument.presentationml.presentation",
        "zip",
        "ppt/presentation.xml",
    ),
    ".doc": ("application/msword", "ole", ""),
    ".xls": ("application/vnd.ms-excel", "ole", ""),
}


@dataclass(frozen=True)
class StoredFile:
    """A checked upload ready to store: its content under a random name, the name the user gave it, its type."""

    content: ContentFile
    name: str
    content_type: str
    size: int


def allowed_extensions() -> str:
    return "、".join(ext.lstrip(".").upper() for ext in DOCUMENT_TYPES)


def _too_large() -> ValidationError:
    mb = settings.EVIDENCE_MAX_BYTES // (1024 * 1024)
    return ValidationError({"file": _("This file is too large (at most %(mb)d MB).") % {"mb": mb}})


def _matches(data: bytes, check: str, part: str) -> bool:
    if check == "pdf":
        return data.startswith(b"%PDF-")
    if check == "ole":
        return data.startswith(OLE_MAGIC)
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            return part in archive.namelist() and "[Content_Types].xml" in archive.namelist()
    except (zipfile.BadZipFile, ValueError, OSError):
        return False


def _display_name(upload, suffix: str) -> str:
    """The user's file name, kept for the binder and the download, without any folder part."""
    name = PurePath(str(getattr(upload, "name", "") or "").replace("\\", "/")).name.strip()
    name = "".join(ch for ch in name if ch.isprintable() and ch not in '<>:"/\\|?*')[:200]
    return name or f"file{suffix}"


def process_upload(upload, *, photo: bool) -> StoredFile:
    """The upload, checked and ready to store, or a ValidationError saying why it was refused."""
    if photo:
        try:
            processed = process_photo(upload)
        except ValidationError as error:
            raise ValidationError({"file": error.messages}) from None
        stem = PurePath(_display_name(upload, ".jpg")).stem
        return StoredFile(
            content=processed.content, name=f"{stem}.jpg", content_type="image/jpeg", size=processed.content.size
        )
    suffix = PurePath(str(getattr(upload, "name", "") or "")).suffix.lower()
    if suffix not in DOCUMENT_TYPES:
        raise ValidationError(
            {
                "file": _("This type of file is not accepted. Upload a photo or a %(types)s file.")
                % {"types": allowed_extensions()}
            }
        )
    size = getattr(upload, "size", None)
    if size is not None and size > settings.EVIDENCE_MAX_BYTES:
        raise _too_large()
    data = upload.read(settings.EVIDENCE_MAX_BYTES + 1)
    if len(data) > settings.EVIDENCE_MAX_BYTES:
        raise _too_large()
    if not data:
        raise ValidationError({"file": _("The file is empty.")})
    content_type, check, part = DOCUMENT_TYPES[suffix]
    if not _matches(data, check, part):
        raise ValidationError(
            {"file": _("The file's content is not a %(type)s file.") % {"type": suffix.lstrip(".").upper()}}
        )
    return StoredFile(
        content=ContentFile(data, name=f"{uuid.uuid4().hex}{suffix}"),
        name=_display_name(upload, suffix),
        content_type=content_type,
        size=len(data),
    )
