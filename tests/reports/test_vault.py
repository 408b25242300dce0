"""The evidence vault: type sniffing, limits, encryption at rest, metadata stripping, keys, integrity.

Every test file is generated here, in memory: images with Pillow, other formats from their magic bytes.
"""

import base64
import hashlib
import io
import os
import random
import re
import stat
import struct
import time
import zlib
from datetime import timedelta

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.core.files.uploadedfile import SimpleUploadedFile, UploadedFile
from django.db import IntegrityError
from PIL import Image, PngImagePlugin

from halte.reports import vault
from halte.reports.models import Evidence, Message, Report

# --- Builders -----------------------------------------------------------------------------------


def noisy_image(size=(64, 48), mode="RGB", seed=1):
    """An image whose pixels do not compress away, so its encoded bytes are not trivially short."""
    rng = random.Random(seed)
    channels = len(mode)
    return Image.frombytes(mode, size, bytes(rng.randrange(256) for _ in range(size[0] * size[1] * channels)))


def encode(image, image_format, **options):
    buffer = io.BytesIO()
    image.save(buffer, format=image_format, **options)
    return buffer.getvalue()


def jpeg_with_gps():
    exif = Image.Exif()
    exif[0x010F] = "HalteTestCam"  # Make
    exif[0x0110] = "Model-XYZ-Secret"  # Model
    exif[0x8825] = {1: "N", 2: (49.0, 53.0, 40.0), 3: "E", 4: (2.0, 18.0, 10.0)}  # GPS IFD
    return encode(
        noisy_image(),
        "JPEG",
        exif=exif,
        icc_profile=b"HALTE-ICC-PROFILE" * 4,
        comment=b"secret comment from the camera",
    )


def png_chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def crafted_png(width: int, height: int) -> bytes:
    """A tiny PNG whose header declares a huge 1-bit image (a decompression bomb)."""
    header = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + png_chunk(b"IHDR", header)
        + png_chunk(b"IDAT", zlib.compress(b"\x00" * 64))
        + png_chunk(b"IEND", b"")
    )


def iso_media(brand: bytes) -> bytes:
    ftyp = struct.pack(">I", 24) + b"ftyp" + brand + b"\x00\x00\x02\x00" + brand + b"isom"
    return ftyp + struct.pack(">I", 16) + b"mdat" + os.urandom(8)


def ebml(doctype: bytes) -> bytes:
    body = b"\x42\x86\x81\x01" + b"\x42\xf7\x81\x01" + b"\x42\x82" + bytes([0x80 | len(doctype)]) + doctype
    return b"\x1a\x45\xdf\xa3" + bytes([0x80 | len(body)]) + body + b"\x18\x53\x80\x67" + os.urandom(16)


def upload(name: str, data: bytes, content_type: str = "application/octet-stream") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data, content_type=content_type)


def chunked_upload(name: str, data: bytes) -> UploadedFile:
    """An upload read in ``chunk_size`` pieces, like a large file Django spooled to disk.

    (SimpleUploadedFile hands its whole content over as a single chunk.)
    """
    return UploadedFile(file=io.BytesIO(data), name=name, content_type="text/plain", size=len(data))


def b64key() -> str:
    return base64.b64encode(os.urandom(32)).decode()


PNG_BYTES = encode(noisy_image(size=(16, 16)), "PNG")
TEXT_BYTES = "Il m’a écrit « t’es nul » sur Snap.\tHier\r\nEt aujourd’hui aussi.\n".encode()


# --- Fixtures -----------------------------------------------------------------------------------


@pytest.fixture(autouse=True)
def _isolated_vault(settings, tmp_path, monkeypatch):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.VAR_DIR = tmp_path / "var"
    settings.PRODUCTION = False
    monkeypatch.delenv("HALTE_EVIDENCE_KEYS", raising=False)
    monkeypatch.delenv("HALTE_EVIDENCE_KEYS_FILE", raising=False)


@pytest.fixture
def report(db):
    return Report.objects.create(
        reference="SIG-TEST-0001", channel="public_form", reporter_kind="victim", description="On se moque de moi."
    )


@pytest.fixture
def other_report(db):
    return Report.objects.create(
        reference="SIG-TEST-0002", channel="public_form", reporter_kind="witness", description="J’ai vu."
    )


def vault_files(settings):
    root = settings.MEDIA_ROOT / "vault"
    return sorted(p for p in root.rglob("*") if p.is_file()) if root.exists() else []


