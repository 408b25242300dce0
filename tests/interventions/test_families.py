"""Family support, one family per pupil: contacts, « parents informed » per family (or the documented
exception, which needs a reason), the judicial side's « ne pas informer » on one family (set, lifted,
refused to whom it is not for, blocking « famille informée » even on a forged post), and the measures
a family-facing output may draw from."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from halte.audit.models import Action, AuditEvent
from halte.core.submission import new_token
from halte.interventions import families, measures
from halte.interventions.common import InterventionRefused
from halte.interventions.models import FamilyContact, FamilyRestriction, ParentsInformation
from halte.notifications.models import Notification

from .conftest import involve
from .factories import inform, link, restrict

RESTRICTION = "Consigne « ne pas informer »"
REASON = "Audition des parents de Hugo prévue par les enquêteurs."


def contact_url(case):
    return reverse("interventions:family_contact", args=[case.public_id])


def exception_url(case):
    return reverse("interventions:parents_exception", args=[case.public_id])


def local(moment):
    return timezone.localtime(moment).strftime("%Y-%m-%dT%H:%M")


def contact_payload(people, cast, **overrides):
    data = {
        "pupil": str(cast.victim.public_id),
        "at": local(timezone.now() - timedelta(days=1)),
        "channel": "phone",
        "made_by": str(people.school_a_staff.public_id),
        "person": str(cast.victim_guardian.public_id),
        "summary": "Appel à la mère : point sur la situation et sur l’adulte référent.",
        "submission_token": new_token(),
    }
    data.update(overrides)
    return data


def test_a_contact_with_the_box_ticked_records_the_parents_as_informed(client, login, people, world, cast):
    login(client, people.school_a_staff)
    response = client.post(contact_url(world.case_a), contact_payload(people, cast, informed_of_situation="on"))
    assert response.status_code == 302
    contact = FamilyContact.objects.get()
    assert (contact.family, contact.pupil, contact.person, contact.made_by) == (
        "victim",
        cast.victim,
        cast.victim_guardian,
        people.school_a_staff,
    )
    info = ParentsInformation.objects.get(case=world.case_a, pupil=cast.victim)
    assert (info.status, info.family) == ("informed", "victim")
    assert info.informed_at == contact.at
    assert not ParentsInformation.objects.filter(family="author").exists()
    assert AuditEvent.objects.filter(action=Action.FAMILY_CONTACT_RECORDED).count() == 1
    assert AuditEvent.objects.filter(action=Action.PARENTS_INFORMATION_CHANGED).count() == 1
    html = client.get(reverse("cases:detail", args=[world.case_a.public_id])).content.decode()
    assert "informés le" in html
    assert "pas encore informés" in html  # the authors' families
    assert f"Famille d’{cast.author} (auteur présumé)" in html
    assert f"Famille de {cast.second_author} (auteur présumé)" in html


def test_a_contact_without_the_box_does_not_inform(people, world, cast):
    families.record_family_contact(
        case=world.case_a,
        actor=people.coordinator,
        pupil=cast.author,
        at=timezone.now(),
        channel="meeting",
        made_by=people.coordinator,
        summary="Rendez-vous fixé.",
    )
    assert not ParentsInformation.objects.exists()


def test_the_first_informed_date_is_kept(people, world, cast):
    earlier = timezone.now() - timedelta(days=3)
    for moment in (earlier, timezone.now() - timedelta(days=1)):
        inform(world.case_a, people.coordinator, cast.author, at=moment)
    assert ParentsInformation.objects.get(family="author").informed_at == earlier


def test_the_exception_requires_a_reason(client, login, people, world, cast):
    login(client, people.coordinator)
    victim = str(cast.victim.public_id)
    response = client.post(exception_url(world.case_a), {"pupil": victim, "reason": "   "})
    assert response.status_code == 400
    assert "Expliquez pourquoi informer ces parents irait contre l’intérêt de l’enfant" in response.content.decode()
    assert not ParentsInformation.objects.exists()
    with pytest.raises(InterventionRefused):
        families.document_exception(case=world.case_a, actor=people.coordinator, pupil=cast.victim, reason="")
    assert not ParentsInformation.objects.exists()
    reason = "Le père est mis en cause dans des violences au domicile."
    assert client.post(exception_url(world.case_a), {"pupil": victim, "reason": reason}).status_code == 302
    info = ParentsInformation.objects.get()
    assert (info.status, info.reason, info.informed_at) == ("exception", reason, None)
    html = client.get(reverse("cases:detail", args=[world.case_a.public_id])).content.decode()
    assert reason in html


def test_an_informing_contact_replaces_the_exception_only_once_it_is_lifted(people, world, cast):
    """The exception blocks « famille informée » (it used to be silently overwritten by the next contact)."""
    families.document_exception(case=world.case_a, actor=people.coordinator, pupil=cast.author, reason="Danger.")

    def tell():
        inform(world.case_a, people.coordinator, cast.author, summary="Danger écarté, famille informée.")

    with pytest.raises(InterventionRefused, match="intérêt de l’enfant"):
        tell()
    assert ParentsInformation.objects.get().status == "exception"
    families.lift_exception(case=world.case_a, actor=people.coordinator, pupil=cast.author, reason="Danger écarté.")
    tell()
    info = ParentsInformation.objects.get()
    assert (info.status, info.reason) == ("informed", "")


def test_informed_then_the_exception_supersedes_what_comes_next_and_keeps_the_past_truthfully(
    client, login, people, world, cast
):
    """The author's parents were told on Monday; on Wednesday the cell decides that telling them more
    would go against the child's interest. From then on: no « informée », no convocation (even for a
    contact dated before the decision); the row, the timeline and the case page still say that they were
    informed on Monday, then the decision. Lifting the decision gives back « informés le » Monday."""
    monday = timezone.now() - timedelta(days=3)
    inform(world.case_a, people.coordinator, cast.author, at=monday, summary="Parents informés de la situation.")
    reason = "Le père menace l’enfant depuis qu’il sait."
    families.document_exception(case=world.case_a, actor=people.coordinator, pupil=cast.author, reason=reason)
    info = ParentsInformation.objects.get()
    assert (info.status, info.informed_at, info.reason) == ("exception", monday, reason)
    monday_text = timezone.localtime(monday).strftime("%d/%m/%Y")
    line = world.case_a.events.filter(kind="parents_information").order_by("-id").first()
    assert f"informés le {monday_text}" in line.text
    assert "ne plus" in line.text
    login(client, people.coordinator)
    html = client.get(reverse("cases:detail", args=[world.case_a.public_id])).content.decode()
    status = html[html.index(f"Famille d’{cast.author} (auteur présumé)") :]
    status = status[: status.index("Famille de", 10)]
    assert f"informés le {monday_text}" in status
    assert reason in status
    assert "Non informés" not in status  # they were: the decision is about what comes next
    # What comes next is refused — a contact dated before the decision too.
    for moment in (timezone.now(), monday + timedelta(hours=1)):
        with pytest.raises(InterventionRefused, match="intérêt de l’enfant"):
            inform(world.case_a, people.coordinator, cast.author, at=moment)
    assert "intérêt de l’enfant" in families.convocation_refusal(world.case_a, cast.author)
    assert FamilyContact.objects.filter(informed_of_situation=True).count() == 1  # Monday's, kept
    families.lift_exception(case=world.case_a, actor=people.coordinator, pupil=cast.author, reason="Père éloigné.")
    info = ParentsInformation.objects.get()
    assert (info.status, info.informed_at, info.reason) == ("informed", monday, "")
    assert families.hold_for(world.case_a, cast.author) is None
    journal = AuditEvent.objects.filter(action=Action.PARENTS_INFORMATION_CHANGED).order_by("id")
    assert [row.detail["status"] for row in journal] == ["informed", "exception", "exception_lifted"]
    assert {row.detail["pupil"] for row in journal} == {str(cast.author.public_id)}
    lines = world.case_a.events.filter(kind="parents_information").order_by("id")
    assert len(lines) == 3 and "Père éloigné." in lines[2].text


def test_the_exception_after_informed_does_not_move_the_reporter_s_status(people, world, cast):
    """The reporter's mailbox says that the cell works, never what it decided about a family."""
    from halte.cases.feedback import reporter_status

    report = world.case_a.reports.get()
    before = reporter_status(report)
    inform(world.case_a, people.coordinator, cast.victim)
    families.document_exception(case=world.case_a, actor=people.coordinator, pupil=cast.victim, reason="Danger.")
    report.refresh_from_db()
    after = reporter_status(report)
    assert after == before
    assert "parent" not in str(after.explanation).lower()


