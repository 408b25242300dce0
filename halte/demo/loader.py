"""Demo data: the Somme cell's organisations, one account per role, the real Somme collèges.

Idempotent: a second run finds everything in place and writes nothing. Passwords and TOTP secrets
are stable so that a demo can be followed from the README; production refuses to load any of it.
"""

import base64
import hashlib
import json
from dataclasses import asdict, dataclass
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import transaction
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice

from halte.accounts.models import Membership, Organisation, OrganisationKind, Role, User
from halte.audit.journal import record
from halte.audit.models import Action
from halte.directory.importer import DEFAULT_DIRECTORY, import_schools
from halte.directory.models import Partner, School
from halte.prevention.enums import Issuer, Theme
from halte.prevention.models import Approval, Programme
from halte.reports.models import Report

DEMO_PASSWORD = "Halte-demo-2026"  # noqa: S105 - public on purpose: demo accounts only
DEMO_DOMAIN = "demo.halte.localhost"

# (name, short name, kind, UAI of the school for school organisations)
ORGANISATIONS: list[tuple[str, str, OrganisationKind, str | None]] = [
    (
        "Direction des services départementaux de l'Éducation nationale de la Somme",
        "DSDEN 80",
        OrganisationKind.EDUCATION,
        None,
    ),
    ("Parquet du tribunal judiciaire d'Amiens", "Parquet d'Amiens", OrganisationKind.PARQUET, None),
    ("Préfecture de la Somme", "Préfecture 80", OrganisationKind.PREFECTURE, None),
    ("Conseil départemental de la Somme", "Département 80", OrganisationKind.DEPARTEMENT, None),
    ("Région Hauts-de-France", "Région HDF", OrganisationKind.REGION, None),
    (
        "Direction interdépartementale de la police nationale de la Somme",
        "Police 80",
        OrganisationKind.POLICE,
        None,
    ),
    (
        "Groupement de gendarmerie départementale de la Somme",
        "Gendarmerie 80",
        OrganisationKind.GENDARMERIE,
        None,
    ),
    ("Amiens Métropole", "Amiens Métropole", OrganisationKind.LOCAL_AUTHORITY, None),
    (
        "Association Parole d'élèves 80 (démonstration)",
        "Parole d'élèves 80",
        OrganisationKind.ASSOCIATION,
        None,
    ),
    ("Collège Amiral Lejeune", "Clg Amiral Lejeune", OrganisationKind.SCHOOL, "0800020M"),
    ("Collège du Bois L'Eau", "Clg du Bois L'Eau", OrganisationKind.SCHOOL, "0800022P"),
]


@dataclass(frozen=True)
class DemoAccount:
    email: str
    first_name: str
    last_name: str
    role: str
    organisation: str
    extra_roles: tuple[tuple[str, str], ...] = ()


ACCOUNTS: list[DemoAccount] = [
    DemoAccount("coordination", "Claire", "Vasseur", Role.COORDINATOR, "DSDEN 80"),
    DemoAccount("magistrat", "Julien", "Delattre", Role.MAGISTRATE, "Parquet d'Amiens"),
    DemoAccount("delegue.procureur", "Martine", "Lefebvre", Role.PROSECUTOR_DELEGATE, "Parquet d'Amiens"),
    # The DSDEN referent also stands in for the coordinator: they pick a membership at login.
    DemoAccount(
        "referent.education",
        "Karim",
        "Benali",
        Role.EDUCATION_REFERENT,
        "DSDEN 80",
        extra_roles=((Role.COORDINATOR, "DSDEN 80"),),
    ),
    DemoAccount("assistante.sociale", "Sophie", "Caron", Role.SOCIAL_WORKER, "Département 80"),
    DemoAccount("cpe.lejeune", "Nadia", "Morel", Role.SCHOOL_STAFF, "Clg Amiral Lejeune"),
    DemoAccount("principal.boisleau", "Thierry", "Dumont", Role.SCHOOL_STAFF, "Clg du Bois L'Eau"),
    DemoAccount("police", "Éric", "Lemaire", Role.POLICE_LIAISON, "Police 80"),
    DemoAccount("gendarmerie", "Laure", "Fournier", Role.POLICE_LIAISON, "Gendarmerie 80"),
    DemoAccount("association", "Inès", "Roussel", Role.ASSOCIATION_WORKER, "Parole d'élèves 80"),
    DemoAccount("analyste", "Paul", "Mercier", Role.ANALYST, "Région HDF"),
    DemoAccount("dpo", "Hélène", "Gosselin", Role.DPO, "DSDEN 80"),
    DemoAccount("admin", "Marc", "Lambert", Role.ADMIN, "DSDEN 80"),
]