def on_disk(settings, relative: str) -> bytes:
    return (settings.MEDIA_ROOT / relative).read_bytes()


# --- Sniffing -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (encode(noisy_image(), "JPEG"), "image/jpeg"),
        (PNG_BYTES, "image/png"),
        (encode(noisy_image(mode="RGB"), "GIF"), "image/gif"),
        (encode(noisy_image(), "WEBP"), "image/webp"),
        (b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<< /Type /Catalog >>\nendobj\n", "application/pdf"),
        (iso_media(b"isom"), "video/mp4"),
        (iso_media(b"mp42"), "video/mp4"),
        (iso_media(b"M4V "), "video/mp4"),
        (iso_media(b"qt  "), "video/quicktime"),
        (iso_media(b"3gp5"), "video/3gpp"),
        (ebml(b"webm"), "video/webm"),
        (TEXT_BYTES, "text/plain"),
        (b"<3 tu es mon amie", "text/plain"),
    ],
    ids=["jpeg", "png", "gif", "webp", "pdf", "mp4-isom", "mp4-mp42", "m4v", "mov", "3gp", "webm", "text", "heart"],
)
def test_sniff_recognises_supported_types(data, expected):
    assert vault.sniff(data[: vault.SNIFF_BYTES]) == expected


@pytest.mark.parametrize(
    "data",
    [
        b"PK\x03\x04\x14\x00\x00\x00\x08\x00" + os.urandom(64),  # zip (also docx, apk...)
        b"MZ\x90\x00\x03\x00\x00\x00" + os.urandom(64),  # Windows program
        b"\x7fELF\x02\x01\x01" + os.urandom(64),  # Linux program
        b"<!DOCTYPE html><html><body><script>alert(1)</script></body></html>",
        b"  \n<html><body>coucou</body></html>",
        b'<p onclick="alert(1)">coucou</p>',  # any tag at the very start
        b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>',
        b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>',
        b"Regarde ce dessin : <svg onload=alert(1)>",  # markup later in the text
        iso_media(b"heic"),  # a still image in the video container
        iso_media(b"avif"),
        ebml(b"matroska"),
        b"bonjour\x00monde",  # NUL
        b"bonjour \x1b[31m rouge",  # escape sequence
        "café".encode("latin-1"),  # not UTF-8
        b"",
    ],
    ids=[
        "zip",
        "exe",
        "elf",
        "html",
        "html-after-blank",
        "tag-at-start",
        "svg-xml",
        "svg-bare",
        "svg-in-text",
        "heic",
        "avif",
        "matroska",
        "nul",
        "escape",
        "latin1",
        "empty",
    ],
)
def test_sniff_refuses_everything_else(data):
    assert vault.sniff(data) is None


def test_sniff_accepts_text_cut_in_the_middle_of_a_character():
    data = b"a" + "é".encode() * vault.SNIFF_BYTES
    head = data[: vault.SNIFF_BYTES]
    assert head.endswith(b"\xc3")  # the last "é" is cut in two
    assert vault.sniff(head) == "text/plain"
    assert vault.sniff(head[:-2]) is None  # a shorter head is the whole file: it must be complete
    assert vault.sniff(data[2 : vault.SNIFF_BYTES + 2]) is None  # nothing starts inside a character


def test_a_png_named_pdf_is_stored_as_a_png(report):
    vault.validate([upload("devoir.pdf", PNG_BYTES, "application/pdf")])
    evidence = vault.store(report=report, upload=upload("devoir.pdf", PNG_BYTES, "application/pdf"))
    assert evidence.content_type == "image/png"
    assert evidence.original_name == "devoir.pdf"
    assert evidence.display_path


# --- Validation ---------------------------------------------------------------------------------


def test_html_named_like_a_photo_is_refused_with_its_name():
    page = b"<!DOCTYPE html><html><body><script>document.location='https://evil.example'</script></body></html>"
    with pytest.raises(vault.EvidenceRejected) as caught:
        vault.validate([upload("photo.jpg", page, "image/jpeg")])
    assert "« photo.jpg »" in caught.value.message
    assert "n’est pas une image, un PDF, une courte vidéo ou un texte" in caught.value.message


@pytest.mark.parametrize(
    "data",
    [
        b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>',
        b"PK\x03\x04\x14\x00\x00\x00\x08\x00" + os.urandom(200),
    ],
    ids=["svg", "zip"],
)
def test_validate_refuses_svg_and_zip(data):
    with pytest.raises(vault.EvidenceRejected, match=re.escape("« dessin.png »")):
        vault.validate([upload("dessin.png", data, "image/png")])


