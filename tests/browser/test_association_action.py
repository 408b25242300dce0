"""An association given an action by the cell, in a real browser: the coordinator records the meeting's
decision « Proposer un accompagnement… » for the association with the share it needs; the association's
worker finds it from the notification and in « Nos actions », opens its page, sees whom to call, opens
the case through the share, and completes the action. axe finds nothing on any page."""

import re
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from halte.cases.enums import ActionStatus
from halte.cases.models import Action, Share
from halte.demo.loader import load_demo
from halte.meetings.models import Meeting

from .test_cell_journey import _storage_in_tmp, accessible, nav, open_as, submit  # noqa: F401 - fixtures

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

ASSOCIATION = "Association Parole d'élèves 80 (démonstration)"
TITLE = "Proposer un accompagnement à l’élève victime et à sa mère"


def test_an_association_is_handed_an_action_it_can_do(open_as, accessible):  # noqa: F811
    load_demo()
    meeting = Meeting.objects.get()
    item = meeting.items.get()
    case = item.case
    # Time travel: the meeting started an hour ago, so its minutes can be written.
    Meeting.objects.filter(pk=meeting.pk).update(starts_at=timezone.now() - timedelta(hours=1))

    # 1. The coordinator records the decision, with the share the association needs.
    page = open_as("coordination")
    page.goto(reverse("meetings:item", args=[meeting.public_id, item.public_id]))
    accessible(page)
    assert "n’ont accès à ce dossier que par un partage" in page.locator("main").inner_text()
    page.get_by_role("textbox", name=re.compile("^Compte rendu")).fill(
        "La cellule retient un harcèlement ; l’association accompagne l’élève et sa mère."
    )
    block = page.locator("fieldset", has=page.get_by_text("Nouvelle décision 1", exact=True))
    block.get_by_label("Décision (action à mener)").fill(TITLE)
    block.get_by_label("Structure responsable").select_option(label=ASSOCIATION)
    block.get_by_label("Échéance").fill((timezone.localdate() + timedelta(days=5)).isoformat())
    block.locator("label[for=id_decisions-0-share]").click()  # DSFR checkboxes are styled through their label
    block.get_by_label("Fondement juridique du partage").select_option(value="secret_partage")
    submit(page, page.get_by_role("button", name="Enregistrer le compte rendu"), "Compte rendu enregistré.")
    accessible(page)
    action = Action.objects.get(case=case, owner_organisation__name=ASSOCIATION)
    share = Share.objects.get(case=case, organisation__name=ASSOCIATION)
    assert (share.compartments, share.legal_basis) == (["core"], "secret_partage")

    # 2. The association's worker finds it from the notification.
    association = open_as("association")
    accessible(association)
    nav(association, "Notifications")
    association.wait_for_url("**/notifications/")
    accessible(association)
    association.get_by_role("link", name=f"Nouvelle action pour votre structure (dossier {case.reference})").click()
    association.wait_for_url(f"**/actions/{action.public_id}/")
    accessible(association)

    # …and in « Nos actions ».
    nav(association, "Nos actions")
    association.wait_for_url("**/actions/")
    accessible(association)
    association.locator("tr", has_text=TITLE).get_by_role("link", name=TITLE, exact=True).click()
    association.wait_for_url(f"**/actions/{action.public_id}/")
    accessible(association)
    assert association.locator("main h1").inner_text() == TITLE
    contact = association.locator("section[aria-labelledby='titre-contact']").inner_text()
    lead = case.lead or action.created_by
    assert lead.user.get_full_name() in contact
    assert lead.user.email in contact
    assert lead.organisation.name in contact

    # 3. The case opens through the share.
    association.get_by_role("link", name=f"Ouvrir le dossier {case.reference}").click()
    association.wait_for_url(f"**/dossiers/{case.public_id}/")
    accessible(association)
    association.go_back()
    association.wait_for_url(f"**/actions/{action.public_id}/")

    # 4. Completed from its page: an empty note is refused in French, then the note is kept.
    association.get_by_role("link", name="Marquer comme faite").click()
    association.wait_for_url("**/faite/")
    accessible(association)
    association.get_by_role("button", name="Enregistrer : action faite").click()
    assert "Indiquez ce qui a été fait." in association.locator("main").inner_text()
    accessible(association)
    association.get_by_label("Ce qui a été fait").fill("Premier entretien avec l’élève et sa mère le 9 ; suivi prévu.")
    submit(
        association,
        association.get_by_role("button", name="Enregistrer : action faite"),
        "Action enregistrée comme faite.",
    )
    accessible(association)
    action.refresh_from_db()
    assert action.status == ActionStatus.DONE
    assert action.done_by.user.email.startswith("association@")
