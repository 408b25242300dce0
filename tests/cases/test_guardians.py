"""People who can be reached: a pupil's guardians (several per pupil, relationship, parental authority),
added from the case page by picking an adult of the case or entering one, and the adults' contact
details, validated in French. Refused to whom it is not for; 404 outside the case."""

import pytest
from django.urls import reverse

from halte.audit.models import Action, AuditEvent
from halte.cases import guardians
from halte.cases.models import Guardianship, Involvement, Person
from halte.core.submission import new_token
from tests.interventions.conftest import involve


def guardian_url(case, pupil):
    return reverse("cases:guardian_add", args=[case.public_id, pupil.public_id])


def contact_url(case, person):
    return reverse("cases:person_contact", args=[case.public_id, person.public_id])


def new_guardian(**overrides):
    data = {
        "existing": "",
        "first_name": "Claire",
        "last_name": "Martin",
        "phone": "06.12.34.56.78",
        "email": "claire.martin@exemple.fr",
        "address": "3 rue des Lilas\n80000 Amiens",
        "relationship": "mother",
        "parental_authority": "1",
        "submission_token": new_token(),
    }
    data.update(overrides)
    return data


@pytest.fixture
def pupil(world):
    return involve(world.case_a, "victim", "Léa", "Martin")


def test_two_guardians_per_pupil_one_entered_one_picked_among_the_adults(client, login, people, world, pupil):
    father = involve(world.case_a, "reporter", "Paul", "Martin", kind="adult")
    login(client, people.school_a_staff)
    page = client.get(guardian_url(world.case_a, pupil))
    assert page.status_code == 200
    assert "Paul Martin" in page.content.decode()  # the adults of the case are offered
    assert client.post(guardian_url(world.case_a, pupil), new_guardian()).status_code == 302
    picked = new_guardian(existing=str(father.public_id), first_name="", relationship="father", parental_authority="1")
    assert client.post(guardian_url(world.case_a, pupil), picked).status_code == 302
    links = list(Guardianship.objects.filter(child=pupil).order_by("id").select_related("guardian"))
    assert [(link.guardian.first_name, link.relationship, link.parental_authority) for link in links] == [
        ("Claire", "mother", True),
        ("Paul", "father", True),
    ]
    mother = links[0].guardian
    assert (mother.kind, mother.phone, mother.email, mother.address) == (
        "adult",
        "06 12 34 56 78",
        "claire.martin@exemple.fr",
        "3 rue des Lilas\n80000 Amiens",
    )
    # Both are guardians of the case now; the father keeps his other role.
    roles = set(Involvement.objects.filter(case=world.case_a, role="guardian").values_list("person__first_name"))
    assert roles == {("Claire",), ("Paul",)}
    assert AuditEvent.objects.filter(action=Action.CASE_PERSON_ADDED, detail__role="guardian").count() == 2
    html = client.get(reverse("cases:detail", args=[world.case_a.public_id])).content.decode()
    assert "Claire Martin</strong> — Mère" in html
    assert "Paul Martin</strong> — Père" in html
    assert "06 12 34 56 78" in html


def test_the_same_guardian_twice_is_refused_in_french(client, login, people, world, pupil):
    login(client, people.coordinator)
    client.post(guardian_url(world.case_a, pupil), new_guardian())
    mother = Guardianship.objects.get().guardian
    # Forged: the form no longer offers her, the action refuses her.
    again = new_guardian(existing=str(mother.public_id))
    response = client.post(guardian_url(world.case_a, pupil), again)
    assert response.status_code == 400
    with pytest.raises(guardians.GuardianRefused, match="déjà enregistré"):
        guardians.add_guardian(
            case=world.case_a,
            actor=people.coordinator,
            child=pupil,
            guardian=mother,
            relationship="mother",
            parental_authority=True,
        )
    assert Guardianship.objects.count() == 1


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("phone", "12345", "Numéro de téléphone non reconnu"),
        ("phone", "06 12 34 56 7", "Numéro de téléphone non reconnu"),
        ("email", "claire.martin@", "Adresse électronique non reconnue"),
        ("first_name", "", "Indiquez le prénom, ou choisissez un adulte déjà dans le dossier."),
        ("relationship", "grandmother", "Choisissez le lien avec l’élève."),
        ("parental_authority", "", "Indiquez si cette personne exerce l’autorité parentale."),
    ],
)
def test_bad_input_is_refused_in_french_and_nothing_saved(client, login, people, world, pupil, field, value, message):
    login(client, people.coordinator)
    response = client.post(guardian_url(world.case_a, pupil), new_guardian(**{field: value}))
    assert response.status_code == 400
    assert message in response.content.decode()
    assert not Guardianship.objects.exists()
    assert not Person.objects.filter(first_name="Claire").exists()