def test_invalid_contact_is_refused_and_nothing_saved(client, login, people, world, cast):
    login(client, people.school_a_staff)
    future = client.post(
        contact_url(world.case_a),
        contact_payload(people, cast, at=local(timezone.now() + timedelta(days=2)), informed_of_situation="on"),
    )
    assert future.status_code == 400
    assert "La date du contact ne peut pas être dans le futur." in future.content.decode()
    no_summary = client.post(contact_url(world.case_a), contact_payload(people, cast, summary=""))
    assert no_summary.status_code == 400
    assert not FamilyContact.objects.exists()
    assert not ParentsInformation.objects.exists()


def test_school_staff_record_contacts_but_the_exception_is_the_cells(client, login, people, world, cast):
    login(client, people.school_a_staff)
    assert client.get(contact_url(world.case_a)).status_code == 200
    assert client.get(exception_url(world.case_a)).status_code == 403
    forged = {"pupil": str(cast.victim.public_id), "reason": "x"}
    assert client.post(exception_url(world.case_a), forged).status_code == 403
    assert not ParentsInformation.objects.exists()


# --- Families per pupil ------------------------------------------------------------------------------


def test_two_alleged_authors_have_two_families_informed_separately(people, world, cast):
    for pupil in (cast.author, cast.second_author):
        families.record_family_contact(
            case=world.case_a,
            actor=people.coordinator,
            pupil=pupil,
            at=timezone.now() - timedelta(hours=1),
            channel="meeting",
            made_by=people.coordinator,
            summary="Rendez-vous avec les parents.",
            informed_of_situation=pupil == cast.author,
        )
    assert [f.pupil for f in families.families_of(world.case_a)] == [cast.victim, cast.author, cast.second_author]
    assert {c.pupil for c in FamilyContact.objects.filter(family="author")} == {cast.author, cast.second_author}
    info = ParentsInformation.objects.get()
    assert (info.pupil, info.family, info.status) == (cast.author, "author", "informed")
    families.document_exception(
        case=world.case_a, actor=people.coordinator, pupil=cast.second_author, reason="Violences au domicile."
    )
    assert ParentsInformation.objects.get(pupil=cast.second_author).status == "exception"
    assert ParentsInformation.objects.get(pupil=cast.author).status == "informed"


