"""A small world of cases for the access matrix: school A's case with every compartment filled,
school B's case, and cases shared with the police (active, revoked, expired)."""

from dataclasses import dataclass
from datetime import timedelta

import pytest
from django.utils import timezone

from halte.accounts.models import OrganisationKind
from halte.cases.enums import Compartment, LegalBasis
from halte.cases.models import Case, Note, Share
from halte.reports.models import Report

CORE_MARK = "FAITS-DU-DOSSIER-CORE"
HEALTH_MARK = "NOTE-SANTE-CONFIDENTIELLE"
JUDICIAL_MARK = "NOTE-JUDICIAIRE-CONFIDENTIELLE"
IDENTITY_MARK = "Gisele-Signalante"


@dataclass
class World:
    case_a: Case
    case_b: Case
    revoked: Case
    expired: Case


def make_case(reference, school, author, summary=CORE_MARK):
    return Case.objects.create(
        reference=reference,
        priority="P2",
        qualification="bullying",
        state="in_intervention",
        school=school,
        summary=summary,
        lead=author,
    )


@pytest.fixture
def world(people) -> World:
    coordinator = people.coordinator
    school_a = people.school_a_staff.school
    school_b = people.school_b_staff.school
    police = people.police.organisation
    assert police.kind == OrganisationKind.POLICE
    case_a = make_case("HS-2026-000001", school_a, coordinator)
    Note.objects.create(case=case_a, compartment=Compartment.HEALTH, text=HEALTH_MARK, author=people.social_worker)
    Note.objects.create(case=case_a, compartment=Compartment.JUDICIAL, text=JUDICIAL_MARK, author=people.magistrate)
    Report.objects.create(
        reference="SIG-2026-000001",
        channel="phone",
        reporter_kind="parent",
        is_anonymous=False,
        reporter_name=IDENTITY_MARK,
        description="Récit.",
        case=case_a,
        school=school_a,
    )
    case_b = make_case("HS-2026-000002", school_b, coordinator)
    revoked = make_case("HS-2026-000003", school_b, coordinator)
    expired = make_case("HS-2026-000004", school_b, coordinator)
    today = timezone.localdate()
    Share.objects.create(
        case=case_a,
        organisation=police,
        compartments=[Compartment.JUDICIAL],
        legal_basis=LegalBasis.ART_40,
        expires_on=today + timedelta(days=30),
        created_by=coordinator,
    )
    Share.objects.create(
        case=revoked,
        organisation=police,
        compartments=[Compartment.CORE, Compartment.JUDICIAL],
        legal_basis=LegalBasis.ART_40,
        expires_on=today + timedelta(days=30),
        created_by=coordinator,
        revoked_at=timezone.now(),
        revoked_by=coordinator,
    )
    Share.objects.create(
        case=expired,
        organisation=police,
        compartments=[Compartment.CORE, Compartment.JUDICIAL],
        legal_basis=LegalBasis.ART_40,
        expires_on=today - timedelta(days=1),
        created_by=coordinator,
    )
    return World(case_a=case_a, case_b=case_b, revoked=revoked, expired=expired)
