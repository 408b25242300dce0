"""The outside tester's scenario: on one case, the victim Chloé Bernard; the alleged authors Enzo Lefèvre
(father Karim Lefèvre) and Lucas Durand (mother Nadia Durand, and Karim Lefèvre again as « Autre », no
parental authority); the magistrate set « ne pas informer » on Enzo's family only.

Lucas's family is held too — Karim is in it — and every refusal and warning says why: Karim, the guardian
the instruction concerns, is also Lucas's (in neutral words when the instruction is on another case). And
where free text or a mere contact could reach a held family, the page names it and asks a confirmation,
which the journal keeps."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from halte.audit.models import Action as AuditAction
from halte.audit.models import AuditEvent
from halte.cases.models import Involvement
from halte.core.submission import new_token
from halte.interventions import families, interviews
from halte.interventions.common import InterventionRefused
from halte.interventions.models import FamilyContact, Interview, ParentsInformation

from .conftest import involve
from .factories import REASON, inform, link, restrict

WRONG = "Consigne « ne pas informer » sur la famille de Lucas Durand"
WHY = "elle concerne aussi Karim Lefèvre, représentant légal de Lucas Durand"
WHY_NEUTRAL = "Consigne concernant Karim Lefèvre, représentant légal de Lucas Durand"
NEUTRAL = "ne pas contacter cette famille tant que cette consigne n’est pas levée"


class Scenario:
    def __init__(self, case):
        self.case = case
        self.chloe = involve(case, "victim", "Chloé", "Bernard")
        self.enzo = involve(case, "alleged_author", "Enzo", "Lefèvre")
        self.lucas = involve(case, "alleged_author", "Lucas", "Durand")
        self.sophie = involve(case, "guardian", "Sophie", "Bernard", kind="adult")
        self.marc = involve(case, "guardian", "Marc", "Bernard", kind="adult")
        self.karim = involve(case, "guardian", "Karim", "Lefèvre", kind="adult")
        self.nadia = involve(case, "guardian", "Nadia", "Durand", kind="adult")
        link(self.chloe, self.sophie, "mother")
        link(self.chloe, self.marc, "father")
        link(self.enzo, self.karim, "father")
        link(self.lucas, self.nadia, "mother")
        link(self.lucas, self.karim, "other", parental_authority=False)


@pytest.fixture
def scene(people, world):
    scene = Scenario(world.case_a)
    restrict(world.case_a, people.magistrate, scene.enzo)
    return scene


def case_url(case):
    return reverse("cases:detail", args=[case.public_id])


def contact_url(case):
    return reverse("interventions:family_contact", args=[case.public_id])


def interview_url(case):
    return reverse("interventions:interview_new", args=[case.public_id])


def past(days=1):
    return timezone.localtime(timezone.now() - timedelta(days=days)).strftime("%Y-%m-%dT%H:%M")


def family_block(html, pupil):
    start = html.index(f'id="famille-{pupil.public_id}"')
    ends = [end for end in (html.find("<h3", start), html.find("</section>", start)) if end != -1]
    return html[start : min(ends)]


# --- 1. The shared guardian is named as the reason ------------------------------------------------


def test_the_refusals_for_lucas_s_family_name_the_shared_guardian_not_a_consigne_on_lucas(people, scene):
    case = scene.case
    with pytest.raises(InterventionRefused) as informed:
        inform(case, people.coordinator, scene.lucas, person=scene.nadia)
    convocation = families.convocation_refusal(case, scene.lucas, scene.nadia)
    with pytest.raises(InterventionRefused) as interview:
        interviews.record_interview(
            case=case,
            actor=people.coordinator,
            involvement=case.involvements.get(person=scene.lucas),
            held_at=timezone.now(),
            conducted_by=people.coordinator,
            method="joint",
            summary="Entretien.",
        )
    for text in (str(informed.value), convocation, str(interview.value)):
        assert WHY in text, text
        assert "Consigne « ne pas informer » sur la famille d’Enzo Lefèvre" in text, text
        assert WRONG not in text, text
        assert REASON not in text, text
    assert not ParentsInformation.objects.exists()
    # Enzo's own family keeps its own words; Chloé's family is free.
    assert "Consigne « ne pas informer » sur la famille d’Enzo Lefèvre" in families.convocation_refusal(
        case, scene.enzo, scene.karim
    )
    assert families.convocation_refusal(case, scene.chloe, scene.sophie) is None
    inform(case, people.coordinator, scene.chloe, person=scene.sophie)


def test_the_families_block_and_the_form_pages_name_the_shared_guardian(client, login, people, scene):
    login(client, people.school_a_staff)
    page = client.get(case_url(scene.case)).content.decode()
    block = family_block(page, scene.lucas)
    assert "fr-alert" in block
    assert WHY in block
    assert "Karim Lefèvre" not in family_block(page, scene.chloe).split("Représentants légaux")[0]
    assert REASON not in page
    convocation = reverse("documents:generate", args=[scene.case.public_id, "convocation"])
    for url in (contact_url(scene.case), interview_url(scene.case), convocation):
        html = client.get(url).content.decode()
        assert (
            f"Famille de Lucas Durand : Consigne « ne pas informer » sur la famille d’Enzo Lefèvre : {WHY}" in html
        ), url
        assert WRONG not in html, url


def test_an_instruction_elsewhere_is_named_through_the_guardian_in_neutral_words(client, login, people, world):
    """The same households, the instruction on school B's case (where Enzo is): on case A nothing tells of
    it but the neutral words, and the guardian they concern."""
    scene = Scenario(world.case_a)
    Involvement.objects.create(case=world.case_b, person=scene.enzo, role="alleged_author")
    restrict(world.case_b, people.magistrate, scene.enzo)
    with pytest.raises(InterventionRefused) as refused:
        inform(world.case_a, people.coordinator, scene.lucas, person=scene.nadia)
    text = str(refused.value)
    assert WHY_NEUTRAL in text and NEUTRAL in text
    assert "Enzo" not in text and REASON not in text
    login(client, people.school_a_staff)
    block = family_block(client.get(case_url(world.case_a)).content.decode(), scene.lucas)
    assert WHY_NEUTRAL in block
    assert "Enzo" not in block and world.case_b.reference not in block


# --- 2. A contact with a held family asks a confirmation, and the journal keeps it ----------------


def contact(member, pupil, person=None, summary="Appel.", **extra):
    return {
        "pupil": str(pupil.public_id),
        "at": past(),
        "channel": "phone",
        "made_by": str(member.public_id),
        "person": str(person.public_id) if person else "",
        "summary": summary,
        "submission_token": new_token(),
        **extra,
    }


def test_a_contact_with_a_held_family_needs_a_confirmation_and_is_journaled(client, login, people, scene):
    staff = people.school_a_staff
    login(client, staff)
    url = contact_url(scene.case)
    refused = client.post(url, contact(staff, scene.enzo, summary="Appel au père"))
    assert refused.status_code == 400
    html = refused.content.decode()
    assert "Famille d’Enzo Lefèvre" in html and "Cochez la case" in html
    assert not FamilyContact.objects.exists()
    done = client.post(url, contact(staff, scene.enzo, summary="Appel au père", hold_confirmed="on"))
    assert done.status_code == 302
    row = AuditEvent.objects.get(action=AuditAction.FAMILY_CONTACT_RECORDED)
    assert row.detail["hold"] == families.Hold.RESTRICTION
    assert row.detail["hold_confirmed"] is True
    # Lucas's family too, through Karim; Chloé's family asks nothing.
    assert client.post(url, contact(staff, scene.lucas, scene.nadia)).status_code == 400
    assert client.post(url, contact(staff, scene.chloe, scene.sophie)).status_code == 302
    assert FamilyContact.objects.count() == 2


def test_a_contact_naming_a_held_guardian_in_its_summary_asks_a_confirmation(people, scene):
    with pytest.raises(InterventionRefused, match="Karim Lefèvre"):
        inform(scene.case, people.coordinator, scene.chloe, summary="Vu M. Lefèvre au portail.", informed=False)
    with pytest.raises(InterventionRefused, match="Enzo Lefèvre"):
        inform(scene.case, people.coordinator, scene.chloe, summary="Le père d’Enzo a appelé.", informed=False)
    assert not FamilyContact.objects.exists()


# --- 3. Free text that names a held family --------------------------------------------------------


def test_free_text_naming_a_held_guardian_or_family_is_found(scene):
    def named(text):
        return [mention.person for mention in families.held_mentions(scene.case, text)]

    assert named("M. Karim Lefèvre, père d'Enzo") == [scene.karim, scene.enzo]
    assert named("Recevoir le père d’Enzo pour l’informer des mesures") == [scene.enzo]
    assert named("Appeler la mère de Lucas") == [scene.lucas]
    assert named("Entretien avec madame LEFEVRE") == [scene.karim]
    assert named("Lefèvre Karim a appelé") == [scene.karim]
    # Enzo heard alone, Chloé's family, a teacher named Karim: nothing to say.
    for text in ("Entretien individuel avec Enzo", "Appeler la mère de Chloé", "Karim, professeur de sport", ""):
        assert named(text) == [], text


def interview_data(case, member, person, role, **extra):
    return {
        "involvement": str(case.involvements.get(person=person, role=role).pk),
        "method": "hearing",
        "held_at": past(),
        "conducted_by": str(member.public_id),
        "summary": "Entretien.",
        "submission_token": new_token(),
        **extra,
    }


def test_an_interview_naming_the_held_father_as_present_asks_a_confirmation(client, login, people, scene):
    staff = people.school_a_staff
    login(client, staff)
    data = interview_data(scene.case, staff, scene.enzo, "alleged_author", also_present="M. Karim Lefèvre, père d'Enzo")
    refused = client.post(interview_url(scene.case), data)
    assert refused.status_code == 400
    html = refused.content.decode()
    assert "Karim Lefèvre" in html and "Cochez la case" in html
    assert not Interview.objects.exists()
    data.update(hold_confirmed="on", submission_token=new_token())
    assert client.post(interview_url(scene.case), data).status_code == 302
    row = AuditEvent.objects.get(action=AuditAction.INTERVIEW_RECORDED)
    assert row.detail["hold_confirmed"] is True
    # Without a name of a held family, nothing is asked.
    plain = interview_data(scene.case, staff, scene.chloe, "victim", also_present="La CPE")
    assert client.post(interview_url(scene.case), plain).status_code == 302
