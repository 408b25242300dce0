"""The loader's COPY writer fills what a row leaves out exactly as a new model instance would."""

import pytest
from django.db import connection
from django.forms.models import model_to_dict

from halte.bench.rows import Table
from halte.reports import enums
from halte.reports.models import Report

pytestmark = pytest.mark.django_db


@pytest.fixture
def postgresql():
    if connection.vendor != "postgresql":
        pytest.skip("COPY is PostgreSQL's")


def test_a_copied_row_equals_the_row_the_model_writes(postgresql):
    given = {
        "reference": "SIG-2026-900001",
        "channel": enums.Channel.PHONE,
        "reporter_kind": enums.ReporterKind.PARENT,
        "description": "Il reçoit des messages moqueurs le soir.",
        "forms": ["verbal", "cyber"],
    }
    table = Table(Report)
    [row_id] = table.ids(1)
    assert table.write([{"id": row_id, **given}]) == 1
    created = Report.objects.create(**{**given, "reference": "SIG-2026-900002"})

    copied = Report.objects.get(pk=row_id)
    assert created.pk > row_id  # the reserved id came from the table's own sequence
    volatile = {"id", "public_id", "reference", "received_at"}
    assert {k: v for k, v in model_to_dict(copied).items() if k not in volatile} == {
        k: v for k, v in model_to_dict(created).items() if k not in volatile
    }
    assert copied.public_id != created.public_id  # a callable default is called for every row
    assert copied.forms == ["verbal", "cyber"]


def test_reserved_ids_do_not_collide_with_rows_written_after(postgresql):
    table = Table(Report)
    reserved = table.ids(3)
    assert len(reserved) == 3
    later = table.ids(2)
    assert later.start == reserved.stop
