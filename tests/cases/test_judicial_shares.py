"""Sharing is decided per compartment: the parquet (magistrate, délégué du procureur) shares the judicial
part, the coordination the core and the health part but never the judicial part it does not read; the
school shares nothing. The form offers only what one may share, and a forged POST is refused."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from halte.access import cases as access
from halte.accounts.models import OrganisationKind, Role
from halte.cases import actions
from halte.cases.models import Share
from halte.core.submission import new_token
from tests.factories import MembershipFactory, OrganisationFactory

UNTIL = (timezone.localdate() + timedelta(days=60)).isoformat()


def share_data(people, compartments, basis="art40"):
    return {
        "organisation": str(people.police.organisation.pk),
        "compartments": compartments,
        "legal_basis": basis,
        "expires_on": UNTIL,
        "submission_token": new_token(),
    }


def offered(page: str) -> set[str]:
    """The compartments the share page's form offers."""
    form = page
    return {code for code in ("core", "health", "judicial") if f'name="compartments" value="{code}"' in form}


@pytest.mark.parametrize(
    ("name", "choices"),
    [
        ("coordinator", {"core", "health"}),
        ("magistrate", {"core", "judicial"}),
        ("prosecutor_delegate", {"core", "judicial"}),
        ("school_a_staff", set()),
        ("social_worker", set()),
        ("police", set()),
    ],
)
def test_the_form_offers_only_what_one_may_share(client, login, people, world, name, choices):
    login(client, getattr(people, name))
    page = client.get(reverse("cases:detail", args=[world.case_a.public_id])).content.decode()
    if not choices:
        assert 'id="titre-partages"' not in page
    else:
        assert reverse("cases:share", args=[world.case_a.public_id]) in page  # the share page's link
        form_page = client.get(reverse("cases:share", args=[world.case_a.public_id])).content.decode()
        assert offered(form_page) == choices
    assert set(access.share_compartments_for(getattr(people, name), world.case_a)) == choices


def test_a_forged_judicial_share_by_the_coordinator_is_refused(client, login, people, world):
    before = Share.objects.count()
    login(client, people.coordinator)
    for compartments in (["judicial"], ["core", "judicial"]):
        response = client.post(reverse("cases:share", args=[world.case_b.public_id]), share_data(people, compartments))
        assert response.status_code == 400  # the share page again, with what is wrong
        assert Share.objects.count() == before
    assert "Ce volet ne peut pas être partagé" in response.content.decode()
    with pytest.raises(actions.ActionRefused):
        actions.share(
            case=world.case_b,
            actor=people.coordinator,
            organisation=people.police.organisation,
            compartments=["judicial"],
            legal_basis="art40",
            expires_on=timezone.localdate() + timedelta(days=5),
        )
    assert Share.objects.count() == before


def test_the_magistrate_shares_the_judicial_part_and_revokes_it(client, login, people, world):
    login(client, people.magistrate)
    response = client.post(
        reverse("cases:share", args=[world.case_b.public_id]), share_data(people, ["core", "judicial"])
    )
    assert response.status_code == 302
    share = Share.objects.get(case=world.case_b, revoked_at__isnull=True)
    assert share.compartments == ["core", "judicial"] and share.created_by == people.magistrate
    assert share.expires_on.isoformat() == UNTIL
    assert access.compartments(people.police, world.case_b) == {"core", "judicial"}
    # The coordinator neither sees this share nor may revoke it: it does not exist for her.
    client.logout()
    login(client, people.coordinator)
    page = client.get(reverse("cases:detail", args=[world.case_b.public_id])).content.decode()
    assert str(share.public_id) not in page
    revoke = reverse("cases:revoke_share", args=[world.case_b.public_id, share.public_id])
    assert client.post(revoke).status_code == 404
    with pytest.raises(actions.ActionRefused):
        actions.revoke_share(share=share, actor=people.coordinator)
    share.refresh_from_db()
    assert share.revoked_at is None
    client.logout()
    login(client, people.prosecutor_delegate)
    assert client.post(revoke).status_code == 302
    share.refresh_from_db()
    assert share.revoked_at is not None and share.revoked_by == people.prosecutor_delegate


@pytest.mark.parametrize("name", ["school_a_staff", "police", "social_worker", "education_referent"])
def test_others_may_not_share_at_all(client, login, people, world, name):
    login(client, getattr(people, name))
    response = client.post(reverse("cases:share", args=[world.case_a.public_id]), share_data(people, ["core"]))
    assert response.status_code == 403
    assert not Share.objects.filter(case=world.case_a, organisation=people.police.organisation, compartments=["core"])


def test_the_school_staff_cannot_share_its_own_case_even_the_core(client, login, people, world):
    login(client, people.school_a_staff)
    data = share_data(people, ["judicial"])
    assert client.post(reverse("cases:share", args=[world.case_a.public_id]), data).status_code == 403
    assert client.post(reverse("cases:share", args=[world.case_b.public_id]), data).status_code == 404


# The judicial part (qualification, investigation, the parquet's decisions) goes to the parquet's side
# and to the police or gendarmerie unit it works with — never to an association, a local authority, the
# Département, the Région, the prefecture, the DSDEN or a school, whatever the legal basis.
JUDICIAL_RECIPIENTS = {OrganisationKind.PARQUET, OrganisationKind.POLICE, OrganisationKind.GENDARMERIE}


@pytest.mark.parametrize("kind", [kind for kind in OrganisationKind.values if kind not in JUDICIAL_RECIPIENTS])
def test_the_judicial_part_is_never_shared_outside_the_parquet_police_and_gendarmerie(people, world, kind):
    if kind == OrganisationKind.SCHOOL:
        organisation = people.school_b_staff.organisation
    else:
        organisation = OrganisationFactory(kind=kind)
    until = timezone.localdate() + timedelta(days=60)
    with pytest.raises(actions.ActionRefused, match="ne peuvent pas être partagés"):
        actions.share(
            case=world.case_a,
            actor=people.magistrate,
            organisation=organisation,
            compartments=["judicial"],
            legal_basis="art40",
            expires_on=until,
        )
    assert "judicial" not in access.shareable_compartments(organisation)
    # A share written before this rule grants nothing of the judicial part either.
    Share.objects.create(
        case=world.case_a,
        organisation=organisation,
        compartments=["core", "judicial"],
        legal_basis="convention",
        expires_on=until,
        created_by=people.magistrate,
    )
    member = MembershipFactory(organisation=organisation, role=Role.ASSOCIATION_WORKER)
    assert "judicial" not in access.compartments(member, world.case_a)


@pytest.mark.parametrize("kind", sorted(JUDICIAL_RECIPIENTS))
def test_the_magistrate_may_share_the_judicial_part_with_the_parquet_police_and_gendarmerie(people, world, kind):
    organisation = OrganisationFactory(kind=kind)
    row = actions.share(
        case=world.case_a,
        actor=people.magistrate,
        organisation=organisation,
        compartments=["judicial"],
        legal_basis="art40",
        expires_on=timezone.localdate() + timedelta(days=60),
    )
    assert row.compartments == ["judicial"]


def test_a_forged_compartment_is_refused_in_words_never_in_its_code(client, login, people, world):
    login(client, people.coordinator)
    response = client.post(reverse("cases:share", args=[world.case_b.public_id]), share_data(people, ["judicial"]))
    assert response.status_code == 400
    errors = " ".join(str(e) for e in response.context["form"].errors.get("compartments", []))
    assert "Ce volet ne peut pas être partagé" in errors
    assert "judicial" not in errors
    assert "judicial" not in response.content.decode().split("<main", 1)[1]