def test_text_is_checked_to_the_end_not_only_its_start():
    text = b"a" * (3 * vault.CHUNK_BYTES) + b"\x00"
    assert vault.sniff(text[: vault.SNIFF_BYTES]) == "text/plain"
    with pytest.raises(vault.EvidenceRejected):
        vault.validate([chunked_upload("notes.txt", text)])
    with pytest.raises(vault.EvidenceRejected):
        vault.validate([upload("notes.txt", text, "text/plain")])


def test_a_tag_cut_between_two_chunks_is_still_seen():
    text = b"a" * (vault.CHUNK_BYTES - 4) + b"<script>alert(1)"
    first, second = list(chunked_upload("notes.txt", text).chunks(vault.CHUNK_BYTES))
    assert first.endswith(b"<scr") and second == b"ipt>alert(1)"
    with pytest.raises(vault.EvidenceRejected):
        vault.validate([chunked_upload("notes.txt", text)])


def test_plain_text_is_accepted():
    vault.validate([upload("conversation.txt", TEXT_BYTES * 5000, "text/plain")])
    vault.validate([chunked_upload("conversation.txt", TEXT_BYTES * 5000)])  # "é" cut between chunks too


def test_empty_file_is_refused():
    with pytest.raises(vault.EvidenceRejected) as caught:
        vault.validate([upload("vide.png", b"", "image/png")])
    assert caught.value.message == "Le fichier « vide.png » est vide."


def test_a_file_over_the_limit_is_refused_and_one_at_the_limit_accepted(monkeypatch):
    monkeypatch.setattr(vault, "MAX_FILE_BYTES", 1000)
    vault.validate([upload("juste.txt", b"a" * 1000)])
    with pytest.raises(vault.EvidenceRejected) as caught:
        vault.validate([upload("lourd.txt", b"a" * 1001)])
    assert caught.value.message == "Le fichier « lourd.txt » est trop lourd : 1000 octets au maximum."


def test_the_size_limit_is_shown_in_megabytes():
    with pytest.raises(vault.EvidenceRejected) as caught:
        vault.validate([ExplodingUpload("film.mp4", size=vault.MAX_FILE_BYTES + 1)])
    assert caught.value.message == "Le fichier « film.mp4 » est trop lourd : 10 Mo au maximum."


class ExplodingUpload(UploadedFile):
    """Declares a size; reading it is a test failure."""

    def __init__(self, name, size):
        super().__init__(file=io.BytesIO(b""), name=name, content_type="video/mp4", size=size)

    def chunks(self, chunk_size=None):
        raise AssertionError("a file declared too big must not be read")


class EndlessUpload(UploadedFile):
    """Declares 10 bytes but never ends: the vault must stop counting by itself."""

    def __init__(self):
        super().__init__(file=io.BytesIO(b""), name="film.mp4", content_type="video/mp4", size=10)
        self.served = 0

    def chunks(self, chunk_size=None):
        while self.served < 10_000:
            self.served += 1
            yield iso_media(b"isom") + b"\x00" * 1000


def test_a_file_declared_too_big_is_refused_without_being_read(report):
    too_big = ExplodingUpload("film.mp4", size=2 * 1024**3)
    with pytest.raises(vault.EvidenceRejected, match=re.escape("« film.mp4 » est trop lourd")):
        vault.validate([ExplodingUpload("petit.mp4", size=100), too_big])  # nothing is read at all
    with pytest.raises(vault.EvidenceRejected, match=re.escape("« film.mp4 » est trop lourd")):
        vault.store(report=report, upload=too_big)


def test_a_file_lying_about_its_size_is_counted_and_cut_short(monkeypatch):
    monkeypatch.setattr(vault, "MAX_FILE_BYTES", 5000)
    endless = EndlessUpload()
    with pytest.raises(vault.EvidenceRejected, match="trop lourd"):
        vault.validate([endless])
    assert endless.served <= 5


def test_too_many_files_are_refused(monkeypatch):
    monkeypatch.setattr(vault, "MAX_FILES_PER_REPORT", 2)
    vault.validate([upload("1.txt", b"un"), upload("2.txt", b"deux")])
    with pytest.raises(vault.EvidenceRejected) as caught:
        vault.validate([upload("1.txt", b"un"), upload("2.txt", b"deux"), upload("3.txt", b"trois")])
    assert caught.value.message == "Il y a trop de fichiers : 2 au maximum en tout."