@pytest.mark.parametrize(
    ("typed", "kept"),
    [("0612345678", "06 12 34 56 78"), ("+33 6 12 34 56 78", "06 12 34 56 78"), ("+32 470 12 34 56", "+32470123456")],
)
def test_phones_are_kept_in_one_spelling(typed, kept):
    assert guardians.normalise_phone(typed) == kept


def test_who_may_not_gets_403_and_an_outsider_404(client, login, people, world, pupil):
    for name in ("police", "magistrate", "association_worker"):
        login(client, getattr(people, name))
        assert client.get(guardian_url(world.case_a, pupil)).status_code in (403, 404), name
        assert client.post(guardian_url(world.case_a, pupil), new_guardian()).status_code in (403, 404), name
    login(client, people.school_b_staff)
    assert client.get(guardian_url(world.case_a, pupil)).status_code == 404
    assert not Guardianship.objects.exists()


def test_a_guardian_is_for_a_pupil_of_this_case_only(client, login, people, world, pupil):
    elsewhere = involve(world.case_b, "victim", "Zoé", "Ailleurs")
    adult = involve(world.case_a, "reporter", "Sophie", "Leroy", kind="adult")
    login(client, people.coordinator)
    assert client.get(guardian_url(world.case_a, elsewhere)).status_code == 404
    assert client.get(guardian_url(world.case_a, adult)).status_code == 404  # an adult has no guardian here
    stranger = Person.objects.create(kind="adult", first_name="Jean", last_name="Inconnu")
    response = client.post(guardian_url(world.case_a, pupil), new_guardian(existing=str(stranger.public_id)))
    assert response.status_code == 400  # not among the choices
    with pytest.raises(guardians.GuardianRefused):
        guardians.add_guardian(
            case=world.case_a,
            actor=people.coordinator,
            child=pupil,
            guardian=stranger,
            relationship="other",
            parental_authority=False,
        )
    assert not Guardianship.objects.exists()


def test_an_adult_s_contact_details_are_edited_and_validated(client, login, people, world):
    adult = involve(world.case_a, "guardian", "Marc", "Bernard", kind="adult")
    login(client, people.school_a_staff)
    url = contact_url(world.case_a, adult)
    assert client.get(url).status_code == 200
    bad = client.post(url, {"phone": "abc", "email": "", "address": "", "submission_token": new_token()})
    assert bad.status_code == 400
    assert "Numéro de téléphone non reconnu" in bad.content.decode()
    data = {"phone": "03 22 00 00 00", "email": "m.bernard@exemple.fr", "address": "1 place Gambetta 80000 Amiens"}
    assert client.post(url, {**data, "submission_token": new_token()}).status_code == 302
    adult.refresh_from_db()
    assert (adult.phone, adult.email, adult.address) == (data["phone"], data["email"], data["address"])
    login(client, people.school_b_staff)
    assert client.get(url).status_code == 404


def _years_ago(years: int, days: int = 0):
    from datetime import timedelta

    from django.utils import timezone

    today = timezone.localdate()
    return (today.replace(year=today.year - years, day=min(today.day, 28)) + timedelta(days=days)).isoformat()


def test_a_pupil_is_added_with_an_address_but_no_phone_nor_email(client, login, people, world):
    login(client, people.coordinator)
    url = reverse("cases:add_person", args=[world.case_a.public_id])
    pupil = {"role": "victim", "kind": "pupil", "first_name": "Léa", "last_name": "Nouvelle"}
    response = client.post(url, {**pupil, "phone": "06 12 34 56 78", "submission_token": new_token()})
    assert "Le téléphone et l’adresse électronique d’un élève sont ceux de ses représentants légaux" in (
        response.content.decode()
    )
    response = client.post(url, {**pupil, "birth_date": _years_ago(2), "submission_token": new_token()})
    assert "Un élève a au moins 3 ans" in response.content.decode()
    assert not Person.objects.filter(last_name="Nouvelle").exists()
    data = {**pupil, "birth_date": "2013-05-06", "address": "3 rue des Lilas\n80000 Amiens"}
    assert client.post(url, {**data, "submission_token": new_token()}).status_code == 302
    added = Person.objects.get(last_name="Nouvelle")
    assert (added.birth_date.isoformat(), added.address) == ("2013-05-06", "3 rue des Lilas\n80000 Amiens")


