"""This module's section of the case page (see halte.cases.panels): measures, interviews, the
shared-concern method and the families — each only with what the member reads, forms only for who
may write. A fixed number of queries, whatever the number of rows."""

from collections import defaultdict

from django.utils import timezone

from halte.access import interventions as access
from halte.cases.enums import Compartment
from halte.cases.panels import Panel

from . import families
from .measures import is_due_for_review
from .models import Family, FamilyContact, Interview, Measure, MeasureCategory, MppSeries, ParentsInformation
from .mpp import SWITCH_AFTER_DAYS, pending_proposal


def case_panel(request, case, shown) -> Panel | None:
    membership = request.membership
    compartments = [c for c in (Compartment.CORE, Compartment.JUDICIAL) if c in shown]
    if not compartments:
        return None
    reads_core = Compartment.CORE in shown
    context: dict = {"reads_core": reads_core, "measures": _measures(membership, case, compartments, reads_core)}
    if reads_core:
        context.update(
            interviews=_interviews(membership, case),
            mpp=_mpp(membership, case),
            families=_families(membership, case, reads_judicial=Compartment.JUDICIAL in shown),
        )
    return Panel(template="interventions/panel.html", context=context)


def _measures(membership, case, compartments, reads_core: bool) -> dict:
    today = timezone.localdate()
    categories = access.measure_categories(membership, case)
    rows = []
    for measure in (
        Measure.objects.filter(case=case, compartment__in=compartments)
        .select_related("person", "receiving_school", "reviewed_by__user")
        .order_by("starts_on", "id")
    ):
        rows.append(
            {
                "measure": measure,
                "judicial": measure.compartment == Compartment.JUDICIAL,
                "due": is_due_for_review(measure, today),
                "can_review": measure.category in categories,
            }
        )
    return {
        "rows": rows,
        "due_count": sum(1 for row in rows if row["due"]),
        "can_record": bool(categories),
        "can_record_judicial": MeasureCategory.JUDICIAL in categories,
        "can_record_other": any(c != MeasureCategory.JUDICIAL for c in categories),
        "shows_judicial": Compartment.JUDICIAL in compartments,
        # The people of the case are core content: who reads only the judicial part sees no name.
        "shows_people": reads_core,
    }


def _interviews(membership, case) -> dict:
    rows = (
        Interview.objects.filter(case=case, series__isnull=True)
        .select_related("person", "conducted_by__user")
        .order_by("held_at", "id")
    )
    return {"rows": list(rows), "can_record": access.can_record_interview(membership, case)}


def _mpp(membership, case) -> dict:
    meetings = defaultdict(list)
    for interview in (
        Interview.objects.filter(case=case, series__isnull=False)
        .select_related("person", "conducted_by__user")
        .order_by("held_at", "id")
    ):
        meetings[interview.series_id].append(interview)
    can_run = access.can_run_mpp(membership, case)
    can_decide = access.can_decide_mpp_switch(membership, case)
    series_rows = []
    for series in MppSeries.objects.filter(case=case).select_related("author", "switch_declined_by__user"):
        own = meetings.get(series.pk, [])
        is_open = series.status == MppSeries.Status.OPEN
        series_rows.append(
            {
                "series": series,
                "is_open": is_open,
                "author_meetings": [i for i in own if i.method == Interview.Method.MPP],
                "victim_points": [i for i in own if i.method == Interview.Method.MPP_VICTIM],
                "proposal": pending_proposal(series),
                "can_run": can_run and is_open,
                "can_decide": can_decide and is_open,
            }
        )
    return {"series": series_rows, "can_start": can_run, "days": SWITCH_AFTER_DAYS}


def _families(membership, case, *, reads_judicial: bool) -> dict:
    """One block per pupil's family: its guardians, what holds it back (``families.holds_of_case``, as the
    refusals apply it), its parents' information and its contacts; above them, the guardians held through
    a child of theirs that no family of the case carries. Rows older than families per pupil that named
    no pupil are listed under their side. A fixed number of queries."""
    from halte.cases.guardians import guardians_by_pupil

    family_list = families.families_of(case)
    restrictions = families.active_restrictions(case)
    # The holds the refusals apply, from the same source (an instruction here, through a relative, on
    # another case in neutral words, the cell's exception; the guardians held through a child elsewhere).
    holds = families.holds_of_case(case, family_list)
    guardians = guardians_by_pupil([family.pupil for family in family_list])
    informed: dict = {}
    for row in ParentsInformation.objects.filter(case=case):
        informed[row.pupil_id if row.pupil_id else row.family] = row
    by_pupil: dict = defaultdict(list)
    for contact in (
        FamilyContact.objects.filter(case=case).select_related("person", "made_by__user").order_by("at", "id")
    ):
        by_pupil[contact.pupil_id if contact.pupil_id else contact.family].append(contact)
    rows = [
        {
            "family": family,
            "anchor": f"famille-{family.pupil.public_id}",
            "guardians": guardians.get(family.pupil.pk, []),
            "restriction": families.covered(restrictions, family.pupil),
            "hold": holds.by_family.get(family.pupil.pk),
            "info": informed.get(family.pupil.pk),
            "contacts": by_pupil.get(family.pupil.pk, []),
        }
        for family in family_list
    ]
    unnamed = [
        {"label": label, "info": informed.get(value), "contacts": by_pupil.get(value, [])}
        for value, label in Family.choices
        if informed.get(value) or by_pupil.get(value)
    ]
    can_restrict = access.can_set_family_restriction(membership, case)
    return {
        "rows": rows,
        "unnamed": unnamed,
        "case_wide": [row for row in restrictions if row.pupil_id is None],
        "held_guardians": holds.guardians,
        "can_record": access.can_record_family_contact(membership, case),
        "can_document_exception": access.can_document_parents_exception(membership, case),
        "can_restrict": can_restrict,
        "can_add_guardian": access.can_add_guardian(membership, case),
        # Only those who read the judicial compartment learn why, and who decided.
        "reads_judicial": reads_judicial,
    }
