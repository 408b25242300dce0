"""The case page's summary header and side menu, its print view, and its forms on their own pages.

The summary shows only what the member reads (a police officer with the judicial part sees no pupil's
name); the menu lists exactly the sections on the page, each anchor present; the print view is the
same content without a form, journaled as a read; each form page is a GET/POST page with French
errors that saves nothing on bad input, and the creating ones spend a one-time token.
"""

import re
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from halte.audit.models import Action as AuditAction
from halte.audit.models import AuditEvent
from halte.cases.enums import Compartment
from halte.cases.models import Case, FollowUp, Involvement, Note, Person, Share
from halte.core.submission import new_token
from halte.meetings.models import AgendaItem

from .conftest import CORE_MARK, HEALTH_MARK, IDENTITY_MARK, JUDICIAL_MARK

MENU = re.compile(r'<a class="fr-sidemenu__link" href="#([^"]+)">')


def involve(case, role, first, last, class_name=""):
    person = Person.objects.create(kind="pupil", first_name=first, last_name=last, class_name=class_name)
    Involvement.objects.create(case=case, person=person, role=role)
    return person


@pytest.fixture
def case(world, people):
    case = world.case_a
    involve(case, "victim", "Léa", "Victime-Unique", "5e B")
    involve(case, "alleged_author", "Hugo", "Auteur-Un")
    involve(case, "alleged_author", "Noé", "Auteur-Deux")
    involve(case, "witness", "Tom", "Temoin-Seul")
    return case


def page_of(client, login, membership, case, name="cases:detail"):
    client.logout()
    login(client, membership)
    response = client.get(reverse(name, args=[case.public_id]))
    assert response.status_code == 200
    return response.content.decode()


def summary_of(page: str) -> str:
    start = page.index('id="resume-dossier"')
    return page[start : page.index("</section>", start)]


def test_the_summary_names_the_people_the_lead_and_the_next_steps(client, login, people, case):
    from tests.meetings.conftest import make_meeting

    meeting = make_meeting(people.coordinator, timezone.now() + timedelta(days=2))
    AgendaItem.objects.create(meeting=meeting, case=case, position=0, reason=AgendaItem.Reason.NEW_URGENT)
    FollowUp.objects.create(case=case, day=7, due_on=timezone.localdate() + timedelta(days=3))
    summary = summary_of(page_of(client, login, people.coordinator, case))
    assert "P2" in summary and "En intervention" in summary
    assert "Léa Victime-Unique" in summary and "(5e B)" in summary
    assert "Hugo Auteur-Un" in summary and "Noé Auteur-Deux" in summary
    assert "Auteurs présumés" in summary
    assert "Temoin-Seul" not in summary  # victims and alleged authors only
    assert people.coordinator.user.get_full_name() in summary
    assert "J+7" in summary
    assert timezone.localtime(meeting.starts_at).strftime("%H:%M") in summary
    assert "en retard" in summary and "dans les délais" in summary


def test_the_summary_of_a_judicial_reader_names_nobody(client, login, people, case):
    """The police read only the judicial part of case A: no pupil, no lead, no step in the summary."""
    page = page_of(client, login, people.police, case)
    summary = summary_of(page)
    assert "Victime-Unique" not in page and "Auteur-Un" not in page
    assert "Responsable" not in summary and "Prochaine échéance" not in summary
    assert JUDICIAL_MARK in page


