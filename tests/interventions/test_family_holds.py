"""What holds back contacting a family, on this case and beyond it: « ne pas informer » follows a
pupil's family into every case where that family may be contacted (in neutral words there, never the
reason nor the other case), an interview with a family under it is refused but to the judicial side,
and the cell's « parents non informés (intérêt de l'enfant) » blocks what it says until it is lifted."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from halte.cases.models import Involvement
from halte.core.french import of_name
from halte.core.submission import new_token
from halte.interventions import families
from halte.interventions.common import InterventionRefused
from halte.interventions.models import FamilyContact, FamilyRestriction, Interview, ParentsInformation

from .conftest import involve
from .factories import REASON, inform, link, restrict

NEUTRAL = "ne pas contacter cette famille tant que cette consigne n’est pas levée"
OWN_WARNING = "Consigne « ne pas informer »"
INTERVIEW_REFUSED = "ntretien avec cette famille ne peut pas être enregistré"
CHILD_INTEREST = "intérêt de l’enfant"


def contact_url(case):
    return reverse("interventions:family_contact", args=[case.public_id])


def interview_url(case):
    return reverse("interventions:interview_new", args=[case.public_id])


def case_url(case):
    return reverse("cases:detail", args=[case.public_id])


def past(days=1):
    return timezone.localtime(timezone.now() - timedelta(days=days)).strftime("%Y-%m-%dT%H:%M")


def contact(member, pupil, person=None, informed=False):
    data = {
        "pupil": str(pupil.public_id),
        "at": past(),
        "channel": "phone",
        "made_by": str(member.public_id),
        "person": str(person.public_id) if person else "",
        "summary": "Appel.",
        "submission_token": new_token(),
    }
    if informed:
        data["informed_of_situation"] = "on"
    return data


def interview(case, member, person, role, method="joint"):
    return {
        "involvement": str(case.involvements.get(person=person, role=role).pk),
        "method": method,
        "held_at": past(),
        "conducted_by": str(member.public_id),
        "summary": "Entretien.",
        "submission_token": new_token(),
    }


def restrict_on_a(people, world, pupil):
    return restrict(world.case_a, people.magistrate, pupil, REASON)


# --- 1b. « Ne pas informer » follows the family into its other cases ---------------------------------


@pytest.fixture
def on_b(world, cast):
    """Hugo, alleged author on case A, is a victim on school B's case; his father Marc is on both."""
    link(cast.author, cast.author_guardian, "father", parental_authority=True)
    Involvement.objects.create(case=world.case_b, person=cast.author, role="victim")
    Involvement.objects.create(case=world.case_b, person=cast.author_guardian, role="guardian")
    return world.case_b


@pytest.mark.parametrize("whole_case", [False, True])
def test_an_instruction_on_case_a_holds_the_family_on_case_b_in_neutral_words(
    client, login, people, world, cast, on_b, whole_case
):
    if whole_case:
        FamilyRestriction.objects.create(case=world.case_a, pupil=None, reason=REASON)
    else:
        restrict_on_a(people, world, cast.author)
    staff = people.school_b_staff  # reads case B, not case A
    login(client, staff)
    for url in (contact_url(on_b), interview_url(on_b), case_url(on_b)):
        html = client.get(url).content.decode()
        assert NEUTRAL in html, url
        assert REASON not in html, url
        # (the fixture's people carry case A's reference in their names: set them aside first)
        bare = html.replace(cast.author.last_name, "").replace(cast.author_guardian.last_name, "")
        assert world.case_a.reference not in bare and str(world.case_a.public_id) not in html, url
        assert OWN_WARNING not in html, url  # nothing says it is an investigation's instruction
    # « Famille informée » is refused, as on case A; a contact that does not inform stays possible.
    refused = client.post(contact_url(on_b), contact(staff, cast.author, cast.author_guardian, informed=True))
    assert refused.status_code == 400
    assert NEUTRAL in refused.content.decode()
    assert not ParentsInformation.objects.exists()
    assert client.post(contact_url(on_b), contact(staff, cast.author, cast.author_guardian)).status_code == 400
    confirmed = {**contact(staff, cast.author, cast.author_guardian), "hold_confirmed": "on"}
    assert client.post(contact_url(on_b), confirmed).status_code == 302
    # An interview with the family, or with the father, is refused; Hugo heard alone is not.
    for data in (
        interview(on_b, staff, cast.author, "victim", method="joint"),
        interview(on_b, staff, cast.author_guardian, "guardian", method="hearing"),
    ):
        response = client.post(interview_url(on_b), data)
        assert response.status_code == 400
        assert INTERVIEW_REFUSED in response.content.decode()
        assert REASON not in response.content.decode()
    assert not Interview.objects.exists()
    alone = client.post(interview_url(on_b), interview(on_b, staff, cast.author, "victim", method="hearing"))
    assert alone.status_code == 302