def test_files_too_heavy_together_are_refused(monkeypatch):
    monkeypatch.setattr(vault, "MAX_FILE_BYTES", 1000)
    monkeypatch.setattr(vault, "MAX_REPORT_BYTES", 2500)
    vault.validate([upload("1.txt", b"a" * 1000), upload("2.txt", b"b" * 1000), upload("3.txt", b"c" * 500)])
    with pytest.raises(vault.EvidenceRejected, match="trop lourds tous ensemble"):
        vault.validate([upload("1.txt", b"a" * 1000), upload("2.txt", b"b" * 1000), upload("3.txt", b"c" * 501)])


def test_limits_count_what_the_report_already_holds(report, settings, monkeypatch):
    monkeypatch.setattr(vault, "MAX_FILES_PER_REPORT", 2)
    vault.store(report=report, upload=upload("1.txt", b"un"))
    vault.validate([upload("2.txt", b"deux")], report=report)
    with pytest.raises(vault.EvidenceRejected, match="trop de fichiers"):
        vault.validate([upload("2.txt", b"deux"), upload("3.txt", b"trois")], report=report)
    vault.store(report=report, upload=upload("2.txt", b"deux"))
    files_before = vault_files(settings)
    with pytest.raises(vault.EvidenceRejected, match="trop de fichiers"):
        vault.store(report=report, upload=upload("3.txt", b"trois"))
    assert Evidence.objects.filter(report=report).count() == 2
    assert vault_files(settings) == files_before


# --- Storing an image: encryption and metadata --------------------------------------------------


def test_a_photo_is_kept_exactly_encrypted_and_shown_without_metadata(report, settings):
    original = jpeg_with_gps()
    assert b"HalteTestCam" in original  # the builder did put the camera in the file
    assert Image.open(io.BytesIO(original)).getexif().get_ifd(0x8825)  # and the GPS position

    evidence = vault.store(report=report, upload=upload("IMG_2024.jpg", original, "image/jpeg"))

    assert evidence.sha256 == hashlib.sha256(original).hexdigest()
    assert evidence.size == len(original)
    assert evidence.content_type == "image/jpeg"
    assert evidence.key_id == "dev"

    stored = on_disk(settings, evidence.original_path)
    assert not stored.startswith(b"\xff\xd8\xff")
    assert original[:4] not in stored
    assert b"HalteTestCam" not in stored
    for start in range(len(original) - 63):
        assert original[start : start + 64] not in stored, f"plain bytes at offset {start} found on disk"

    assert vault.read_original(evidence) == original

    display = vault.read_display(evidence)
    assert original[:4] not in on_disk(settings, evidence.display_path)
    assert vault.sniff(display) == "image/jpeg"
    for secret in (b"HalteTestCam", b"Model-XYZ-Secret", b"HALTE-ICC-PROFILE", b"secret comment", b"Exif"):
        assert secret not in display
    shown = Image.open(io.BytesIO(display))
    assert shown.size == (64, 48)
    assert len(shown.getexif()) == 0
    assert not shown.getexif().get_ifd(0x8825)
    assert "exif" not in shown.info
    assert "icc_profile" not in shown.info
    assert "comment" not in shown.info


def test_vault_files_have_random_names_and_private_modes(report, settings):
    evidence = vault.store(report=report, upload=upload("harceleur_Kevin.jpg", jpeg_with_gps()))
    files = vault_files(settings)
    assert len(files) == 2
    for path in files:
        assert "Kevin" not in str(path)
        assert path.suffix == ".bin"
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert evidence.original_path.startswith("vault/")
    assert evidence.original_path != evidence.display_path


def test_the_display_copy_is_turned_upright(report):
    exif = Image.Exif()
    exif[0x0112] = 6  # "rotate 90° clockwise to display"
    sideways = encode(noisy_image(size=(40, 20)), "JPEG", exif=exif)
    evidence = vault.store(report=report, upload=upload("capture.jpg", sideways))
    assert Image.open(io.BytesIO(vault.read_display(evidence))).size == (20, 40)


def test_png_text_chunks_and_colour_profile_are_dropped_but_transparency_kept(report):
    info = PngImagePlugin.PngInfo()
    info.add_text("Author", "Prénom Nom de l’élève")
    info.add_text("Comment", "secret-png-comment")
    source = encode(noisy_image(size=(8, 8), mode="RGBA"), "PNG", pnginfo=info, icc_profile=b"PNG-ICC" * 8)
    evidence = vault.store(report=report, upload=upload("capture.png", source))
    display = vault.read_display(evidence)
    assert b"secret-png-comment" not in display
    assert "l’élève".encode() not in display
    shown = Image.open(io.BytesIO(display))
    shown.load()
    assert vault.sniff(display) == "image/png"
    assert shown.mode == "RGBA"
    assert not getattr(shown, "text", {})
    assert "icc_profile" not in shown.info
    assert shown.tobytes() == Image.open(io.BytesIO(source)).tobytes()


