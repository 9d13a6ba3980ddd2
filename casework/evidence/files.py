"""Evidence files: checked against their content, hashed, stored, re-hashed on the way out.

Uploads arrive through Django's upload handlers, which spool anything above
FILE_UPLOAD_MAX_MEMORY_SIZE to a temporary file, so a 50 MB video never sits in memory;
every pass over a file here reads it in 1 MiB chunks.
"""

from __future__ import annotations

import hashlib
import os
import uuid
from dataclasses import dataclass

import filetype
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.storage import default_storage
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _

CHUNK = 1024 * 1024

# What a name's extension promises; the content must keep that promise.
EXTENSION_FAMILIES = {
    ".jpg": "image/", ".jpeg": "image/", ".png": "image/", ".gif": "image/",
    ".webp": "image/", ".heic": "image/", ".bmp": "image/",
    ".mp4": "video/", ".mov": "video/", ".avi": "video/", ".mkv": "video/",
    ".webm": "video/", ".pdf": "application/pdf", ".mp3": "audio/", ".wav": "audio/",
    ".m4a": "audio/", ".txt": "text/", ".csv": "text/", ".zip": "application/zip",
}
TEXT_EXTENSIONS = {".txt", ".csv"}


@dataclass(frozen=True)
class StoredFile:
    name: str
    sha256: str
    size: int
    content_type: str
    original_name: str


def detect_type(upload) -> str:
    """The MIME type the content shows (magic numbers), or text/plain for UTF-8 text."""
    upload.seek(0)
    head = upload.read(8192)
    upload.seek(0)
    kind = filetype.guess(head)
    if kind is not None:
        return kind.mime
    # UTF-8, or GB18030 (what Chinese spreadsheet software exports); a multi-byte
    # character cut at the end of the sample is still text
    for encoding in ("utf-8", "gb18030"):
        for sample in (head, head[:-3]):
            try:
                sample.decode(encoding)
            except UnicodeDecodeError:
                continue
            if b"\x00" not in sample:
                return "text/plain"
    return "application/octet-stream"


def check_upload(upload) -> str:
    """Refuse what is too big, of a type not allowed, or not what its name says.
    Returns the detected type."""
    limit = settings.EVIDENCE_MAX_UPLOAD_BYTES
    if upload.size > limit:
        raise ValidationError({"file": [
            _("The file is larger than the limit of %(limit)s.")
            % {"limit": filesizeformat(limit)}]})
    detected = detect_type(upload)
    extension = os.path.splitext(upload.name or "")[1].lower()
    promised = EXTENSION_FAMILIES.get(extension)
    if promised and not detected.startswith(promised):
        raise ValidationError({"file": [
            _("The file is named %(ext)s but its content is %(type)s.")
            % {"ext": extension, "type": detected}]})
    if detected == "text/plain" and extension not in TEXT_EXTENSIONS:
        raise ValidationError({"file": [_("Text files must be named .txt or .csv.")]})
    if detected not in settings.EVIDENCE_ALLOWED_TYPES:
        raise ValidationError({"file": [
            _("Files of type %(type)s are not accepted.") % {"type": detected}]})
    return detected


def hash_stream(fileobj) -> tuple[str, int]:
    digest = hashlib.sha256()
    size = 0
    fileobj.seek(0)
    while chunk := fileobj.read(CHUNK):
        digest.update(chunk)
        size += len(chunk)
    fileobj.seek(0)
    return digest.hexdigest(), size


def store(upload, *, case_id: int) -> StoredFile:
    """Check, hash and save an upload under evidence/<case>/."""
    content_type = check_upload(upload)
    sha256, size = hash_stream(upload)
    extension = os.path.splitext(upload.name or "")[1].lower()[:10]
    name = default_storage.save(
        f"evidence/{case_id}/{sha256[:2]}/{sha256}-{uuid.uuid4().hex[:8]}{extension}", upload)
    return StoredFile(name, sha256, size, content_type, (upload.name or "")[:255])


def sha256_of_stored(fieldfile) -> str:
    with fieldfile.storage.open(fieldfile.name, "rb") as handle:
        return hash_stream(handle)[0]