def test_a_brother_sharing_the_father_is_held_too_and_lifting_frees_both(people, world, cast, on_b):
    restriction = restrict_on_a(people, world, cast.author)
    brother = involve(on_b, "alleged_author", "Tom", "Bernard")
    link(brother, cast.author_guardian, "father")
    stranger = involve(on_b, "alleged_author", "Jules", "Autre")
    assert families.held_elsewhere(on_b, [cast.author, brother, stranger]) == {cast.author.pk, brother.pk}
    assert families.held_elsewhere(world.case_a, [cast.author]) == set()  # there, it is the case's own
    with pytest.raises(InterventionRefused, match=NEUTRAL):
        inform(on_b, people.coordinator, brother)
    families.lift_restriction(case=world.case_a, actor=people.magistrate, restriction=restriction, reason="Fini.")
    assert families.held_elsewhere(on_b, [cast.author, brother]) == set()
    inform(on_b, people.coordinator, brother)
    assert ParentsInformation.objects.get().pupil == brother


# --- 2. No interview with a family under « ne pas informer » on its own case ------------------------


def test_the_interview_form_lists_the_families_under_instruction_and_refuses_a_family_interview(
    client, login, people, world, cast
):
    link(cast.author, cast.author_guardian, "father")
    restrict_on_a(people, world, cast.author)
    staff = people.school_a_staff
    login(client, staff)
    page = client.get(interview_url(world.case_a)).content.decode()
    assert OWN_WARNING in page
    assert f"Famille d’{cast.author}" in page
    assert REASON not in page
    # The choices themselves say it, as the person is picked: the pupil, and the father linked to him.
    note = "famille sous consigne : pas d’entretien avec la famille"
    assert f"{cast.author} — auteur présumé — {note}" in page
    assert f"{cast.author_guardian} — représentant légal — {note}" in page
    assert f"{cast.victim} — victime — {note}" not in page
    for data in (
        interview(world.case_a, staff, cast.author, "alleged_author", method="joint"),
        interview(world.case_a, staff, cast.author_guardian, "guardian", method="hearing"),
        interview(world.case_a, staff, cast.author_guardian, "guardian", method="phone"),
    ):
        response = client.post(interview_url(world.case_a), data)
        assert response.status_code == 400
        html = response.content.decode()
        assert INTERVIEW_REFUSED in html
        assert OWN_WARNING in html  # the warning stays on the page that refused
    assert not Interview.objects.exists()
    # The pupil heard alone, and another family, are not concerned.
    alone = interview(world.case_a, staff, cast.author, "alleged_author", method="hearing")
    assert client.post(interview_url(world.case_a), alone).status_code == 302
    other = interview(world.case_a, staff, cast.victim, "victim", method="joint")
    assert client.post(interview_url(world.case_a), other).status_code == 302
    assert Interview.objects.count() == 2