@pytest.mark.parametrize("image_format", ["GIF", "WEBP"])
def test_gif_and_webp_get_a_png_display_copy(report, image_format):
    source = encode(noisy_image(size=(10, 10)), image_format)
    evidence = vault.store(report=report, upload=upload(f"image.{image_format.lower()}", source))
    assert vault.sniff(vault.read_display(evidence)) == "image/png"
    assert vault.read_original(evidence) == source


def test_text_and_video_have_no_display_copy(report):
    text = vault.store(report=report, upload=upload("messages.txt", TEXT_BYTES))
    video = vault.store(report=report, upload=upload("video.mp4", iso_media(b"mp42")))
    assert text.display_path == "" and video.display_path == ""
    assert vault.read_original(text) == TEXT_BYTES
    with pytest.raises(ValueError, match="no display copy"):
        vault.read_display(text)


def test_the_original_name_is_cleaned(report):
    evidence = vault.store(report=report, upload=upload("C:\\Users\\Léa\\ma\x07 capture\u202egpj.txt", TEXT_BYTES))
    assert evidence.original_name == "ma capturegpj.txt"


def test_a_message_of_another_report_is_refused(report, other_report):
    message = Message.objects.create(report=other_report, author_kind="reporter", body="Voici la preuve.")
    with pytest.raises(ValueError, match="another report"):
        vault.store(report=report, upload=upload("a.txt", TEXT_BYTES), message=message)
    same = Message.objects.create(report=report, author_kind="reporter", body="Voici la preuve.")
    assert vault.store(report=report, upload=upload("a.txt", TEXT_BYTES), message=same).message == same


# --- Dangerous or broken images -----------------------------------------------------------------


@pytest.mark.parametrize(
    "size",
    [(50_000, 50_000), (10_000, 10_000)],
    ids=["over-pillow-error-limit", "over-pillow-warning-limit"],
)
def test_a_decompression_bomb_is_refused_and_nothing_is_written(report, settings, size):
    bomb = crafted_png(*size)
    assert len(bomb) < 200
    with pytest.raises(vault.EvidenceRejected) as caught:
        vault.store(report=report, upload=upload("bombe.png", bomb))
    assert caught.value.message == "Cette image est abîmée ou trop grande : « bombe.png »."
    assert vault_files(settings) == []
    assert not Evidence.objects.exists()


def test_the_vault_pixel_limit_applies_below_pillows(report, monkeypatch):
    monkeypatch.setattr(vault, "MAX_IMAGE_PIXELS", 399)
    with pytest.raises(vault.EvidenceRejected, match="trop grande"):
        vault.store(report=report, upload=upload("grande.png", encode(noisy_image(size=(20, 20)), "PNG")))
    monkeypatch.setattr(vault, "MAX_IMAGE_PIXELS", 400)
    vault.store(report=report, upload=upload("grande.png", encode(noisy_image(size=(20, 20)), "PNG")))


@pytest.mark.parametrize(
    "data",
    [
        b"\xff\xd8\xff\xe0" + os.urandom(2000),
        encode(noisy_image(size=(200, 200)), "JPEG")[:1500],
        crafted_png(100, 100),
    ],
    ids=["header-and-garbage", "truncated-jpeg", "png-without-pixels"],
)
def test_a_corrupt_image_is_refused(report, settings, data):
    with pytest.raises(vault.EvidenceRejected, match="abîmée"):
        vault.store(report=report, upload=upload("photo.jpg", data))
    assert vault_files(settings) == []


# --- Integrity ----------------------------------------------------------------------------------


def flip_byte(path, offset):
    data = bytearray(path.read_bytes())
    data[offset] ^= 0x01
    path.write_bytes(bytes(data))


@pytest.mark.parametrize("offset", [0, 20, -1], ids=["nonce", "ciphertext", "tag"])
def test_one_flipped_byte_is_detected(report, settings, offset):
    original = jpeg_with_gps()
    evidence = vault.store(report=report, upload=upload("photo.jpg", original))
    flip_byte(settings.MEDIA_ROOT / evidence.original_path, offset)
    with pytest.raises(vault.EvidenceTampered):
        vault.read_original(evidence)
    flip_byte(settings.MEDIA_ROOT / evidence.display_path, offset)
    with pytest.raises(vault.EvidenceTampered):
        vault.read_display(evidence)