@pytest.mark.parametrize("who", ["witness", "victim_guardian", "other_case"])
def test_a_family_is_that_of_a_victim_or_alleged_author_of_the_case(client, login, people, world, cast, who):
    other = involve(world.case_b, "victim", "Zoé", "Ailleurs")
    pupil = other if who == "other_case" else getattr(cast, who)
    login(client, people.coordinator)
    response = client.post(contact_url(world.case_a), contact_payload(people, cast, pupil=str(pupil.public_id)))
    assert response.status_code == 400
    assert "Choisissez la famille contactée." in response.content.decode()
    with pytest.raises(InterventionRefused):
        inform(world.case_a, people.coordinator, pupil, informed=False)
    assert not FamilyContact.objects.exists()


# --- « Ne pas informer » a family ----------------------------------------------------------------------


def restrict_url(case):
    return reverse("interventions:restriction_set", args=[case.public_id])


def lift_url(case, restriction):
    return reverse("interventions:restriction_lift", args=[case.public_id, restriction.public_id])


def restrict_on_a(people, world, pupil, who="magistrate"):
    return families.set_restriction(case=world.case_a, actor=getattr(people, who), pupil=pupil, reason=REASON)


@pytest.mark.parametrize("whole_case", [False, True])
def test_the_school_cannot_record_a_restricted_family_as_informed_by_form_or_forged_post(
    client, login, people, world, cast, whole_case
):
    if whole_case:  # the instruction carried over from the former case-wide flag covers every family
        FamilyRestriction.objects.create(case=world.case_a, pupil=None, reason="Consigne du dossier.")
    else:
        restrict_on_a(people, world, cast.victim)
    login(client, people.school_a_staff)
    page = client.get(contact_url(world.case_a) + f"?famille={cast.victim.public_id}").content.decode()
    assert RESTRICTION in page
    assert REASON not in page  # the reason is the investigation's
    response = client.post(contact_url(world.case_a), contact_payload(people, cast, informed_of_situation="on"))
    assert response.status_code == 400
    assert "vous ne pouvez pas enregistrer que cette famille a été informée" in response.content.decode()
    assert not FamilyContact.objects.exists()
    assert not ParentsInformation.objects.exists()
    with pytest.raises(InterventionRefused, match="ne pas informer"):
        inform(world.case_a, people.coordinator, cast.victim)
    assert not ParentsInformation.objects.exists()
    # A contact that does not inform stays possible (the family may call), under the warning, once the
    # member confirms it told the family nothing.
    assert client.post(contact_url(world.case_a), contact_payload(people, cast)).status_code == 400
    confirmed = contact_payload(people, cast, hold_confirmed="on")
    assert client.post(contact_url(world.case_a), confirmed).status_code == 302
    assert FamilyContact.objects.get().informed_of_situation is False
    # Another family is not concerned by a family's instruction.
    other = contact_payload(people, cast, pupil=str(cast.author.public_id), informed_of_situation="on")
    expected = 400 if whole_case else 302
    assert client.post(contact_url(world.case_a), other).status_code == expected