def test_the_judicial_side_may_record_the_family_interview(client, login, people, world, cast):
    restrict_on_a(people, world, cast.author)
    delegate = people.prosecutor_delegate
    world.case_a.co_workers.add(delegate)  # on the case: records interviews
    login(client, delegate)
    data = interview(world.case_a, delegate, cast.author, "alleged_author", method="joint")
    assert client.post(interview_url(world.case_a), data).status_code == 302
    assert Interview.objects.get().method == "joint"
    # The coordinator, on the same case, may not.
    with pytest.raises(InterventionRefused, match=INTERVIEW_REFUSED):
        from halte.interventions import interviews

        interviews.record_interview(
            case=world.case_a,
            actor=people.coordinator,
            involvement=world.case_a.involvements.get(person=cast.author),
            held_at=timezone.now(),
            conducted_by=people.coordinator,
            method="joint",
            summary="Entretien.",
        )


# --- 3. « Parents non informés (intérêt de l'enfant) » blocks what it says ---------------------------


def exception_lift_url(case, pupil):
    return reverse("interventions:parents_exception_lift", args=[case.public_id, pupil.public_id])


def test_the_child_interest_exception_refuses_famille_informee_until_lifted(client, login, people, world, cast):
    families.document_exception(
        case=world.case_a, actor=people.coordinator, pupil=cast.author, reason="Violences au domicile."
    )
    staff = people.school_a_staff
    login(client, staff)
    page = client.get(contact_url(world.case_a)).content.decode()
    assert "parents non informés (intérêt de l’enfant)" in page
    refused = client.post(contact_url(world.case_a), contact(staff, cast.author, informed=True))
    assert refused.status_code == 400
    assert CHILD_INTEREST in refused.content.decode()
    with pytest.raises(InterventionRefused, match=CHILD_INTEREST):
        inform(world.case_a, people.coordinator, cast.author)
    info = ParentsInformation.objects.get()
    assert (info.status, info.reason) == ("exception", "Violences au domicile.")
    assert not FamilyContact.objects.filter(informed_of_situation=True).exists()
    # Another family is not concerned.
    assert client.post(contact_url(world.case_a), contact(staff, cast.victim, informed=True)).status_code == 302

    # Lifting: the cell only, with a reason, journaled; then the family may be recorded informed.
    url = exception_lift_url(world.case_a, cast.author)
    assert client.get(url).status_code == 403
    assert client.post(url, {"reason": "Je lève.", "submission_token": new_token()}).status_code == 403
    login(client, people.coordinator)
    assert url in client.get(case_url(world.case_a)).content.decode()
    empty = client.post(url, {"reason": " ", "submission_token": new_token()})
    assert empty.status_code == 400
    assert ParentsInformation.objects.filter(status="exception").exists()
    assert client.post(url, {"reason": "Le danger est écarté.", "submission_token": new_token()}).status_code == 302
    assert not ParentsInformation.objects.filter(pupil=cast.author).exists()
    assert world.case_a.events.filter(text__contains="Le danger est écarté.").exists()
    assert "Décision déjà levée par" in client.get(url, follow=True).content.decode()  # nothing left to lift
    login(client, staff)
    assert client.post(contact_url(world.case_a), contact(staff, cast.author, informed=True)).status_code == 302
    assert ParentsInformation.objects.get(pupil=cast.author).status == "informed"


# --- 4. « Ne pas informer » follows the guardian herself ------------------------------------------


@pytest.fixture
def shared_mother(people, world, cast):
    """Hugo's family is under « ne pas informer » on case A; his parent Marc is then added as guardian of
    Noah, another pupil of the same case (the coordinator records a second family link)."""
    link(cast.author, cast.author_guardian, "father")
    link(cast.second_author, cast.author_guardian, "father")
    return restrict_on_a(people, world, cast.author)