@pytest.mark.parametrize(
    ("name", "present", "absent"),
    [
        ("coordinator", {"titre-etat", "titre-identite", "titre-partages", "titre-notes"}, {"titre-sante"}),
        ("social_worker", {"titre-sante", "titre-notes"}, {"titre-judiciaire", "titre-identite", "titre-partages"}),
        # The parquet shares the judicial part (and the core): its sharing section is on its page.
        ("magistrate", {"titre-judiciaire", "titre-partages"}, {"titre-sante", "titre-identite", "titre-etat"}),
        ("school_a_staff", {"titre-situation", "titre-actions"}, {"titre-notes", "titre-judiciaire", "titre-sante"}),
        ("police", {"titre-judiciaire", "titre-historique"}, {"titre-situation", "titre-personnes", "titre-notes"}),
    ],
)
def test_the_menu_lists_exactly_the_sections_on_the_page(client, login, people, case, name, present, absent):
    page = page_of(client, login, getattr(people, name), case)
    anchors = MENU.findall(page)
    assert anchors[0] == "resume-dossier" and anchors[-1] == "titre-historique"
    assert len(anchors) == len(set(anchors))
    for anchor in anchors:  # every link of the menu leads to a heading of the page
        assert f'id="{anchor}"' in page, anchor
    # and every section heading of the page is in the menu
    headings = set(re.findall(r'<section class="[^"]*" aria-labelledby="([^"]+)"', page))
    assert headings <= set(anchors)
    assert present <= set(anchors), present - set(anchors)
    assert not absent & set(anchors), absent & set(anchors)


# --- The print view ---------------------------------------------------------------------------


MARKS = {
    "coordinator": ({CORE_MARK, IDENTITY_MARK}, {HEALTH_MARK, JUDICIAL_MARK}),
    "social_worker": ({CORE_MARK, HEALTH_MARK}, {JUDICIAL_MARK, IDENTITY_MARK}),
    "magistrate": ({CORE_MARK, JUDICIAL_MARK}, {HEALTH_MARK, IDENTITY_MARK}),
    "police": ({JUDICIAL_MARK}, {CORE_MARK, HEALTH_MARK, IDENTITY_MARK}),
}


@pytest.mark.parametrize("name", sorted(MARKS))
def test_the_print_view_shows_what_the_member_reads_and_is_journaled(client, login, people, case, name):
    membership = getattr(people, name)
    page = page_of(client, login, membership, case, "cases:print")
    shown, hidden = MARKS[name]
    assert {mark for mark in shown if mark in page} == shown
    assert not {mark for mark in hidden if mark in page}
    assert "halte-case-print" in page and "Document confidentiel" in page
    assert 'class="fr-sidemenu' not in page
    # No form acts on the case from the printed page (the header's logout form is not the case's).
    assert f'action="/dossiers/{case.public_id}' not in page
    event = AuditEvent.objects.filter(action=AuditAction.CASE_READ, actor=membership.user).latest("id")
    assert event.detail["page"] == "print"
    assert event.target_id == str(case.public_id)


@pytest.mark.parametrize(("name", "code"), [("school_b_staff", 404), ("association_worker", 404), ("analyst", 403)])
def test_the_print_view_refuses_who_does_not_see_the_case(client, login, people, case, name, code):
    login(client, getattr(people, name))
    assert client.get(reverse("cases:print", args=[case.public_id])).status_code == code


# --- Forms on their own pages -------------------------------------------------------------------


def test_the_case_page_links_to_the_form_pages_and_has_no_inline_note_or_share_form(client, login, people, case):
    follow_up = FollowUp.objects.create(case=case, day=7, due_on=timezone.localdate())
    page = page_of(client, login, people.coordinator, case)
    detail = reverse("cases:detail", args=[case.public_id])
    assert f'href="{detail}partages/"' in page
    assert f'href="{detail}notes/?volet=dossier"' in page
    assert f'href="{detail}suivis/{follow_up.public_id}/"' in page
    assert f'href="{detail}etat/close/"' in page
    assert f'href="{detail}imprimer/"' in page
    assert f'action="{detail}notes/"' not in page
    assert f'action="{detail}partages/"' not in page
    # The extra follow-up too has a page of its own, linked, no longer a form folded in the case page.
    assert f'href="{detail}suivis/ajouter/"' in page
    assert f'action="{detail}suivis/ajouter/"' not in page and 'name="extra-due_on"' not in page