@pytest.mark.parametrize("name", ["coordinator", "school_a_staff", "police", "social_worker"])
def test_only_the_judicial_side_sets_or_lifts_the_instruction(client, login, people, world, cast, name):
    standing = restrict_on_a(people, world, cast.author)
    member = getattr(people, name)
    login(client, member)
    assert client.get(restrict_url(world.case_a)).status_code == 403
    forged = {"pupil": str(cast.victim.public_id), "reason": "Je décide.", "submission_token": new_token()}
    assert client.post(restrict_url(world.case_a), forged).status_code == 403
    assert client.get(lift_url(world.case_a, standing)).status_code == 403
    lifted = {"reason": "Je lève.", "submission_token": new_token()}
    assert client.post(lift_url(world.case_a, standing), lifted).status_code == 403
    with pytest.raises(InterventionRefused):
        restrict(world.case_a, member, cast.victim, "Non.")
    with pytest.raises(InterventionRefused):
        families.lift_restriction(case=world.case_a, actor=member, restriction=standing, reason="Non.")
    assert list(FamilyRestriction.objects.values_list("pupil", "lifted_at")) == [(cast.author.pk, None)]


def test_an_outsider_gets_404(client, login, people, world, cast):
    standing = restrict_on_a(people, world, cast.author)
    login(client, people.school_b_staff)
    assert client.get(restrict_url(world.case_a)).status_code == 404
    assert client.get(lift_url(world.case_a, standing)).status_code == 404


