"""Demo data: complete, idempotent, usable for logging in, refused in production."""

import base64
import json
import re

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse
from django.utils import timezone
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from halte.accounts.models import Membership, Organisation, Role, User
from halte.audit.models import AuditEvent
from halte.demo.loader import DEMO_PASSWORD, account_sheet, load_demo
from halte.directory.models import School


def snapshot():
    return {
        model.__name__: sorted(map(repr, model.objects.values()))
        for model in (User, Organisation, Membership, School, TOTPDevice, AuditEvent)
    }


def test_demo_has_every_role_the_somme_colleges_and_the_cell(db):
    result = load_demo()
    assert result.changed
    assert School.objects.filter(departement="080", kind="college").count() == 69
    assert {m.role for m in Membership.objects.all()} == set(Role)
    kinds = set(Organisation.objects.values_list("kind", flat=True))
    assert {"parquet", "education", "departement", "region", "prefecture", "police", "gendarmerie"} <= kinds
    assert Organisation.objects.filter(kind="association").exists()
    assert Organisation.objects.filter(kind="school", school__uai="0800020M").exists()
    admin = User.objects.get(memberships__role=Role.ADMIN)
    assert admin.is_staff and admin.is_superuser


def test_loading_twice_changes_nothing(db):
    load_demo()
    before = snapshot()
    result = load_demo()
    assert not result.changed
    assert snapshot() == before


def test_command_writes_the_account_sheet(db, settings, tmp_path, capsys):
    settings.VAR_DIR = tmp_path
    call_command("load_demo")
    sheet = json.loads((tmp_path / "demo_accounts.json").read_text(encoding="utf-8"))
    assert {row["role"] for row in sheet} == set(Role)
    for row in sheet:
        assert set(row) >= {"email", "password", "totp_secret", "role", "organisation", "school_uai"}
    cpe = next(row for row in sheet if row["email"].startswith("cpe.lejeune"))
    assert cpe["school_uai"] == "0800020M"
    output = capsys.readouterr().out
    assert DEMO_PASSWORD in output
    assert "coordination@" in output


def test_demo_accounts_log_in_with_their_published_totp_secret(client, db):
    load_demo()
    row = next(r for r in account_sheet() if r["role"] == Role.MAGISTRATE)
    client.post(reverse("accounts:login"), {"username": row["email"], "password": row["password"]})
    code = f"{totp(base64.b32decode(row['totp_secret'])):06d}"
    assert client.post(reverse("accounts:otp_verify"), {"token": code}).url == reverse("www:staff_home")
    assert client.get(reverse("www:staff_home")).status_code == 200


def test_demo_totp_command_prints_current_codes(db, capsys):
    call_command("demo_totp", "coordination")
    line = capsys.readouterr().out.strip()
    assert line.startswith("coordination@")
    assert line.split()[-1].isdigit()


def test_production_refuses_demo_data(db, settings):
    settings.HALTE = {**settings.HALTE, "DEMO_DATA_ALLOWED": False}
    with pytest.raises(CommandError, match="production"):
        call_command("load_demo")
    assert not User.objects.exists()


def test_demo_cell_meeting_is_planned_with_the_open_case_on_its_agenda(db):
    from halte.cases.models import Case
    from halte.meetings.models import Meeting

    load_demo()
    meeting = Meeting.objects.get()
    assert meeting.status == Meeting.Status.PLANNED
    assert meeting.starts_at > timezone.now()
    assert timezone.localtime(meeting.starts_at).hour == 14
    case = Case.objects.get()
    assert [item.case for item in meeting.items.all()] == [case]
    assert not meeting.invitations.exists()  # the coordinator sends them; the demo emails nobody


ELISION_APART = re.compile(r"\b\w+['’] +\w")


def test_no_demo_name_keeps_the_stray_space_after_an_elision_even_on_a_database_loaded_before(db):
    load_demo()
    # A database loaded with « Collège du Bois L' Eau » gets its school's organisation renamed, not doubled.
    Organisation.objects.filter(school__uai="0800022P").update(
        name="Collège du Bois L' Eau", short_name="Clg du Bois L' Eau"
    )
    load_demo()
    organisation = Organisation.objects.get(school__uai="0800022P")
    assert (organisation.name, organisation.short_name) == ("Collège du Bois L'Eau", "Clg du Bois L'Eau")
    names = [
        *Organisation.objects.values_list("name", flat=True),
        *Organisation.objects.values_list("short_name", flat=True),
        *School.objects.values_list("name", flat=True),
        *(row["organisation"] for row in account_sheet()),
    ]
    assert [name for name in names if ELISION_APART.search(name)] == []