@pytest.mark.parametrize(
    ("name", "code"),
    [("coordinator", 200), ("education_referent", 403), ("school_a_staff", 403), ("school_b_staff", 404)],
)
def test_form_pages_answer_get_with_the_policy_decision(client, login, people, case, name, code):
    follow_up = FollowUp.objects.create(case=case, day=7, due_on=timezone.localdate())
    login(client, getattr(people, name))
    urls = [
        reverse("cases:transition", args=[case.public_id, "close"]),
        reverse("cases:transition", args=[case.public_id, "start_monitoring"]),
        reverse("cases:share", args=[case.public_id]),
        reverse("cases:follow_up", args=[case.public_id, follow_up.public_id]),
        reverse("cases:summary", args=[case.public_id]),
        reverse("cases:assign", args=[case.public_id]),
        reverse("cases:link", args=[case.public_id]),
        reverse("cases:add_follow_up", args=[case.public_id]),
    ]
    expected = dict.fromkeys(urls, code)
    if name == "school_a_staff":  # the school records the follow-ups of its own cases, and adds some
        expected[urls[3]] = expected[urls[7]] = 200
    assert {url: client.get(url).status_code for url in urls} == expected


@pytest.mark.parametrize(
    ("name", "volet", "code"),
    [
        ("social_worker", "sante", 200),
        ("coordinator", "sante", 403),
        ("magistrate", "judiciaire", 200),
        ("coordinator", "judiciaire", 403),
        ("police", "dossier", 403),
        ("school_a_staff", "dossier", 403),
        ("coordinator", "inconnu", 403),
        ("school_b_staff", "dossier", 404),
    ],
)
def test_the_note_page_is_per_compartment(client, login, people, case, name, volet, code):
    login(client, getattr(people, name))
    response = client.get(reverse("cases:note", args=[case.public_id]) + f"?volet={volet}")
    assert response.status_code == code
    if code == 200:
        page = response.content.decode()
        assert (HEALTH_MARK in page) == (volet == "sante")
        assert (JUDICIAL_MARK in page) == (volet == "judiciaire")


def test_closing_without_an_outcome_saves_nothing_and_says_why(client, login, people, case):
    login(client, people.coordinator)
    url = reverse("cases:transition", args=[case.public_id, "close"])
    response = client.post(url, {"version": case.version, "reason": "", "outcome": ""})
    assert response.status_code == 400
    page = response.content.decode()
    assert "Choisissez l’issue du dossier." in page and "Indiquez le motif." in page
    assert "<title>\n    Erreur :" in page or "Erreur :" in page.split("</title>")[0]
    case.refresh_from_db()
    assert case.state == "in_intervention"


def test_a_transition_on_a_stale_version_is_refused_on_its_page(client, login, people, case):
    login(client, people.coordinator)
    url = reverse("cases:transition", args=[case.public_id, "close"])
    stale = case.version
    Case.objects.filter(pk=case.pk).update(version=stale + 1)
    response = client.post(url, {"version": stale, "reason": "Ça va mieux", "outcome": "stopped", "watch_days": "90"})
    assert response.status_code == 400
    assert "rien n’a été enregistré" in response.content.decode().lower()
    case.refresh_from_db()
    assert case.state == "in_intervention"


def test_a_bogus_transition_name_is_404_for_who_may_manage_the_case(client, login, people, case):
    login(client, people.coordinator)
    url = reverse("cases:transition", args=[case.public_id, "teleport"])
    assert client.get(url).status_code == 404
    assert client.post(url, {"version": case.version}).status_code == 404