def test_files_swapped_between_two_records_do_not_decrypt(report, settings):
    # Same content, so same digest and size: only the binding to the record can tell them apart.
    first = vault.store(report=report, upload=upload("a.txt", b"le meme fichier"))
    second = vault.store(report=report, upload=upload("b.txt", b"le meme fichier"))
    assert first.sha256 == second.sha256
    path_a, path_b = settings.MEDIA_ROOT / first.original_path, settings.MEDIA_ROOT / second.original_path
    blob_a, blob_b = path_a.read_bytes(), path_b.read_bytes()
    assert vault.read_original(first) == vault.read_original(second) == b"le meme fichier"
    path_a.write_bytes(blob_b)
    path_b.write_bytes(blob_a)
    with pytest.raises(vault.EvidenceTampered):
        vault.read_original(first)
    with pytest.raises(vault.EvidenceTampered):
        vault.read_original(second)


def test_the_original_and_its_display_copy_cannot_be_swapped(report, settings):
    evidence = vault.store(report=report, upload=upload("photo.png", PNG_BYTES))
    original, display = settings.MEDIA_ROOT / evidence.original_path, settings.MEDIA_ROOT / evidence.display_path
    original_blob, display_blob = original.read_bytes(), display.read_bytes()
    original.write_bytes(display_blob)
    display.write_bytes(original_blob)
    with pytest.raises(vault.EvidenceTampered):
        vault.read_original(evidence)
    with pytest.raises(vault.EvidenceTampered):
        vault.read_display(evidence)


def test_a_digest_that_does_not_match_is_detected(report):
    evidence = vault.store(report=report, upload=upload("a.txt", TEXT_BYTES))
    Evidence.objects.filter(pk=evidence.pk).update(sha256="0" * 64)  # bypasses save(), as SQL would
    with pytest.raises(vault.EvidenceTampered, match="SHA-256"):
        vault.read_original(Evidence.objects.get(pk=evidence.pk))


def test_a_stored_path_cannot_lead_out_of_the_vault(report, settings):
    secret = settings.MEDIA_ROOT / "secret.bin"
    secret.parent.mkdir(parents=True, exist_ok=True)
    evidence = vault.store(report=report, upload=upload("a.txt", TEXT_BYTES))
    secret.write_bytes((settings.MEDIA_ROOT / evidence.original_path).read_bytes())
    Evidence.objects.filter(pk=evidence.pk).update(original_path="vault/../secret.bin")
    with pytest.raises(vault.EvidenceUnreadable, match="outside the vault"):
        vault.read_original(Evidence.objects.get(pk=evidence.pk))


def test_a_missing_file_is_reported(report, settings):
    evidence = vault.store(report=report, upload=upload("a.txt", TEXT_BYTES))
    (settings.MEDIA_ROOT / evidence.original_path).unlink()
    with pytest.raises(vault.EvidenceUnreadable):
        vault.read_original(evidence)


def test_evidence_cannot_be_updated(report):
    evidence = vault.store(report=report, upload=upload("a.txt", TEXT_BYTES))
    evidence.original_name = "autre.txt"
    with pytest.raises(TypeError, match="immutable"):
        evidence.save()
    assert Evidence.objects.get(pk=evidence.pk).original_name == "a.txt"


def test_files_are_removed_when_the_row_cannot_be_inserted(report, settings, monkeypatch):
    def refuse(self, *args, **kwargs):
        raise IntegrityError("simulated")

    monkeypatch.setattr(Evidence, "save", refuse)
    with pytest.raises(IntegrityError):
        vault.store(report=report, upload=upload("photo.png", PNG_BYTES))
    assert vault_files(settings) == []


# --- Keys ---------------------------------------------------------------------------------------


