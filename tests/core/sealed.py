"""A small instance with sealed files of every kind, for the key rotation and backup tests: reports with
evidence (an image, which has a display copy, and a text), and documents of a case."""

import base64
import hashlib
import io
import os
import random
import uuid

from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from halte.documents import storage
from halte.documents.models import Document
from halte.reports import vault
from halte.reports.models import Evidence, Report

from ..cases.conftest import make_case


def b64key() -> str:
    return base64.b64encode(os.urandom(32)).decode()


def png(seed: int) -> bytes:
    rng = random.Random(seed)
    image = Image.frombytes("RGB", (12, 9), bytes(rng.randrange(256) for _ in range(12 * 9 * 3)))
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


def populate(people, *, reports: int = 2) -> dict:
    """Reports with two pieces of evidence each, and two documents; returns what each should read back."""
    case = make_case("HS-2026-000901", people.school_a_staff.school, people.coordinator)
    for number in range(reports):
        report = Report.objects.create(
            reference=f"SIG-2026-{900 + number:06d}",
            channel="phone",
            reporter_kind="parent",
            description=f"Récit numéro {number}.",
            case=case,
        )
        vault.store(report=report, upload=SimpleUploadedFile(f"photo-{number}.png", png(number)))
        text = f"Capture {number} : « t’es nul », reçu sur Snapchat.\n".encode()
        vault.store(report=report, upload=SimpleUploadedFile(f"capture-{number}.txt", text))
    for number in range(2):
        pdf = f"%PDF-1.7\ndocument {number}\n".encode()
        public_id = uuid.uuid4()
        stored = storage.store(pdf, public_id=public_id)
        Document.objects.create(
            public_id=public_id,
            case=case,
            kind="art40",
            title=f"Document {number}",
            compartments=["core"],
            path=stored.path,
            key_id=stored.key_id,
            sha256=stored.sha256,
            size=stored.size,
            generated_by=people.coordinator,
        )
    return snapshot()


def snapshot() -> dict:
    """SHA-256 of what every piece of evidence and document opens to now (raises if one does not open)."""
    seen: dict = {"evidence": {}, "display": {}, "documents": {}}
    for item in Evidence.objects.order_by("pk"):
        seen["evidence"][str(item.public_id)] = hashlib.sha256(vault.read_original(item)).hexdigest()
        if item.display_path:
            seen["display"][str(item.public_id)] = hashlib.sha256(vault.read_display(item)).hexdigest()
    for document in Document.objects.order_by("pk"):
        seen["documents"][str(document.public_id)] = hashlib.sha256(storage.read(document)).hexdigest()
    return seen
