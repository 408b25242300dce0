"""Families per pupil, from the rows written when a case had one victim family and one author family.

- A contact or a parents' information row of the victim's family goes to the case's victim pupil, one of
  the alleged author's family to the first alleged author (a pupil first, the first added): the oldest
  involvement, so that the choice does not depend on the database.
- A case with no such person keeps its rows without a pupil (still shown, under the side's label).
- « Ne pas informer la famille », set on a whole case, becomes a standing instruction without a pupil,
  which covers every family of the case, set by whoever last turned it on (from the timeline) — the
  meaning the flag had. Lifting it is now explicit, on the case's families.

Plain queries, row by row or grouped by case: the same on SQLite and PostgreSQL.
"""

from django.db import migrations

LEGACY_REASON = (
    "Consigne « ne pas informer la famille » posée sur tout le dossier avant que la consigne se décide "
    "famille par famille : elle couvre toutes les familles du dossier jusqu’à sa levée."
)


def _pupil_finder(Involvement):
    cache: dict[tuple[int, str], int | None] = {}

    def pupil_for(case_id: int, family: str) -> int | None:
        role = "victim" if family == "victim" else "alleged_author"
        key = (case_id, role)
        if key not in cache:
            rows = list(
                Involvement.objects.filter(case_id=case_id, role=role)
                .order_by("added_at", "id")
                .values_list("person_id", "person__kind")
            )
            pupils = [person_id for person_id, kind in rows if kind == "pupil"]
            cache[key] = pupils[0] if pupils else (rows[0][0] if rows else None)
        return cache[key]

    return pupil_for


def forwards(apps, schema_editor):
    Involvement = apps.get_model("cases", "Involvement")
    Case = apps.get_model("cases", "Case")
    Event = apps.get_model("cases", "Event")
    FamilyContact = apps.get_model("interventions", "FamilyContact")
    ParentsInformation = apps.get_model("interventions", "ParentsInformation")
    FamilyRestriction = apps.get_model("interventions", "FamilyRestriction")
    pupil_for = _pupil_finder(Involvement)

    pairs = (
        FamilyContact.objects.filter(pupil__isnull=True)
        .values_list("case_id", "family")
        .order_by("case_id", "family")
        .distinct()
    )
    for case_id, family in list(pairs):
        pupil_id = pupil_for(case_id, family)
        if pupil_id is not None:
            FamilyContact.objects.filter(case_id=case_id, family=family, pupil__isnull=True).update(pupil_id=pupil_id)

    taken: set[tuple[int, int]] = set(
        ParentsInformation.objects.filter(pupil__isnull=False).values_list("case_id", "pupil_id")
    )
    for row in ParentsInformation.objects.filter(pupil__isnull=True).order_by("case_id", "id"):
        pupil_id = pupil_for(row.case_id, row.family)
        if pupil_id is None or (row.case_id, pupil_id) in taken:
            continue  # no pupil to name, or the same person on both sides: the row stays on its side
        taken.add((row.case_id, pupil_id))
        ParentsInformation.objects.filter(pk=row.pk).update(pupil_id=pupil_id)

    for case in Case.objects.filter(do_not_disclose_to_family=True).order_by("id"):
        if FamilyRestriction.objects.filter(case_id=case.pk, pupil__isnull=True, lifted_at__isnull=True).exists():
            continue
        last = Event.objects.filter(case_id=case.pk, kind="disclosure").order_by("-at", "-id").first()
        FamilyRestriction.objects.create(
            case_id=case.pk,
            pupil=None,
            reason=LEGACY_REASON,
            set_by_id=last.actor_id if last else None,
            set_at=last.at if last else case.updated_at,
        )


def backwards(apps, schema_editor):
    # The case-wide instruction is still on the case's flag; the pupils named go with the column.
    FamilyRestriction = apps.get_model("interventions", "FamilyRestriction")
    FamilyRestriction.objects.filter(pupil__isnull=True, reason=LEGACY_REASON).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("cases", "0012_guardianship"),
        ("interventions", "0003_families_per_pupil"),
    ]

    operations = [migrations.RunPython(forwards, backwards)]