def test_informed_through_a_held_guardian_of_another_pupil_is_refused_until_lifted(
    client, login, people, world, cast, shared_mother
):
    staff = people.school_a_staff
    login(client, staff)
    url = contact_url(world.case_a)
    # Through the held guardian, and with « Non précisé » (no person) for that family: both refused.
    for person in (cast.author_guardian, None):
        refused = client.post(url, contact(staff, cast.second_author, person, informed=True))
        assert refused.status_code == 400, person
        assert "ne pas informer" in refused.content.decode()
    assert not ParentsInformation.objects.exists()
    assert not FamilyContact.objects.exists()
    # A contact that does not inform stays possible, confirmed.
    confirmed = {**contact(staff, cast.second_author, cast.author_guardian), "hold_confirmed": "on"}
    assert client.post(url, confirmed).status_code == 302
    families.lift_restriction(case=world.case_a, actor=people.magistrate, restriction=shared_mother, reason="Fini.")
    assert client.post(url, contact(staff, cast.second_author, cast.author_guardian, informed=True)).status_code == 302
    assert ParentsInformation.objects.get().pupil == cast.second_author


def test_a_family_interview_through_a_held_guardian_is_refused_until_lifted(
    client, login, people, world, cast, shared_mother
):
    staff = people.school_a_staff
    login(client, staff)
    joint = interview(world.case_a, staff, cast.second_author, "alleged_author", method="joint")
    refused = client.post(interview_url(world.case_a), joint)
    assert refused.status_code == 400
    assert INTERVIEW_REFUSED in refused.content.decode()
    assert not Interview.objects.exists()
    assert not families.holds_on(world.case_a, [cast.victim])  # another family is not concerned
    families.lift_restriction(case=world.case_a, actor=people.magistrate, restriction=shared_mother, reason="Fini.")
    joint["submission_token"] = new_token()
    assert client.post(interview_url(world.case_a), joint).status_code == 302


def test_a_held_guardian_linked_to_no_pupil_of_the_case_is_held_there_too(people, world, cast):
    """Marc is Hugo's father; Hugo's family is under « ne pas informer » on case A. On school B's case
    Marc is a guardian linked to none of its pupils: he may not be recorded as having informed a family
    there, nor met in an interview — in neutral words, never the reason."""
    link(cast.author, cast.author_guardian, "father")
    restriction = restrict_on_a(people, world, cast.author)
    case_b = world.case_b
    pupil_b = involve(case_b, "victim", "Zoé", "Autre")
    Involvement.objects.create(case=case_b, person=cast.author_guardian, role="guardian")
    from halte.interventions import interviews

    def tell():
        return inform(case_b, people.coordinator, pupil_b, person=cast.author_guardian)

    def hear():
        return interviews.record_interview(
            case=case_b,
            actor=people.coordinator,
            involvement=case_b.involvements.get(person=cast.author_guardian),
            held_at=timezone.now(),
            conducted_by=people.coordinator,
            method="hearing",
            summary="Entretien.",
        )

    with pytest.raises(InterventionRefused, match=NEUTRAL) as refused:
        tell()
    assert REASON not in str(refused.value) and str(cast.author) not in str(refused.value)
    with pytest.raises(InterventionRefused, match=INTERVIEW_REFUSED):
        hear()
    held = interviews.held_involvements(case_b, case_b.involvements.select_related("person"))
    assert case_b.involvements.get(person=cast.author_guardian).pk in held
    families.lift_restriction(case=world.case_a, actor=people.magistrate, restriction=restriction, reason="Fini.")
    tell()
    hear()


# --- 5. A hold reaches the whole household, through every shared guardian -------------------------


@pytest.fixture
def blended(world, cast):
    """A blended family: Hugo (A) and Noah (B) share their father Marc (G1); Noah and Tom (C) share their
    mother Julie (G2). Tom is an alleged author on school B's case, where Julie is his guardian."""
    julie = involve(world.case_a, "guardian", "Julie", "Roux", kind="adult")
    link(cast.author, cast.author_guardian, "father")
    link(cast.second_author, cast.author_guardian, "father")
    link(cast.second_author, julie, "mother")
    tom = involve(world.case_b, "alleged_author", "Tom", "Roux")
    Involvement.objects.create(case=world.case_b, person=julie, role="guardian")
    link(tom, julie, "mother")
    return tom, julie


