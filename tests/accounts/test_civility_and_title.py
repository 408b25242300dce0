"""A person sets her civility and her own title on « Mon compte »; role labels then agree with her."""

from django.urls import reverse

from halte.audit.models import Action as AuditAction
from halte.audit.models import AuditEvent


def test_she_sets_her_civility_and_title_journaled(client, login, people):
    login(client, people.school_a_staff)
    response = client.post(
        reverse("accounts:account"), {"civility": "mme", "title": "  Conseillère principale   d’éducation "}
    )
    assert response.status_code == 302
    user = people.school_a_staff.user
    user.refresh_from_db()
    assert (user.civility, user.title) == ("mme", "Conseillère principale d’éducation")
    assert AuditEvent.objects.get(action=AuditAction.USER_CHANGED).detail["fields"] == ["civility", "title"]
    page = client.get(reverse("accounts:account")).content.decode()
    assert "Mme " in page and "Conseillère principale d’éducation" in page


def test_bad_input_is_refused(client, login, people):
    login(client, people.coordinator)
    assert client.post(reverse("accounts:account"), {"civility": "dr", "title": ""}).status_code == 400
    assert client.post(reverse("accounts:account"), {"civility": "", "title": "x" * 151}).status_code == 400
    assert client.post(reverse("accounts:account"), {"civility": "", "title": "<b>chef</b>"}).status_code == 400
    people.coordinator.user.refresh_from_db()
    assert people.coordinator.user.title == ""


def test_role_labels_agree_with_the_person(people):
    social = people.social_worker
    assert social.role_label() == "Travailleur social ou travailleuse sociale"
    social.user.civility = "mme"
    assert social.role_label() == "Travailleuse sociale"
    social.user.civility = "m"
    assert social.role_label() == "Travailleur social"
    coordinator = people.coordinator
    coordinator.user.civility = "mme"
    assert coordinator.role_label() == "Coordinatrice de la cellule"
    coordinator.user.title = "Coordinatrice départementale"
    assert coordinator.person_title() == "Coordinatrice départementale"
    assert coordinator.user.formal_name().startswith("Mme ")


def test_the_administrator_edits_civility_and_title(client, login, people):
    login(client, people.admin)
    user = people.school_a_staff.user
    page = client.get(reverse("admin:accounts_user_change", args=[user.pk])).content.decode()
    assert 'name="civility"' in page and 'name="title"' in page
