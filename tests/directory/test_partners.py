"""The cell's directory of partners: kept by the coordination of its own département only, journaled,
checked the French way; another département's entries are a 404."""

import pytest
from django.urls import reverse

from halte.audit.models import Action as AuditAction
from halte.audit.models import AuditEvent
from halte.core.submission import new_token
from halte.directory.models import Partner

VALID = {
    "kind": "parquet_minors",
    "name": "Tribunal judiciaire d’Amiens",
    "service": "Parquet des mineurs",
    "address": "14 rue Robert de Luzarches\n80027 Amiens Cedex 1",
    "email": "parquet@exemple.gouv.fr",
    "phone": "0322000000",
    "is_active": "on",
}


def post_new(client, **changes):
    return client.post(reverse("directory:partner_new"), {**VALID, "submission_token": new_token(), **changes})


def test_the_coordinator_adds_a_partner_of_her_departement_journaled(client, login, people):
    login(client, people.coordinator)
    response = post_new(client)
    assert response.status_code == 302
    partner = Partner.objects.get()
    assert partner.departement == people.coordinator.organisation.departement
    assert partner.phone == "03 22 00 00 00"
    assert partner.address_lines() == ["14 rue Robert de Luzarches", "80027 Amiens Cedex 1"]
    event = AuditEvent.objects.get(action=AuditAction.PARTNER_CREATED)
    assert event.membership == people.coordinator
    page = client.get(reverse("directory:partners")).content.decode()
    assert "Tribunal judiciaire d’Amiens" in page


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("address", "14 rue Robert de Luzarches", "code postal à 5 chiffres"),
        ("phone", "12345", "numéro de téléphone français"),
        ("email", "pas-une-adresse", "adresse électronique valide"),
        ("kind", "", "Ce champ est obligatoire"),
    ],
)
def test_bad_input_gets_a_french_message(client, login, people, field, value, message):
    login(client, people.coordinator)
    response = post_new(client, **{field: value})
    assert response.status_code == 400
    assert message in response.content.decode()
    assert not Partner.objects.exists()


def test_a_duplicate_is_refused_without_a_500(client, login, people):
    login(client, people.coordinator)
    assert post_new(client).status_code == 302
    response = post_new(client)
    assert response.status_code == 400
    assert "déjà dans l’annuaire" in response.content.decode()
    assert Partner.objects.count() == 1


def test_a_double_submit_creates_one_partner(client, login, people):
    login(client, people.coordinator)
    token = new_token()
    client.post(reverse("directory:partner_new"), {**VALID, "submission_token": token})
    client.post(reverse("directory:partner_new"), {**VALID, "submission_token": token})
    assert Partner.objects.count() == 1


def test_edit_is_journaled_with_the_fields_changed(client, login, people):
    login(client, people.coordinator)
    post_new(client)
    partner = Partner.objects.get()
    response = client.post(
        reverse("directory:partner_edit", args=[partner.public_id]),
        {**VALID, "phone": "+33 3 22 11 11 11", "submission_token": new_token()},
    )
    assert response.status_code == 302
    partner.refresh_from_db()
    assert partner.phone == "+33322111111"
    event = AuditEvent.objects.get(action=AuditAction.PARTNER_CHANGED)
    assert event.detail["fields"] == ["phone"]


def test_another_departement_s_partner_is_a_404(client, login, people):
    other = Partner.objects.create(
        departement="060", kind="crip", name="Conseil départemental de l’Oise", address="1 rue X\n60000 Beauvais"
    )
    login(client, people.coordinator)
    assert client.get(reverse("directory:partner_edit", args=[other.public_id])).status_code == 404
    response = client.post(reverse("directory:partner_edit", args=[other.public_id]), {**VALID})
    assert response.status_code == 404
    assert "Oise" not in client.get(reverse("directory:partners")).content.decode()


@pytest.mark.parametrize("name", ["magistrate", "social_worker", "school_a_staff", "police", "admin"])
def test_other_roles_may_not_edit(client, login, people, name):
    partner = Partner.objects.create(
        departement=people.coordinator.organisation.departement,
        kind="crip",
        name="CRIP",
        address="1 rue X\n80000 Amiens",
    )
    login(client, getattr(people, name))
    assert client.post(reverse("directory:partner_edit", args=[partner.public_id]), VALID).status_code == 403
    assert post_new(client).status_code == 403
    partner.refresh_from_db()
    assert partner.name == "CRIP"


def test_the_list_has_a_fixed_number_of_queries(client, login, people, django_assert_max_num_queries):
    for index in range(5):
        Partner.objects.create(
            departement=people.coordinator.organisation.departement,
            kind="police",
            name=f"Commissariat {index}",
            address="1 rue X\n80000 Amiens",
        )
    login(client, people.coordinator)
    client.get(reverse("directory:partners"))
    with django_assert_max_num_queries(12):
        response = client.get(reverse("directory:partners"))
    assert response.content.decode().count("Commissariat") == 5