def demo_email(account: DemoAccount) -> str:
    return f"{account.email}@{DEMO_DOMAIN}"


def demo_totp_key(email: str) -> str:
    """A stable 20-byte TOTP key (hex, as django-otp stores it) derived from the demo email."""
    return hashlib.sha256(f"halte-demo-totp:{email}".encode()).hexdigest()[:40]


def base32(hex_key: str) -> str:
    return base64.b32encode(bytes.fromhex(hex_key)).decode("ascii")


@dataclass
class LoadResult:
    organisations_created: int = 0
    organisations_renamed: int = 0
    users_created: int = 0
    memberships_created: int = 0
    schools_created: int = 0
    prevention_created: int = 0
    reports_created: int = 0
    meetings_created: int = 0

    @property
    def changed(self) -> bool:
        return any(asdict(self).values())


def ensure_allowed() -> None:
    if not settings.HALTE["DEMO_DATA_ALLOWED"]:
        raise ImproperlyConfigured("Les données de démonstration ne peuvent pas être chargées en production.")


# How each demo person is addressed and the title printed under her name (never changed once set).
DEMO_TITLES: dict[str, tuple[str, str]] = {
    "coordination": ("mme", "Coordinatrice départementale de la cellule"),
    "magistrat": ("m", "Substitut du procureur chargé des mineurs"),
    "delegue.procureur": ("mme", "Déléguée du procureur"),
    "referent.education": ("m", "Référent harcèlement de la DSDEN"),
    "assistante.sociale": ("mme", "Assistante sociale du Département"),
    "cpe.lejeune": ("mme", "Conseillère principale d’éducation"),
    "principal.boisleau": ("m", "Principal du collège"),
    "police": ("m", ""),
    "gendarmerie": ("mme", ""),
    "association": ("mme", "Intervenante de l’association"),
    "analyste": ("m", ""),
    "dpo": ("mme", ""),
    "admin": ("m", ""),
}

# The cell's directory of partners in the Somme: documents are addressed to them. Emails are fictitious.
DEMO_PARTNERS: list[dict[str, str]] = [
    {
        "kind": "parquet_minors",
        "name": "Tribunal judiciaire d’Amiens",
        "service": "Parquet des mineurs",
        "address": "14 rue Robert de Luzarches\n80027 Amiens Cedex 1",
        "email": "parquet.mineurs@demo.halte.localhost",
    },
    {
        "kind": "crip",
        "name": "Conseil départemental de la Somme",
        "service": "Cellule de recueil des informations préoccupantes (CRIP)",
        "address": "43 rue de la République\n80026 Amiens Cedex 1",
        "email": "crip@demo.halte.localhost",
    },
    {
        "kind": "dsden",
        "name": "DSDEN de la Somme",
        "service": "Service vie scolaire",
        "address": "20 boulevard d’Alsace-Lorraine\n80063 Amiens Cedex 9",
        "email": "vie-scolaire@demo.halte.localhost",
    },
]


def load_demo() -> LoadResult:
    ensure_allowed()  # before touching any database
    return _load()