@pytest.mark.parametrize("name", ["magistrate", "prosecutor_delegate"])
def test_the_judicial_side_sets_and_lifts_it_journaled_and_the_lead_is_told_nothing_more(
    client, login, people, world, cast, name
):
    member = getattr(people, name)
    login(client, member)
    page = client.get(restrict_url(world.case_a)).content.decode()
    assert f"Famille de {cast.second_author} (auteur présumé)" in page
    data = {"pupil": str(cast.author.public_id), "reason": REASON, "submission_token": new_token()}
    assert client.post(restrict_url(world.case_a), data).status_code == 302
    assert client.post(restrict_url(world.case_a), data).status_code == 302  # the double click: recorded once
    row = FamilyRestriction.objects.get()
    assert (row.pupil, row.reason, row.set_by, row.lifted_at) == (cast.author, REASON, member, None)
    world.case_a.refresh_from_db()
    assert world.case_a.do_not_disclose_to_family
    event = world.case_a.events.get(kind="disclosure")
    assert event.compartment == "judicial" and REASON in event.text
    assert AuditEvent.objects.filter(action=Action.CASE_CHANGED, detail__field="family_restriction").count() == 1
    notice = Notification.objects.get(kind="family_restriction")
    assert notice.membership == people.coordinator  # the case's lead
    assert REASON not in notice.title and str(cast.author) not in notice.title
    # A second instruction on the same family is refused; another family may get its own.
    with pytest.raises(InterventionRefused, match="déjà posée"):
        restrict_on_a(people, world, cast.author, who=name)
    # Lifting is explicit: who, when, why.
    response = client.post(lift_url(world.case_a, row), {"reason": "", "submission_token": new_token()})
    assert response.status_code == 400
    assert "Indiquez le motif" in response.content.decode()
    lifted = {"reason": "Auditions terminées.", "submission_token": new_token()}
    assert client.post(lift_url(world.case_a, row), lifted).status_code == 302
    row.refresh_from_db()
    assert (row.lifted_by, row.lift_reason) == (member, "Auditions terminées.")
    assert row.lifted_at is not None
    world.case_a.refresh_from_db()
    assert not world.case_a.do_not_disclose_to_family
    # Lifted: nothing more to lift; a page opened again says who lifted it (never a 404).
    again = client.get(lift_url(world.case_a, row), follow=True)
    assert f"Consigne déjà levée par {member.user.get_full_name()} le " in again.content.decode()
    with pytest.raises(InterventionRefused, match="déjà levée"):
        families.lift_restriction(case=world.case_a, actor=member, restriction=row, reason="Encore.")
    assert world.case_a.events.filter(kind="disclosure").count() == 2


def test_the_warning_shows_the_reason_only_to_the_judicial_side(client, login, people, world, cast):
    restrict_on_a(people, world, cast.victim)
    case_page = reverse("cases:detail", args=[world.case_a.public_id])
    login(client, people.school_a_staff)
    for url in (contact_url(world.case_a), case_page):
        html = client.get(url).content.decode()
        assert RESTRICTION in html, url
        assert REASON not in html, url
    login(client, people.magistrate)
    html = client.get(case_page).content.decode()
    assert REASON in html
    assert lift_url(world.case_a, FamilyRestriction.objects.get()) in html


def test_family_facing_measures_never_list_a_judicial_measure(people, world, cast):
    restrict_on_a(people, world, cast.victim)
    today = timezone.localdate()
    core = measures.record_measure(
        case=world.case_a, actor=people.coordinator, category="protective", kind="adult_referent", starts_on=today
    )
    disciplinary = measures.record_measure(
        case=world.case_a,
        actor=people.school_a_staff,
        category="disciplinary",
        kind="reprimand",
        person=cast.author,
        starts_on=today,
    )
    measures.record_measure(
        case=world.case_a,
        actor=people.prosecutor_delegate,
        category="judicial",
        kind="prosecution_alternative",
        person=cast.author,
        starts_on=today,
    )
    measures.record_measure(  # another case's measure never leaks in either
        case=world.case_b, actor=people.coordinator, category="protective", kind="peer_support", starts_on=today
    )
    assert set(families.family_facing_measures(world.case_a)) == {core, disciplinary}
    assert set(measures.family_facing_measures(world.case_a)) == {core, disciplinary}


def test_a_parent_of_a_restricted_family_cannot_be_recorded_informed_under_another_family(
    client, login, people, world, cast
):
    """The victim's mother is under « ne pas informer »: choosing the author's family with her as the
    person contacted does not get round it — a parent linked to a pupil belongs to that pupil's family."""
    link(cast.victim, cast.victim_guardian)
    restrict_on_a(people, world, cast.victim)
    login(client, people.school_a_staff)
    forged = contact_payload(people, cast, pupil=str(cast.author.public_id), informed_of_situation="on")
    response = client.post(contact_url(world.case_a), forged)
    assert response.status_code == 400
    assert "n’est pas de la famille d’" in response.content.decode()
    assert not FamilyContact.objects.exists()
    assert not ParentsInformation.objects.exists()
    # Her own family's contact, not informing, stays possible, confirmed.
    assert client.post(contact_url(world.case_a), contact_payload(people, cast, hold_confirmed="on")).status_code == 302