def test_key_rotation_keeps_old_files_readable_and_seals_new_ones_with_the_new_key(report, monkeypatch):
    key_a, key_b = b64key(), b64key()
    monkeypatch.setenv("HALTE_EVIDENCE_KEYS", f"A:{key_a}")
    old = vault.store(report=report, upload=upload("ancien.txt", b"ancien"))
    assert old.key_id == "A"

    monkeypatch.setenv("HALTE_EVIDENCE_KEYS", f"B:{key_b},A:{key_a}")
    assert vault.keyring()[0] == "B"
    assert vault.read_original(old) == b"ancien"
    new = vault.store(report=report, upload=upload("nouveau.txt", b"nouveau"))
    assert new.key_id == "B"
    assert vault.read_original(new) == b"nouveau"

    monkeypatch.setenv("HALTE_EVIDENCE_KEYS", f"B:{key_b}")
    assert vault.read_original(new) == b"nouveau"
    with pytest.raises(vault.EvidenceUnreadable, match="not configured"):
        vault.read_original(old)

    monkeypatch.setenv("HALTE_EVIDENCE_KEYS", f"B:{key_a}")  # the right id with the wrong key
    with pytest.raises(vault.EvidenceKeyUnavailable, match="not the one that sealed"):
        vault.read_original(new)


def test_a_restore_without_the_right_key_is_a_key_problem_not_tampering(report, monkeypatch, settings):
    monkeypatch.setenv("HALTE_EVIDENCE_KEYS", f"2026:{b64key()}")
    photo = vault.store(report=report, upload=upload("photo.png", PNG_BYTES))
    text = vault.store(report=report, upload=upload("a.txt", TEXT_BYTES))
    # The backup is restored with a key file holding another key under the same id.
    monkeypatch.setenv("HALTE_EVIDENCE_KEYS", f"2026:{b64key()}")
    for read in (
        lambda: vault.read_original(photo),
        lambda: vault.read_display(photo),
        lambda: vault.read_original(text),
    ):
        with pytest.raises(vault.EvidenceKeyUnavailable) as caught:
            read()
        assert not isinstance(caught.value, vault.EvidenceTampered)
    # …or without the key at all.
    monkeypatch.setenv("HALTE_EVIDENCE_KEYS", f"2027:{b64key()}")
    with pytest.raises(vault.EvidenceKeyUnavailable, match="not configured"):
        vault.read_original(text)


def test_with_the_right_key_an_altered_file_is_still_tampering(report, monkeypatch, settings):
    monkeypatch.setenv("HALTE_EVIDENCE_KEYS", f"2026:{b64key()}")
    evidence = vault.store(report=report, upload=upload("a.txt", TEXT_BYTES))
    flip_byte(settings.MEDIA_ROOT / evidence.original_path, 20)
    with pytest.raises(vault.EvidenceTampered):
        vault.read_original(evidence)
    # The key check itself is sealed, private, and never replaced by a later key with the same id.
    check = settings.MEDIA_ROOT / vault.KEY_CHECK_DIR / "2026.bin"
    assert stat.S_IMODE(check.stat().st_mode) == 0o600
    before = check.read_bytes()
    assert b"halte" not in before
    # A new key under the same id seals nothing (every other machine would call its files altered).
    monkeypatch.setenv("HALTE_EVIDENCE_KEYS", f"2026:{b64key()}")
    files_before = sorted(p for p in (settings.MEDIA_ROOT / "vault").rglob("*") if p.is_file())
    with pytest.raises(vault.EvidenceKeyMismatch):
        vault.store(report=report, upload=upload("b.txt", TEXT_BYTES))
    assert check.read_bytes() == before
    assert sorted(p for p in (settings.MEDIA_ROOT / "vault").rglob("*") if p.is_file()) == files_before


def test_files_sealed_before_key_checks_existed_are_judged_as_before(report, monkeypatch, settings):
    monkeypatch.setenv("HALTE_EVIDENCE_KEYS", f"2026:{b64key()}")
    evidence = vault.store(report=report, upload=upload("a.txt", TEXT_BYTES))
    (settings.MEDIA_ROOT / vault.KEY_CHECK_DIR / "2026.bin").unlink()
    monkeypatch.setenv("HALTE_EVIDENCE_KEYS", f"2026:{b64key()}")
    with pytest.raises(vault.EvidenceTampered):  # no check to tell: never silently "fine"
        vault.read_original(evidence)


def test_purge_orphans_never_removes_the_key_checks(report, settings):
    vault.store(report=report, upload=upload("a.txt", TEXT_BYTES))
    checks = list((settings.MEDIA_ROOT / vault.KEY_CHECK_DIR).iterdir())
    assert checks
    for path in checks:
        os.utime(path, (0, 0))
    vault.purge_orphans(older_than=timedelta(0))
    assert all(path.exists() for path in checks)