@pytest.mark.parametrize("version", ["abc", "", "-1", "1e9999"])
@pytest.mark.parametrize("page", ["summary", "transition"])
def test_a_malformed_version_shows_the_form_again_with_what_to_do(client, login, people, case, version, page):
    login(client, people.coordinator)
    if page == "summary":
        url, data = reverse("cases:summary", args=[case.public_id]), {"summary": "Nouveau résumé"}
    else:
        url, data = reverse("cases:transition", args=[case.public_id, "close"]), {"reason": "R", "outcome": "stopped"}
    response = client.post(url, {**data, "version": version})
    assert response.status_code == 400
    page_text = response.content.decode()
    assert "Rechargez la page" in page_text and 'name="version"' in page_text
    case.refresh_from_db()
    assert case.state == "in_intervention" and case.summary != "Nouveau résumé"


def test_closing_from_its_page(client, login, people, case):
    login(client, people.coordinator)
    url = reverse("cases:transition", args=[case.public_id, "close"])
    assert "Issue du dossier" in client.get(url).content.decode()
    response = client.post(url, {"version": case.version, "reason": "Ça va mieux", "outcome": "stopped"})
    assert response.status_code == 302
    case.refresh_from_db()
    assert case.state == "closed"
    # Reached again, the page says it cannot be done any more (no form).
    page = client.get(url).content.decode()
    assert "n’est pas possible" in page and 'name="outcome"' not in page


def test_a_share_posted_twice_is_created_once(client, login, people, case):
    login(client, people.coordinator)
    url = reverse("cases:share", args=[case.public_id])
    data = {
        "organisation": str(people.association_worker.organisation.pk),
        "compartments": ["core"],
        "legal_basis": "convention",
        "expires_on": (timezone.localdate() + timedelta(days=30)).isoformat(),
        "submission_token": new_token(),
    }
    before = Share.objects.filter(case=case).count()
    assert client.post(url, data).status_code == 302
    second = client.post(url, data, follow=True)
    assert "Déjà enregistré" in second.content.decode()
    assert Share.objects.filter(case=case).count() == before + 1


def test_a_share_in_the_past_is_refused_in_french(client, login, people, case):
    login(client, people.coordinator)
    url = reverse("cases:share", args=[case.public_id])
    data = {
        "organisation": str(people.association_worker.organisation.pk),
        "compartments": ["core"],
        "legal_basis": "convention",
        "expires_on": "2000-01-01",
        "submission_token": new_token(),
    }
    before = Share.objects.filter(case=case).count()
    response = client.post(url, data)
    assert response.status_code == 400
    assert "Choisissez une date à venir." in response.content.decode()
    assert Share.objects.filter(case=case).count() == before


def test_an_empty_note_is_refused_and_a_double_post_writes_one(client, login, people, case):
    login(client, people.social_worker)
    url = reverse("cases:note", args=[case.public_id])
    response = client.post(url, {"compartment": "health", "text": "  ", "submission_token": new_token()})
    assert response.status_code == 400
    assert Note.objects.filter(case=case, compartment=Compartment.HEALTH).count() == 1  # the world's own
    data = {"compartment": "health", "text": "Suivi psychologique proposé", "submission_token": new_token()}
    assert client.post(url, data).status_code == 302
    assert "Déjà enregistré" in client.post(url, data, follow=True).content.decode()
    assert Note.objects.filter(case=case, compartment=Compartment.HEALTH).count() == 2


def test_a_follow_up_page_records_once_and_says_so_after(client, login, people, case):
    follow_up = FollowUp.objects.create(case=case, day=7, due_on=timezone.localdate())
    login(client, people.coordinator)
    url = reverse("cases:follow_up", args=[case.public_id, follow_up.public_id])
    prefix = f"suivi-{follow_up.pk}"
    bad = client.post(url, {f"{prefix}-victim_view": "better"})
    assert bad.status_code == 400
    follow_up.refresh_from_db()
    assert follow_up.done_at is None
    data = {f"{prefix}-victim_view": "better", f"{prefix}-wellbeing": "4", f"{prefix}-decision": "close"}
    response = client.post(url, data)
    assert response.status_code == 302
    assert response.url == reverse("cases:transition", args=[case.public_id, "close"])
    again = client.post(url, data)
    assert again.status_code == 400
    assert "déjà enregistré" in again.content.decode()
    assert "Ce point de suivi est déjà enregistré." in client.get(url).content.decode()