@pytest.mark.parametrize(
    ("birth_date", "message"),
    [
        (_years_ago(-1), "La date de naissance ne peut pas être dans le futur."),
        (_years_ago(2, days=10), "Un élève a au moins 3 ans"),
        (_years_ago(26, days=-10), "Un élève a au plus 25 ans"),
        ("31/02/2013", "Date non reconnue"),
    ],
)
def test_a_pupil_s_birth_date_is_refused_in_french(client, login, people, world, pupil, birth_date, message):
    login(client, people.school_a_staff)
    response = client.post(
        contact_url(world.case_a, pupil),
        {"birth_date": birth_date, "address": "1 rue Haute", "submission_token": new_token()},
    )
    assert response.status_code == 400
    assert message in response.content.decode()
    pupil.refresh_from_db()
    assert (pupil.birth_date, pupil.address) == (None, "")


def test_a_pupil_s_birth_date_and_address_are_entered_on_her_page(client, login, people, world, pupil):
    login(client, people.school_a_staff)
    url = contact_url(world.case_a, pupil)
    page = client.get(url).content.decode()
    assert "Date de naissance" in page and "Adresse postale" in page
    assert 'name="phone"' not in page and 'name="email"' not in page  # a pupil's are their guardians'
    data = {"birth_date": "2013-05-06", "address": " 3 rue des Lilas \n\n80000 Amiens", "phone": "06 12 34 56 78"}
    assert client.post(url, {**data, "submission_token": new_token()}).status_code == 302
    pupil.refresh_from_db()
    assert (pupil.birth_date.isoformat(), pupil.address, pupil.phone) == (
        "2013-05-06",
        "3 rue des Lilas\n80000 Amiens",
        "",
    )
    case_page = client.get(reverse("cases:detail", args=[world.case_a.public_id])).content.decode()
    assert "06/05/2013" in case_page
    assert AuditEvent.objects.filter(action=Action.CASE_CHANGED, detail__field="pupil_identity").count() == 1
    from datetime import date

    with pytest.raises(guardians.GuardianRefused):  # the action checks it too
        guardians.update_pupil_identity(
            case=world.case_a, actor=people.coordinator, person=pupil, birth_date=date(1990, 1, 1), address=""
        )
    login(client, people.school_b_staff)
    assert client.get(url).status_code == 404
    login(client, people.police)
    assert client.post(url, {**data, "submission_token": new_token()}).status_code in (403, 404)


def test_the_edit_page_says_the_person_is_in_other_cases_without_naming_them(client, login, people, world):
    """A person record is shared between cases: editing it from one case changes it in the others. The
    school of case A is told how many, never which (it cannot read school B's case)."""
    adult = involve(world.case_a, "guardian", "Marc", "Bernard", kind="adult")
    url = contact_url(world.case_a, adult)
    login(client, people.school_a_staff)
    alone = client.get(url).content.decode()
    assert "figure aussi dans" not in alone
    Involvement.objects.create(case=world.case_b, person=adult, role="guardian")
    Involvement.objects.create(case=world.revoked, person=adult, role="reporter")
    html = client.get(url).content.decode()
    assert "Cette personne figure aussi dans 2 autres dossiers : la modification s’y appliquera." in html
    for other in (world.case_b, world.revoked):
        assert other.reference not in html
        assert str(other.public_id) not in html
    child = involve(world.case_a, "victim", "Jo", "Bernard")
    Involvement.objects.create(case=world.case_b, person=child, role="witness")
    page = client.get(guardian_url(world.case_a, child)).content.decode()
    assert "Cette personne figure aussi dans 1 autre dossier : la modification s’y appliquera." in page


def test_a_pupil_cannot_be_added_as_a_legal_guardian(client, login, people, world):
    login(client, people.coordinator)
    url = reverse("cases:add_person", args=[world.case_a.public_id])
    data = {"role": "guardian", "kind": "pupil", "first_name": "Kid", "last_name": "Tuteur"}
    response = client.post(url, {**data, "submission_token": new_token()})
    assert "Un élève ne peut pas être représentant légal" in response.content.decode()
    assert not Person.objects.filter(last_name="Tuteur").exists()
