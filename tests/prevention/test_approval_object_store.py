"""An association's approval document (a plain FileField) goes to the object store when one is
configured, through Django's default storage (django-storages' S3 backend), never to the machine."""

from datetime import date

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage

from halte.core.storage_url import default_storage as storage_backend
from halte.prevention.approvals import add_approval
from halte.prevention.enums import Issuer, Theme


@pytest.mark.django_db
def test_the_approval_document_lands_in_the_bucket_not_on_the_machine(people, settings, s3_server, object_store):
    settings.STORAGES = {**settings.STORAGES, "default": storage_backend(object_store)}
    pdf = b"%PDF-1.4 agrement prefectoral"
    approvals = [
        add_approval(
            actor=people.coordinator,
            organisation=people.association_worker.organisation,
            number=f"AG-2026-{n}",
            issuer=Issuer.choices[0][0],
            themes=[Theme.BULLYING],
            valid_from=date(2026, 1, 1),
            valid_until=date(2028, 12, 31),
            document=ContentFile(pdf),
        )
        for n in (1, 2)
    ]
    names = [approval.document.name for approval in approvals]
    assert names[0] != names[1]  # the second of the same name never overwrites the first
    stored = s3_server.objects(object_store.bucket)
    assert sorted(stored) == sorted(f"halte/media/{name}" for name in names)
    assert all(blob == pdf for blob in stored.values())  # not sealed by Halte: see docs/deploy.md
    assert default_storage.open(names[0]).read() == pdf
    assert not (settings.MEDIA_ROOT / "approvals").exists()