def test_development_generates_one_key_and_keeps_it(report, settings):
    path = settings.VAR_DIR / "evidence.keys"
    assert not path.exists()
    current, keys = vault.keyring()
    assert path.exists()
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert current == "dev" and len(keys["dev"]) == 32
    evidence = vault.store(report=report, upload=upload("a.txt", TEXT_BYTES))
    assert vault.keyring() == (current, keys)  # read back, not generated again
    assert vault.read_original(Evidence.objects.get(pk=evidence.pk)) == TEXT_BYTES
    assert [p.name for p in settings.VAR_DIR.iterdir()] == ["evidence.keys"]  # no temporary file left


def test_production_without_keys_refuses(report, settings):
    settings.PRODUCTION = True
    with pytest.raises(ImproperlyConfigured, match="obligatoire en production"):
        vault.keyring()
    with pytest.raises(ImproperlyConfigured):
        vault.store(report=report, upload=upload("a.txt", TEXT_BYTES))
    assert not (settings.VAR_DIR / "evidence.keys").exists()
    assert vault_files(settings) == []


def test_production_reads_keys_from_a_file(report, settings, monkeypatch, tmp_path):
    settings.PRODUCTION = True
    keys_file = tmp_path / "keys"
    keys_file.write_text(f"2025-01:{b64key()}\n2024-06:{b64key()}\n")
    monkeypatch.setenv("HALTE_EVIDENCE_KEYS_FILE", str(keys_file))
    current, keys = vault.keyring()
    assert current == "2025-01"
    assert set(keys) == {"2025-01", "2024-06"}
    assert vault.store(report=report, upload=upload("a.txt", TEXT_BYTES)).key_id == "2025-01"


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (f"A:{base64.b64encode(b'x' * 16).decode()}", "32 octets"),
        ("A:pas-du-base64!!", "base64"),
        (lambda: f"A:{b64key()},A:{b64key()}", "deux fois"),
        (lambda: b64key(), "identifiant:clé_en_base64"),
        (lambda: f"a b c d:{b64key()}", None),
    ],
    ids=["short", "not-base64", "duplicate", "no-id", "bad-id"],
)
def test_badly_configured_keys_are_refused_without_showing_them(monkeypatch, value, message):
    raw = value() if callable(value) else value
    monkeypatch.setenv("HALTE_EVIDENCE_KEYS", raw)
    with pytest.raises(ImproperlyConfigured) as caught:
        vault.keyring()
    if message:
        assert message in str(caught.value)
    for part in raw.replace(",", ":").split(":"):
        if len(part) > 20:
            assert part not in str(caught.value)


# --- Orphans ------------------------------------------------------------------------------------


def test_purge_orphans_removes_only_old_unreferenced_files(report, settings):
    evidence = vault.store(report=report, upload=upload("photo.png", PNG_BYTES))
    orphan = settings.MEDIA_ROOT / "vault" / "2020" / "01" / "0123456789abcdef.bin"
    orphan.parent.mkdir(parents=True)
    orphan.write_bytes(os.urandom(64))

    assert vault.purge_orphans() == []  # too young: may belong to a transaction still open
    assert orphan.exists()

    two_hours_ago = time.time() - 2 * 3600
    for path in vault_files(settings):
        os.utime(path, (two_hours_ago, two_hours_ago))
    assert vault.purge_orphans() == ["vault/2020/01/0123456789abcdef.bin"]
    assert not orphan.exists()
    assert vault.read_original(evidence) == PNG_BYTES
    assert vault.read_display(evidence)
    assert vault.purge_orphans(older_than=timedelta(0)) == []


def test_a_truncated_image_is_refused_even_after_weasyprint_was_imported(db, settings, tmp_path, monkeypatch):
    """WeasyPrint flips Pillow's process-wide LOAD_TRUNCATED_IMAGES on import; the vault must not care.

    The import happens once per process (whichever test comes first), so the flag is set here as
    WeasyPrint sets it rather than relying on the order the tests run in.
    """
    from PIL import ImageFile

    monkeypatch.setattr(ImageFile, "LOAD_TRUNCATED_IMAGES", True)
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.VAR_DIR = tmp_path
    image = io.BytesIO()
    Image.new("RGB", (64, 64), (10, 200, 30)).save(image, "JPEG")
    truncated = image.getvalue()[: len(image.getvalue()) // 2]
    report = Report.objects.create(
        reference="SIG-TEST-0099", channel="public_form", reporter_kind="victim", description="…"
    )
    with pytest.raises(vault.EvidenceRejected):
        vault.store(report=report, upload=SimpleUploadedFile("coupee.jpg", truncated, content_type="image/jpeg"))