@transaction.atomic
def _load() -> LoadResult:
    result = LoadResult()
    if not School.objects.filter(uai__startswith="080").exists():
        result.schools_created = import_schools(DEFAULT_DIRECTORY).created

    organisations: dict[str, Organisation] = {}
    for name, short_name, kind, uai in ORGANISATIONS:
        school = School.objects.get(uai=uai) if uai else None
        defaults = {"short_name": short_name, "kind": kind, "school": school, "departement": "080"}
        if school is not None:
            # A school's organisation is found by its school, so that one loaded under an older spelling
            # (« Collège du Bois L' Eau ») is renamed rather than doubled.
            organisation, created = Organisation.objects.get_or_create(
                school=school, defaults={"name": name, **defaults}
            )
            if not created and (organisation.name, organisation.short_name) != (name, short_name):
                organisation.name, organisation.short_name = name, short_name
                organisation.save(update_fields=["name", "short_name"])
                result.organisations_renamed += 1
        else:
            organisation, created = Organisation.objects.get_or_create(name=name, defaults=defaults)
        result.organisations_created += created
        organisations[short_name] = organisation

    for account in ACCOUNTS:
        email = demo_email(account)
        user = User.objects.filter(email=email).first()
        if user is None:
            user = User.objects.create_user(
                email, DEMO_PASSWORD, first_name=account.first_name, last_name=account.last_name
            )
            if account.role == Role.ADMIN:
                user.is_staff = user.is_superuser = True
                user.save(update_fields=["is_staff", "is_superuser"])
            result.users_created += 1
        civility, title = DEMO_TITLES.get(account.email, ("", ""))
        if not user.civility and civility:
            User.objects.filter(pk=user.pk).update(civility=civility, title=title)
        if not TOTPDevice.objects.filter(user=user, confirmed=True).exists():
            TOTPDevice.objects.create(
                user=user, name="Application d'authentification", key=demo_totp_key(email), confirmed=True
            )
        for role, org_short_name in ((account.role, account.organisation), *account.extra_roles):
            _, created = Membership.objects.get_or_create(
                user=user,
                organisation=organisations[org_short_name],
                role=role,
                # The DSDEN referent is the cell's steering contact: last level of escalations.
                defaults={"is_steering_contact": role == Role.EDUCATION_REFERENT},
            )
            result.memberships_created += created

    for entry in DEMO_PARTNERS:
        Partner.objects.get_or_create(departement="080", name=entry["name"], service=entry["service"], defaults=entry)
    result.prevention_created = _load_prevention(organisations)
    result.reports_created = _load_situations()
    result.meetings_created = _load_meeting()
    if result.changed:
        record(Action.DEMO_LOADED, detail=asdict(result))
    return result


# Fictitious situations, written as they reach the cell. First names only, all invented.
SITUATIONS: list[dict[str, Any]] = [
    {
        "channel": "public_form",
        "reporter_kind": "victim",
        "school": "0800020M",
        "forms": ["verbal", "exclusion"],
        "frequency": "daily",
        "since": "months",
        "places": ["playground", "canteen"],
        "description": "Depuis la rentrée, Enzo et Lucas se moquent de moi tous les jours à la cantine et "
        "personne ne veut plus s'asseoir à côté de moi. J'ai peur d'aller au collège le lundi.",
        "pupils": [("Enzo", "alleged_author"), ("Lucas", "alleged_author")],
    },
    {
        "channel": "phone",
        "reporter_kind": "parent",
        "school": "0800022P",
        "forms": ["cyber", "threats"],
        "platforms": ["snapchat"],
        "frequency": "weekly",
        "since": "weeks",
        "places": ["online"],
        "description": "Appel de la mère de Chloé (5e) : un groupe Snapchat diffuse des photos de sa fille "
        "avec des insultes et des menaces. Les photos sont toujours en ligne.",
        "pupils": [("Chloé", "victim")],
    },
    {
        "channel": "school",
        "reporter_kind": "school_staff",
        "school": "0800020M",
        "forms": ["verbal"],
        "frequency": "sometimes",
        "since": "weeks",
        "distress_signs": ["sad", "self_harm"],
        "description": "L'infirmière a vu des marques de coupures sur les avant-bras de Manon (4e), "
        "qui dit qu'on l'insulte dans le bus. Elle ne veut pas que ses parents le sachent.",
        "pupils": [("Manon", "victim")],
    },
]