def test_the_conflict_page(client, login, people, case):
    teacher = Person.objects.create(
        kind="adult", first_name="Paul", last_name="Enseignant", school=people.school_a_staff.school
    )
    Involvement.objects.create(case=case, person=teacher, role="alleged_author")
    login(client, people.coordinator)
    url = reverse("cases:conflict", args=[case.public_id])
    assert people.school_a_staff.organisation.name in client.get(url).content.decode()
    empty = client.post(url, {"organisation": str(people.school_a_staff.organisation.pk), "reason": ""})
    assert empty.status_code == 400
    assert not case.conflicts.exists()
    done = client.post(url, {"organisation": str(people.school_a_staff.organisation.pk), "reason": "Mis en cause"})
    assert done.status_code == 302
    assert case.conflicts.count() == 1
    client.logout()
    login(client, people.education_referent)
    assert client.get(url).status_code == 403


def test_action_rights_are_the_predicates_for_the_whole_case(people, case):
    """The case page decides once for all the case's actions; the answer is the predicate's, per action."""
    from halte.access import cases as access
    from halte.cases.models import Action

    owners = [people.coordinator, people.social_worker, people.magistrate, people.association_worker, people.police]
    for compartment in (Compartment.CORE, Compartment.HEALTH, Compartment.JUDICIAL):
        for owner in owners:
            Action.objects.create(
                case=case,
                title=f"{compartment} {owner.role}",
                compartment=compartment,
                owner_organisation=owner.organisation,
                created_by=people.coordinator,
            )
    actions = list(Action.objects.filter(case=case).select_related("case"))
    members = [getattr(people, name) for name in ("coordinator", "magistrate", "social_worker")]
    members += [getattr(people, name) for name in ("school_a_staff", "police", "association_worker")]
    for membership in members:
        completable, cancellable = access.action_rights(membership, case, actions)
        assert completable == {a.pk for a in actions if access.can_complete_action(membership, a)}, membership
        assert cancellable == {a.pk for a in actions if access.can_cancel_action(membership, a)}, membership
    case.co_workers.add(people.magistrate)
    completable, cancellable = access.action_rights(people.magistrate, case, actions)
    assert completable == {a.pk for a in actions if access.can_complete_action(people.magistrate, a)}
    assert cancellable == {a.pk for a in actions if access.can_cancel_action(people.magistrate, a)}


def test_linking_to_an_unknown_or_invisible_case_says_so_on_its_page(client, login, people, case, world):
    login(client, people.coordinator)
    url = reverse("cases:link", args=[case.public_id])
    response = client.post(url, {"other": "HS-2099-999999", "kind": "linked", "reason": "Même situation"})
    assert response.status_code == 400
    assert "Aucun dossier ne porte cette référence." in response.content.decode()
    assert not case.links_out.exists()
    done = client.post(url, {"other": world.case_b.reference.lower(), "kind": "linked", "reason": "Même élève"})
    assert done.status_code == 302
    assert case.links_out.count() == 1


def test_the_summary_page_keeps_what_was_typed_when_the_case_changed_meanwhile(client, login, people, case):
    login(client, people.coordinator)
    url = reverse("cases:summary", args=[case.public_id])
    stale = case.version
    Case.objects.filter(pk=case.pk).update(version=stale + 1)
    response = client.post(url, {"version": stale, "summary": "Mon nouveau résumé"})
    assert response.status_code == 400
    page = response.content.decode()
    assert "modifié par quelqu’un d’autre" in page and "Mon nouveau résumé" in page
    case.refresh_from_db()
    assert case.summary == CORE_MARK
