"""The ZIP export: `herald.json` (the export document) and each image under `images/<sha256>.<ext>`."""

from __future__ import annotations

import io
import zipfile

from flask import current_app

from webapp.core.errors import ValidationFailed, lazy_gettext

DOCUMENT = "herald.json"
MAX_DOCUMENT_BYTES = 64 * 1024 * 1024


def pack(document: str, files: dict[str, bytes]) -> bytes:
    """Return a ZIP archive holding the document and the files (images are stored as they are: already compressed)."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr(DOCUMENT, document, compress_type=zipfile.ZIP_DEFLATED)
        for name, data in sorted(files.items()):
            archive.writestr(name, data, compress_type=zipfile.ZIP_STORED)
    return out.getvalue()


def unpack(data: bytes) -> tuple[str, dict[str, bytes | None]]:
    """Return the document's text and the image files of an archive; refuse what is not a Herald export.

    Sizes are judged by the archive's own listing before anything is inflated, so a small archive that
    would inflate to gigabytes is refused unread.
    """
    config = current_app.config
    file_limit = config["MEDIA_MAX_BYTES"]
    most_files = config["IMPORT_MAX_ROWS"] * config["MEDIA_MAX_PER_CONTENT"]
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            entries = {i.filename: i for i in archive.infolist() if not i.is_dir()}
            document = entries.pop(DOCUMENT, None)
            if document is None:
                raise ValidationFailed(
                    {
                        "file": lazy_gettext(
                            "is a ZIP archive without %(document)s: not a Herald export", document=DOCUMENT
                        )
                    }
                )
            if document.file_size > MAX_DOCUMENT_BYTES:
                raise ValidationFailed({"file": f"holds a {DOCUMENT} larger than {MAX_DOCUMENT_BYTES:,} bytes"})
            if len(entries) > most_files:
                raise ValidationFailed(
                    {
                        "file": lazy_gettext(
                            "holds %(count)s files; an import takes at most %(most_files)s",
                            count=len(entries),
                            most_files=most_files,
                        )
                    }
                )
            # A file too big to be an image is not read: None, and the image naming it is told so.
            files = {n: archive.read(i) if i.file_size <= file_limit else None for n, i in entries.items()}
            text = archive.read(document).decode("utf-8-sig")
    except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, NotImplementedError, RuntimeError):
        raise ValidationFailed({"file": lazy_gettext("is not a readable ZIP archive")}) from None
    except UnicodeDecodeError:
        raise ValidationFailed(
            {"file": lazy_gettext("holds a %(document)s that is not UTF-8 text", document=DOCUMENT)}
        ) from None
    return text, files