def _load_situations() -> int:
    """A few reports in the queue, and one of them triaged into a case, so that every screen has life."""
    from halte.cases.actions import TriageDecision, triage_report
    from halte.cases.severity import criteria_from_report
    from halte.reports.actions import PupilData, ReportData, submit_report

    if Report.objects.exists():
        return 0
    coordinator = Membership.objects.get(role=Role.COORDINATOR, user__email=demo_email(ACCOUNTS[0]))
    school_staff = Membership.objects.filter(role=Role.SCHOOL_STAFF, organisation__school__uai="0800020M").first()
    created = []
    for situation in SITUATIONS:
        data = ReportData(
            channel=situation["channel"],
            reporter_kind=situation["reporter_kind"],
            description=situation["description"],
            school=School.objects.get(uai=situation["school"]),
            forms=situation["forms"],
            platforms=situation.get("platforms", []),
            frequency=situation["frequency"],
            since=situation["since"],
            places=situation.get("places", []),
            distress_signs=situation.get("distress_signs", []),
            pupils=[PupilData(first_name=name, role=role) for name, role in situation["pupils"]],
        )
        actor = {"public_form": None, "phone": coordinator, "school": school_staff}[situation["channel"]]
        created.append(submit_report(data=data, actor=actor, with_receipt=actor is None).report)
    cyber = created[1]
    criteria = criteria_from_report(cyber)
    triage_report(
        report=cyber,
        actor=coordinator,
        decision=TriageDecision(outcome="open_case", qualification="bullying", criteria=criteria),
    )
    return len(created)


def _load_meeting() -> int:
    """The cell's next meeting, a week ahead at 14:00 in the DSDEN, with its proposed agenda accepted.
    Invitations are left for the coordinator to send (sending would email the demo accounts)."""
    from halte.meetings import actions as meeting_actions
    from halte.meetings import agenda
    from halte.meetings.models import Meeting

    if Meeting.objects.exists():
        return 0
    coordinator = Membership.objects.get(role=Role.COORDINATOR, user__email=demo_email(ACCOUNTS[0]))
    day = timezone.localdate() + timedelta(days=7)
    starts_at = timezone.make_aware(datetime.combine(day, time(14, 0)))
    meeting = meeting_actions.schedule(
        actor=coordinator,
        title="Réunion de la cellule",
        starts_at=starts_at,
        duration_minutes=120,
        place="DSDEN de la Somme, salle du conseil, 20 boulevard d'Alsace-Lorraine, Amiens",
    )
    proposals = agenda.propose(meeting)
    if proposals:
        meeting_actions.accept_proposal(
            meeting=meeting, actor=coordinator, case_ids=[proposal.case.public_id for proposal in proposals]
        )
    return 1


def _load_prevention(organisations: dict[str, Organisation]) -> int:
    """The demo association holds a valid national approval and offers one workshop."""
    association = organisations["Parole d'élèves 80"]
    _, approval_created = Approval.objects.get_or_create(
        organisation=association,
        number="DEMO-2025-080",
        defaults={
            "issuer": Issuer.ACADEMIC,
            "themes": [Theme.BULLYING, Theme.CYBERBULLYING],
            "valid_from": date(2025, 9, 1),
            "valid_until": date(2028, 8, 31),
        },
    )
    _, programme_created = Programme.objects.get_or_create(
        provider=association,
        title="Harcèlement : tous concernés",
        defaults={
            "theme": Theme.BULLYING,
            "levels": ["6e", "5e", "4e", "3e"],
            "duration_minutes": 120,
            "group_size": 30,
            "description": "Un atelier interactif pour reconnaître le harcèlement et savoir à qui en parler.",
        },
    )
    return int(approval_created) + int(programme_created)


def account_sheet() -> list[dict[str, str | None]]:
    """What a demo user needs to log in, as written to var/demo_accounts.json."""
    organisations = {short: (name, uai) for name, short, _, uai in ORGANISATIONS}
    sheet = []
    for account in ACCOUNTS:
        email = demo_email(account)
        name, uai = organisations[account.organisation]
        sheet.append(
            {
                "email": email,
                "password": DEMO_PASSWORD,
                "totp_secret": base32(demo_totp_key(email)),
                "role": str(account.role),
                "organisation": name,
                "school_uai": uai,
                "other_roles": ", ".join(f"{role} ({org})" for role, org in account.extra_roles) or None,
            }
        )
    return sheet


def write_account_sheet(path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(account_sheet(), ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