def test_an_instruction_on_a_s_family_reaches_c_through_b_s_other_parent(people, world, cast, blended):
    tom, julie = blended
    restriction = restrict_on_a(people, world, cast.author)
    on_a = families.holds_on(world.case_a, [cast.author, cast.second_author, cast.victim])
    assert {pk: hold.kind for pk, hold in on_a.items()} == {
        cast.author.pk: families.Hold.RESTRICTION,
        cast.second_author.pk: families.Hold.RESTRICTION,
    }
    # On school B's case, Tom's family is held in neutral words, and so is his mother Julie.
    assert families.held_elsewhere(world.case_b, [tom]) == {tom.pk}
    assert families.hold_for(world.case_b, tom) == families.Hold.ELSEWHERE
    assert families.person_hold(world.case_b, julie).kind == families.Hold.ELSEWHERE
    with pytest.raises(InterventionRefused, match=NEUTRAL):
        inform(world.case_b, people.coordinator, tom, person=julie)
    assert "tant que cette consigne n’est pas levée" in families.convocation_refusal(world.case_b, tom, julie)
    families.lift_restriction(case=world.case_a, actor=people.magistrate, restriction=restriction, reason="Fini.")
    assert not families.holds_on(world.case_b, [tom])
    assert not families.holds_on(world.case_a, [cast.author, cast.second_author])


def test_the_cells_exception_on_a_reaches_c_on_the_same_case(people, world, cast, blended):
    tom, _julie = blended
    Involvement.objects.create(case=world.case_a, person=tom, role="alleged_author")
    families.document_exception(case=world.case_a, actor=people.coordinator, pupil=cast.author, reason="Danger.")
    holds = families.holds_on(world.case_a, [tom, cast.victim])
    assert list(holds) == [tom.pk]
    assert holds[tom.pk].kind == families.Hold.CHILD_INTEREST


def test_a_cycle_of_shared_guardians_ends_and_costs_the_same_queries_as_one_step(
    people, world, cast, django_assert_num_queries
):
    """A ring of four children and four parents, each child sharing a parent with the next (P1–G1–P2–G2–
    P3–G3–P4–G4–P1), and two parents of the same two children (G1 and G5 of P1 and P2): the closure ends,
    holds every child of the ring — P1 is two parents away from P3 — and nobody outside it, in the same
    number of queries as a single link."""
    case = world.case_a
    link(cast.author, cast.author_guardian, "father")
    with CaptureQueriesContext(connection) as one_step:
        families.holds_on(case, [cast.author])
    pupils = [involve(case, "alleged_author", f"Enfant{i}", "Roux") for i in range(1, 5)]
    parents = [involve(case, "guardian", f"Parent{i}", "Roux", kind="adult") for i in range(1, 6)]
    for i in range(4):
        link(pupils[i], parents[i])
        link(pupils[(i + 1) % 4], parents[i])
    link(pupils[0], parents[4], "father")
    link(pupils[1], parents[4], "father")
    restrict_on_a(people, world, pupils[2])
    with django_assert_num_queries(len(one_step)):
        holds = families.holds_on(case, [*pupils, cast.victim, cast.author])
    assert set(holds) == {pupil.pk for pupil in pupils}
    assert {hold.kind for hold in holds.values()} == {families.Hold.RESTRICTION}


# --- 6. Every page that shows the families shows the holds the refusals apply ----------------------


def family_block(html, pupil):
    """The part of the case page's families block about this pupil's family."""
    start = html.index(f'id="famille-{pupil.public_id}"')
    ends = [end for end in (html.find("<h3", start), html.find("</section>", start)) if end != -1]
    return html[start : min(ends)]


def families_section(html):
    start = html.index('id="titre-familles"')
    return html[start : html.index("</section>", start)]


@pytest.fixture
def brothers(cast):
    """Hugo and Noah, both alleged authors on case A, share their father Marc."""
    link(cast.author, cast.author_guardian, "father")
    link(cast.second_author, cast.author_guardian, "father")


