"""Multipart uploads that never lose a file because of its name.

Django's parser drops a file part without a word when its name is not valid UTF-8 (the whole header
line is skipped), is empty (the part becomes a text field), or sanitises to nothing (``..``, ``/``, a
path ending in a separator, control characters only). The form then saw no file and the report was
saved without its evidence. Here such a file is kept under a safe name:

- the part headers are made valid UTF-8 before Django reads them: a line that is not UTF-8 is read
  as Windows-1252 (what old Windows software sends; ``caf\\xe9.jpg`` is ``café.jpg``), else as
  Latin-1, whose control characters are then removed;
- a file part sent with ``filename=""`` *and content* is named ``fichier`` (an empty part with an
  empty name is what a browser sends for a file input left empty: it stays "no file");
- a name that sanitises to nothing becomes ``fichier``; otherwise Django's own sanitising applies
  (last path component, printable characters only). The vault cleans the name again before keeping
  it (``reports/vault.py: _clean_name``) and never uses it on disk.

It is a Django upload handler (``FILE_UPLOAD_HANDLERS``, first): its ``handle_raw_input`` parses the
whole body itself, with the other handlers, through :class:`SafeNamesParser` over
:class:`HeaderTranscoder`. It also refuses, before reading anything, a body longer than
``HALTE_MAX_UPLOAD_BYTES`` (by default what one report may carry plus the form fields), which no
report could accept anyway.
"""

from __future__ import annotations

import re
import typing
from collections.abc import Iterator
from typing import IO

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.core.files.uploadhandler import FileUploadHandler
from django.http.multipartparser import MultiPartParser

UNNAMED = "fichier"  # ASCII, so that it can be written into the raw header bytes
HEADER_LIMIT = 64 * 1024  # a part's headers longer than this are passed on untouched (Django refuses them)
READ_BYTES = 64 * 1024
_EMPTY_FILENAME = re.compile(rb'(;\s*filename\s*=\s*)""', re.IGNORECASE)


def max_upload_bytes() -> int:
    from halte.reports import vault

    default = vault.MAX_REPORT_BYTES + (settings.DATA_UPLOAD_MAX_MEMORY_SIZE or 0) + 1024 * 1024
    return int(getattr(settings, "HALTE_MAX_UPLOAD_BYTES", default))


def as_utf8(line: bytes) -> bytes:
    """A header line as valid UTF-8: unchanged if it is, else read as Windows-1252 or Latin-1."""
    try:
        line.decode("utf-8")
    except UnicodeDecodeError:
        try:
            text = line.decode("cp1252")
        except UnicodeDecodeError:
            text = line.decode("latin-1")
        return text.encode("utf-8")
    return line


class HeaderTranscoder:
    """A file-like view of a multipart body where each part's header block is valid UTF-8 and a file
    part with an empty name but some content is named :data:`UNNAMED`. Contents pass untouched."""

    def __init__(self, raw: IO[bytes], boundary: bytes):
        self._raw = raw
        self._delimiter = b"--" + boundary
        self._chunks = self._transcoded()
        self._buffer = bytearray()

    def read(self, size: int = -1) -> bytes:
        while size < 0 or len(self._buffer) < size:
            chunk = next(self._chunks, None)
            if chunk is None:
                break
            self._buffer += chunk
        if size < 0:
            size = len(self._buffer)
        data = bytes(self._buffer[:size])
        del self._buffer[:size]
        return data

    def _raw_chunks(self) -> Iterator[bytes]:
        while chunk := self._raw.read(READ_BYTES):
            yield chunk

    def _transcoded(self) -> Iterator[bytes]:
        delimiter = self._delimiter
        # After a header block with an empty file name, this many bytes tell an empty part.
        empty_part = b"\r\n" + delimiter
        pending = b""
        state = "body"
        held = b""  # a header block waiting to know whether its part is empty
        for chunk in self._raw_chunks():
            pending += chunk
            while True:
                if state == "body":
                    found = pending.find(delimiter)
                    if found < 0:
                        keep = len(delimiter) - 1
                        if len(pending) > keep:
                            yield pending[: len(pending) - keep]
                            pending = pending[len(pending) - keep :]
                        break
                    end = found + len(delimiter)
                    yield pending[:end]
                    pending = pending[end:]
                    state = "header"
                elif state == "header":
                    found = pending.find(b"\r\n\r\n")
                    if found < 0:
                        if len(pending) > HEADER_LIMIT:
                            state = "body"
                            continue
                        break
                    header = b"\r\n".join(as_utf8(line) for line in pending[:found].split(b"\r\n"))
                    pending = pending[found + 4 :]
                    if _EMPTY_FILENAME.search(header):
                        held = header + b"\r\n\r\n"
                        state = "peek"
                        continue
                    yield header + b"\r\n\r\n"
                    state = "body"
                else:  # "peek": is the part after `held` empty?
                    if len(pending) < len(empty_part):
                        break
                    if not pending.startswith(empty_part):
                        held = _EMPTY_FILENAME.sub(rb'\1"' + UNNAMED.encode() + b'"', held, count=1)
                    yield held
                    held = b""
                    state = "body"
        if state == "peek" and pending:
            held = _EMPTY_FILENAME.sub(rb'\1"' + UNNAMED.encode() + b'"', held, count=1)
        yield held + pending


class SafeNamesParser(MultiPartParser):
    def sanitize_file_name(self, file_name):
        return super().sanitize_file_name(file_name) or UNNAMED


class SafeNamesUploadHandler(FileUploadHandler):
    """First of ``FILE_UPLOAD_HANDLERS``: parses the body with safe names, then lets the others store the files."""

    def handle_raw_input(self, input_data, META, content_length, boundary, encoding=None):
        if content_length > max_upload_bytes():
            raise RequestDataTooBig("Request body exceeded HALTE_MAX_UPLOAD_BYTES.")
        assert self.request is not None  # Django builds upload handlers with their request
        others = [handler for handler in self.request.upload_handlers if handler is not self]
        stream = typing.cast(IO[bytes], HeaderTranscoder(input_data, boundary))  # only read() is used
        parser = SafeNamesParser(META, stream, others, encoding)
        return parser.parse()

    def receive_data_chunk(self, raw_data, start):
        return raw_data

    def file_complete(self, file_size):
        return None
