"""Active content in evidence: what a file could *do* when opened, found from its bytes at capture.

The vault accepts images, PDF, short videos and plain text, but a file of an accepted type can still
carry something that runs: a PDF with JavaScript or an action that fires on opening, a text file that
is a shell script, a polyglot (a PDF or an image with a ZIP of Office macros appended). Staff must
know before they open an original, so each finding becomes a sentence next to the file on the staff
page. Nothing here changes a file: the original is the evidence and its SHA-256 proves it.

``find_active_content(data)`` returns finding codes (``Finding``), in a stable order. It looks at the
bytes only, whatever the type the vault decided:

* **PDF**: names are compared after decoding ``#xx`` escapes (``/J#61vaScript`` is ``/JavaScript``),
  and the Flate-compressed streams (object streams hide whole dictionaries) are inflated, within a
  budget, and searched too. ``/JS`` and ``/JavaScript``; ``/OpenAction`` and ``/AA`` (automatic
  actions); ``/Launch``; ``/EmbeddedFile(s)``; ``/XFA`` forms.
* **Office macros**: a ZIP anywhere in the file (its central directory is found from the end, so an
  appended ZIP counts) holding ``vbaProject.bin`` (OOXML) or a ``Basic/`` library (OpenDocument); an
  OLE compound file (legacy ``.doc``/``.xls``) with a ``_VBA_PROJECT`` or ``Macros`` storage.
* **Markup with script**: ``<script``, an event handler attribute (``onload=``) inside a tag, or a
  ``javascript:`` link, in anything but a PDF.
* **Programs**: Windows (``MZ`` with a PE header), ELF, Mach-O, Java classes, WebAssembly, Windows
  shortcuts, and scripts starting with ``#!``.

The list of sentences is ``describe(codes)``.
"""

from __future__ import annotations

import io
import re
import struct
import zipfile
import zlib

from django.db import models
from django.utils.translation import gettext_lazy as _

# Inflating PDF streams stops after this many bytes in all: a crafted stream cannot fill memory.
INFLATE_BUDGET = 32 * 1024 * 1024


class Finding(models.TextChoices):
    PDF_JAVASCRIPT = "pdf_javascript", _("Ce PDF contient du JavaScript.")
    PDF_AUTOMATIC_ACTION = (
        "pdf_automatic_action",
        _("Ce PDF contient des actions automatiques (à l’ouverture ou au passage sur une page)."),
    )
    PDF_LAUNCH = "pdf_launch", _("Ce PDF peut lancer un programme ou ouvrir un autre fichier.")
    PDF_EMBEDDED_FILE = "pdf_embedded_file", _("Ce PDF contient des fichiers joints.")
    PDF_XFA = "pdf_xfa", _("Ce PDF contient un formulaire XFA, qui peut exécuter des scripts.")
    OFFICE_MACROS = "office_macros", _("Ce fichier contient un document bureautique avec des macros.")
    MARKUP_SCRIPT = "markup_script", _("Ce fichier contient du code HTML ou SVG avec des scripts.")
    EXECUTABLE = "executable", _("Ce fichier contient un programme exécutable.")


# PDF names that are findings, once their #xx escapes are decoded.
_PDF_NAMES = {
    b"/JS": Finding.PDF_JAVASCRIPT,
    b"/JavaScript": Finding.PDF_JAVASCRIPT,
    b"/OpenAction": Finding.PDF_AUTOMATIC_ACTION,
    b"/AA": Finding.PDF_AUTOMATIC_ACTION,
    b"/Launch": Finding.PDF_LAUNCH,
    b"/EmbeddedFile": Finding.PDF_EMBEDDED_FILE,
    b"/EmbeddedFiles": Finding.PDF_EMBEDDED_FILE,
    b"/XFA": Finding.PDF_XFA,
}
# A PDF name: a solidus and regular characters (PDF 32000-1, 7.3.5), delimiters and white space end it.
_PDF_NAME = re.compile(rb"/[^\x00\t\n\x0c\r /()<>\[\]{}%]*")
_PDF_ESCAPE = re.compile(rb"#([0-9A-Fa-f]{2})")
_PDF_STREAM = re.compile(rb"stream\r?\n")

_SCRIPT_TAG = re.compile(rb"<\s*script\b", re.IGNORECASE)
_EVENT_HANDLER = re.compile(rb"<[a-z][^<>]*?[\s/\"']on[a-z]{3,30}\s*=", re.IGNORECASE)
_JAVASCRIPT_URL = re.compile(rb"(?:href|src|action)\s*=\s*[\"']?\s*javascript:", re.IGNORECASE)