def test_a_family_held_through_a_brother_on_the_same_case_is_flagged_on_every_page(
    client, login, people, world, cast, brothers
):
    restrict_on_a(people, world, cast.author)
    assert families.hold_for(world.case_a, cast.second_author) == families.Hold.RESTRICTION  # what refuses
    login(client, people.school_a_staff)
    page = client.get(case_url(world.case_a)).content.decode()
    # The reason is the father they share, named — not a consigne on Noah's family, which has none.
    through = (
        f"Consigne « ne pas informer » sur la famille {of_name(cast.author)} : elle concerne aussi "
        f"{cast.author_guardian}, représentant légal {of_name(cast.second_author)}"
    )
    assert through in family_block(page, cast.second_author)
    assert OWN_WARNING in family_block(page, cast.author)
    assert OWN_WARNING not in family_block(page, cast.victim)
    assert REASON not in page
    convocation = reverse("documents:generate", args=[world.case_a.public_id, "convocation"])
    for url in (contact_url(world.case_a), interview_url(world.case_a), convocation):
        html = client.get(url).content.decode()
        assert f"Famille {of_name(cast.second_author)} : {through}" in html, url
        assert f"Famille {of_name(cast.victim)} :" not in html, url


def test_a_family_held_through_a_brother_s_exception_is_flagged(client, login, people, world, cast, brothers):
    families.document_exception(case=world.case_a, actor=people.coordinator, pupil=cast.author, reason="Danger.")
    assert families.hold_for(world.case_a, cast.second_author) == families.Hold.CHILD_INTEREST
    login(client, people.school_a_staff)
    page = client.get(case_url(world.case_a)).content.decode()
    block = family_block(page, cast.second_author)
    assert (
        f"cette décision concerne aussi {cast.author_guardian}, représentant légal {of_name(cast.second_author)}"
        in block
    )
    assert CHILD_INTEREST in block
    assert CHILD_INTEREST not in family_block(page, cast.victim)


def test_a_guardian_held_through_a_child_of_another_case_is_flagged_in_neutral_words(
    client, login, people, world, cast
):
    """Marc, Hugo's father, is a guardian on school B's case linked to none of its pupils; Hugo's family
    is under « ne pas informer » on case A. The refusals hold Marc on case B: so do its pages."""
    link(cast.author, cast.author_guardian, "father")
    restrict_on_a(people, world, cast.author)
    case_b = world.case_b
    pupil_b = involve(case_b, "victim", "Zoé", "Autre")
    Involvement.objects.create(case=case_b, person=cast.author_guardian, role="guardian")
    assert families.person_hold(case_b, cast.author_guardian).kind == families.Hold.ELSEWHERE  # what refuses
    login(client, people.school_b_staff)
    page = client.get(case_url(case_b)).content.decode()
    section = families_section(page)
    assert f"{cast.author_guardian} : {NEUTRAL}" in section
    assert NEUTRAL not in family_block(page, pupil_b)
    html = client.get(contact_url(case_b)).content.decode()
    assert f"{cast.author_guardian} : {NEUTRAL}" in html
    for text in (page, html):
        bare = text.replace(cast.author_guardian.last_name, "")
        assert REASON not in text and world.case_a.reference not in bare and str(cast.author) not in text


def test_the_families_block_flags_exactly_the_families_the_refusals_hold(client, login, people, world, cast, blended):
    """The blended family A–B–C of section 5, all three on case A, the instruction on A: each family's
    block carries a warning if and only if « famille informée » is refused for it."""
    tom, _julie = blended
    Involvement.objects.create(case=world.case_a, person=tom, role="alleged_author")
    restrict_on_a(people, world, cast.author)
    login(client, people.coordinator)
    page = client.get(case_url(world.case_a)).content.decode()
    for pupil in (cast.victim, cast.author, cast.second_author, tom):
        held = families.hold_for(world.case_a, pupil) is not None
        assert ("fr-alert" in family_block(page, pupil)) is held, pupil
    assert families.hold_for(world.case_a, tom) == families.Hold.RESTRICTION
