"""Complaint attachments: at most 5 files of at most 10 MB, PDF/JPEG/PNG recognised by content (the filings'
`sniff_content_type`), photos re-encoded without EXIF (location, camera, time), stored under server names."""

import hashlib
import io
import os
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from PIL import Image, ImageOps

from institutions.services.filing import sniff_content_type

MAX_FILES = 5
MAX_BYTES = 10 * 1024 * 1024


@dataclass
class PreparedFile:
    original_name: str
    content_type: str
    ext: str
    content: bytes

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.content).hexdigest()


def strip_exif(content: bytes, content_type: str) -> bytes:
    """Re-encode an image from its pixels only (orientation applied first, so the photo still stands upright)."""
    with Image.open(io.BytesIO(content)) as image:
        image = ImageOps.exif_transpose(image)
        out = io.BytesIO()
        if content_type == "image/jpeg":
            image.convert("RGB").save(out, format="JPEG", quality=90)
        else:
            image.save(out, format="PNG")
    return out.getvalue()


def prepare(uploaded_files) -> list[PreparedFile]:
    """Check every file before anything is stored; a refusal names the file and why."""
    files = [f for f in uploaded_files if f]
    if len(files) > MAX_FILES:
        raise ValidationError({"files": _("最多上传 %(n)d 个附件。") % {"n": MAX_FILES}})
    prepared = []
    for uploaded in files:
        name = os.path.basename(uploaded.name or "")[:255]
        if uploaded.size == 0:
            raise ValidationError({"files": _("“%(name)s”是空文件。") % {"name": name}})
        if uploaded.size > MAX_BYTES:
            raise ValidationError({"files": _("“%(name)s”超过 10 MB（%(mb).1f MB），请压缩后再上传。") % {
                "name": name, "mb": uploaded.size / 1024 / 1024}})
        uploaded.seek(0)
        sniffed = sniff_content_type(uploaded.read(16))
        if sniffed is None:
            raise ValidationError({"files": _(
                "“%(name)s”不是图片（JPEG、PNG）或 PDF 文件（按文件内容识别，与扩展名无关）。") % {"name": name}})
        content_type, ext = sniffed
        uploaded.seek(0)
        content = uploaded.read()
        if content_type.startswith("image/"):
            try:
                content = strip_exif(content, content_type)
            except Exception as exc:  # a truncated or forged image
                raise ValidationError({"files": _("“%(name)s”无法作为图片读取。") % {"name": name}}) from exc
        prepared.append(PreparedFile(name, content_type, ext, content))
    return prepared