_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_OLE_MACRO_STORAGES = ("_VBA_PROJECT".encode("utf-16-le"), "Macros".encode("utf-16-le"))
_ZIP_END = b"PK\x05\x06"

_PROGRAM_MAGICS = (
    b"\x7fELF",  # Linux and most Unix programs
    b"\xfe\xed\xfa\xce",  # Mach-O, 32 and 64 bits, both byte orders
    b"\xfe\xed\xfa\xcf",
    b"\xce\xfa\xed\xfe",
    b"\xcf\xfa\xed\xfe",
    b"\xca\xfe\xba\xbe",  # Mach-O universal binary, or a Java class
    b"\x00asm",  # WebAssembly
    b"dex\n",  # Android
    b"L\x00\x00\x00\x01\x14\x02\x00",  # Windows shortcut (.lnk), which can run a command
)


def find_active_content(data: bytes) -> list[str]:
    """The codes of ``Finding`` for everything in ``data`` that could run, in the order of ``Finding``."""
    found: set[str] = set()
    is_pdf = data[:1024].find(b"%PDF-") >= 0
    if is_pdf:
        found.update(_pdf_findings(data))
    if _has_office_macros(data):
        found.add(Finding.OFFICE_MACROS)
    if not is_pdf and _has_script_markup(data):
        found.add(Finding.MARKUP_SCRIPT)
    if _is_program(data):
        found.add(Finding.EXECUTABLE)
    return [code for code in Finding.values if code in found]


def describe(codes: list[str] | None) -> list[str]:
    """The French sentences of finding codes, unknown codes skipped."""
    return [str(Finding(code).label) for code in codes or () if code in Finding.values]


# --- PDF ------------------------------------------------------------------------------------------
def _pdf_findings(data: bytes) -> set[str]:
    found: set[str] = set()
    for chunk in (data, *_inflated_streams(data)):
        for match in _PDF_NAME.finditer(chunk):
            name = _PDF_ESCAPE.sub(lambda m: bytes([int(m.group(1), 16)]), match.group())
            code = _PDF_NAMES.get(name)
            if code is not None:
                found.add(code)
    return found


def _inflated_streams(data: bytes):
    """The content of every stream that inflates as zlib, up to ``INFLATE_BUDGET`` bytes in all.

    The end of a stream is not trusted (``/Length`` may lie, ``endstream`` may be missing): each
    stream is inflated from its start until the compressed data ends by itself.
    """
    budget = INFLATE_BUDGET
    view = memoryview(data)
    for match in _PDF_STREAM.finditer(data):
        if budget <= 0:
            return
        inflater = zlib.decompressobj()
        try:
            inflated = inflater.decompress(view[match.end() :], budget)
        except zlib.error:
            continue
        budget -= len(inflated)
        if inflated:
            yield inflated


# --- Office macros ----------------------------------------------------------------------------------
def _has_office_macros(data: bytes) -> bool:
    if data.startswith(_OLE_MAGIC) and any(storage in data for storage in _OLE_MACRO_STORAGES):
        return True
    # The end of central directory record sits in the last 64 KiB (plus its own 22 bytes).
    if _ZIP_END not in data[-(65536 + 22) :]:
        return False
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            names = archive.namelist()
    except (zipfile.BadZipFile, ValueError, struct.error, OSError, EOFError, NotImplementedError):
        return False
    for name in names:
        lowered = name.lower()
        if lowered.endswith("vbaproject.bin") or lowered.startswith("basic/"):
            return True
        if lowered.endswith((".docm", ".xlsm", ".pptm", ".dotm", ".xltm")):
            return True
    return False


# --- Markup ---------------------------------------------------------------------------------------
def _has_script_markup(data: bytes) -> bool:
    if _SCRIPT_TAG.search(data):
        return True
    if _JAVASCRIPT_URL.search(data):
        return True
    return bool(_EVENT_HANDLER.search(data))


# --- Programs -------------------------------------------------------------------------------------
def _is_program(data: bytes) -> bool:
    if data.startswith(_PROGRAM_MAGICS):
        return True
    if data.startswith(b"#!"):
        return True
    return _is_windows_program(data)


def _is_windows_program(data: bytes) -> bool:
    """``MZ`` alone could begin a text; a Windows program also has its PE header where ``MZ`` says."""
    if not data.startswith(b"MZ") or len(data) < 0x40:
        return False
    (offset,) = struct.unpack_from("<I", data, 0x3C)
    return data[offset : offset + 4] == b"PE\x00\x00" or b"This program cannot be run in DOS mode" in data[:1024]
