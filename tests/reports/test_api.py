"""POST /api/v1/reports and GET /api/v1/reports/{id}: reports from partner platforms, by API key."""

import json
import uuid
from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from halte.accounts.models import OrganisationKind
from halte.audit.models import Action, AuditEvent
from halte.reports import api as reports_api
from halte.reports import apikeys
from halte.reports.models import ApiKey, IdempotencyRecord, Report
from tests.factories import OrganisationFactory

URL = "/api/v1/reports"


@pytest.fixture(autouse=True)
def _vault_in_tmp(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.VAR_DIR = tmp_path


def body(**overrides):
    data = {
        "reporter_kind": "parent",
        "description": "Ma fille reçoit des insultes tous les jours sur Snapchat depuis la rentrée.",
        "school_text": "Collège du bourg",
        "forms": ["verbal", "cyber"],
        "platforms": ["snapchat"],
        "pupils": [{"first_name": "Inès", "role": "victim", "class_name": "4e A"}],
        "stop_harcelement_id": "3018-2026-0042",
    }
    data.update(overrides)
    return data


def post(client, data, key=None, **headers):
    if key is not None:
        headers["HTTP_X_API_KEY"] = key
    return client.post(URL, json.dumps(data), content_type="application/json", **headers)


def get(client, public_id, key):
    return client.get(f"{URL}/{public_id}", HTTP_X_API_KEY=key)


# --- Creating -----------------------------------------------------------------------------------


def test_a_valid_key_creates_a_report_on_the_api_channel(client, raw_key, partner):
    response = post(client, body(), raw_key)

    assert response.status_code == 201, response.content
    answer = response.json()
    assert set(answer) == {"reference", "id", "status", "is_worrying", "received_at"}
    report = Report.objects.get(public_id=answer["id"])
    assert answer["reference"] == report.reference
    assert answer["status"] == "received"
    assert answer["is_worrying"] is False
    assert report.channel == "api"
    assert report.api_key.organisation == partner
    assert report.created_by is None
    assert report.forms == ["cyber", "verbal"]
    assert report.stop_harcelement_id == "3018-2026-0042"
    assert [(p.first_name, p.role, p.class_name) for p in report.pupils.all()] == [("Inès", "victim", "4e A")]
    assert response["Location"] == f"{URL}/{report.public_id}"


def test_the_bearer_header_is_accepted_too(client, raw_key):
    response = post(client, body(), HTTP_AUTHORIZATION=f"Bearer {raw_key}")

    assert response.status_code == 201, response.content


def test_receiving_a_report_is_journaled(client, raw_key):
    report_id = post(client, body(), raw_key).json()["id"]

    event = AuditEvent.objects.get(action=Action.REPORT_RECEIVED, target_id=report_id)
    assert event.detail["channel"] == "api"
    assert event.actor is None


def test_a_school_known_to_the_directory_is_linked(client, raw_key, people):
    response = post(client, body(school_uai="0800020m", school_text=""), raw_key)

    assert response.status_code == 201, response.content
    report = Report.objects.get(public_id=response.json()["id"])
    assert report.school.uai == "0800020M"


def test_anonymous_reports_keep_no_contact_details(client, raw_key):
    response = post(
        client, body(is_anonymous=True, reporter_name="Léa Martin", reporter_email="lea@exemple.fr"), raw_key
    )

    report = Report.objects.get(public_id=response.json()["id"])
    assert (report.reporter_name, report.reporter_email) == ("", "")


def test_a_worrying_text_makes_a_worrying_report(client, raw_key):
    response = post(client, body(description="Mon fils dit qu'il parle de se suicider à cause d'eux."), raw_key)

    assert response.status_code == 201, response.content
    assert response.json()["is_worrying"] is True
    assert Report.objects.get(public_id=response.json()["id"]).is_worrying


def test_received_at_is_kept(client, raw_key):
    when = (timezone.now() - timedelta(days=2)).replace(microsecond=0)

    response = post(client, body(received_at=when.isoformat()), raw_key)

    assert response.status_code == 201, response.content
    assert Report.objects.get(public_id=response.json()["id"]).received_at == when


# --- Idempotency ----------------------------------------------------------------------------------


def test_the_same_idempotency_key_twice_creates_one_report(client, raw_key):
    first = post(client, body(), raw_key, HTTP_IDEMPOTENCY_KEY="envoi-0001")
    second = post(client, body(), raw_key, HTTP_IDEMPOTENCY_KEY="envoi-0001")

    assert first.status_code == 201, first.content
    assert second.status_code == 200, second.content
    assert second["Idempotent-Replayed"] == "true"
    assert "Idempotent-Replayed" not in first
    assert second.json() == first.json()
    assert Report.objects.count() == 1
    assert IdempotencyRecord.objects.count() == 1


def test_a_retry_listing_the_same_forms_in_another_order_is_the_same_body(client, raw_key):
    first = post(client, body(forms=["verbal", "cyber"]), raw_key, HTTP_IDEMPOTENCY_KEY="envoi-0002")
    second = post(client, body(forms=["cyber", "verbal", "cyber"]), raw_key, HTTP_IDEMPOTENCY_KEY="envoi-0002")

    assert (first.status_code, second.status_code) == (201, 200)
    assert Report.objects.count() == 1


def test_the_same_idempotency_key_with_another_body_is_a_conflict(client, raw_key):
    assert post(client, body(), raw_key, HTTP_IDEMPOTENCY_KEY="envoi-0003").status_code == 201

    response = post(client, body(description="Un tout autre récit."), raw_key, HTTP_IDEMPOTENCY_KEY="envoi-0003")

    assert response.status_code == 409
    assert "clé d’idempotence" in response.json()["detail"]
    assert Report.objects.count() == 1


def test_without_idempotency_key_two_calls_make_two_reports(client, raw_key):
    first = post(client, body(), raw_key)
    second = post(client, body(), raw_key)

    assert (first.status_code, second.status_code) == (201, 201)
    assert first.json()["reference"] != second.json()["reference"]
    assert Report.objects.count() == 2


def test_idempotency_keys_belong_to_one_api_key(client, raw_key, partner):
    _other, other_raw = apikeys.create_key(organisation=partner, name="Seconde clé")

    assert post(client, body(), raw_key, HTTP_IDEMPOTENCY_KEY="envoi-0004").status_code == 201
    assert post(client, body(), other_raw, HTTP_IDEMPOTENCY_KEY="envoi-0004").status_code == 201
    assert Report.objects.count() == 2


def test_a_race_between_identical_calls_still_makes_one_report(client, raw_key, monkeypatch):
    """Both calls pass the look-up before either commits: the unique constraint decides."""
    first = post(client, body(), raw_key, HTTP_IDEMPOTENCY_KEY="envoi-0005")
    looked_up = []

    def missed_previous_record(api_key, key):
        looked_up.append(key)
        if len(looked_up) == 1:
            return None  # the first look-up runs before the other call committed
        return IdempotencyRecord.objects.select_related("report").filter(api_key=api_key, key=key).first()

    monkeypatch.setattr(reports_api, "_previous_record", missed_previous_record)
    second = post(client, body(), raw_key, HTTP_IDEMPOTENCY_KEY="envoi-0005")

    assert second.status_code == 200, second.content
    assert second["Idempotent-Replayed"] == "true"
    assert second.json()["reference"] == first.json()["reference"]
    assert looked_up == ["envoi-0005", "envoi-0005"]
    assert Report.objects.count() == 1
    assert AuditEvent.objects.filter(action=Action.REPORT_RECEIVED).count() == 1


@pytest.mark.parametrize("idempotency_key", ["a" * 201, "avec espace", "accentué"])
def test_a_malformed_idempotency_key_is_refused(client, raw_key, idempotency_key):
    response = post(client, body(), raw_key, HTTP_IDEMPOTENCY_KEY=idempotency_key)

    assert response.status_code == 422
    assert Report.objects.count() == 0


# --- Authentication -------------------------------------------------------------------------------


def test_a_revoked_key_is_refused(client, raw_key, partner):
    apikeys.revoke(key=ApiKey.objects.get(organisation=partner))

    response = post(client, body(), raw_key)

    assert response.status_code == 401
    assert response.json() == {"detail": "Clé d’API absente, inconnue ou révoquée."}
    assert Report.objects.count() == 0


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"HTTP_X_API_KEY": "halte_abcdefgh_" + "x" * 43},
        {"HTTP_X_API_KEY": "n'importe quoi"},
        {"HTTP_X_API_KEY": ""},
        {"HTTP_AUTHORIZATION": "Basic dXNlcjpwYXNz"},
        {"HTTP_AUTHORIZATION": "Bearer halte_abcdefgh_" + "x" * 43},
    ],
    ids=["no-key", "unknown-key", "garbage", "empty", "basic-auth", "unknown-bearer"],
)
def test_a_missing_or_unknown_key_is_refused(client, raw_key, headers):
    response = post(client, body(), **headers)

    assert response.status_code == 401
    assert response.json()["detail"] == "Clé d’API absente, inconnue ou révoquée."
    assert Report.objects.count() == 0


def test_a_right_prefix_with_a_wrong_secret_is_refused(client, raw_key):
    prefix = apikeys.parse(raw_key)[0]

    assert post(client, body(), f"halte_{prefix}_{'A' * 43}").status_code == 401


def test_the_key_of_an_inactive_organisation_is_refused(client, raw_key, partner):
    partner.is_active = False
    partner.save()

    assert post(client, body(), raw_key).status_code == 401
    assert Report.objects.count() == 0


def test_last_used_is_written_at_most_once_a_minute(client, raw_key, partner):
    key = ApiKey.objects.get(organisation=partner)
    assert key.last_used_at is None

    post(client, body(), raw_key)
    key.refresh_from_db()
    first_use = key.last_used_at
    assert first_use is not None
    post(client, body(), raw_key)
    key.refresh_from_db()
    assert key.last_used_at == first_use

    ApiKey.objects.filter(pk=key.pk).update(last_used_at=first_use - timedelta(minutes=5))
    post(client, body(), raw_key)
    key.refresh_from_db()
    assert key.last_used_at > first_use


def test_the_key_is_stored_only_as_a_digest(raw_key, partner):
    key = ApiKey.objects.get(organisation=partner)
    prefix, secret = apikeys.parse(raw_key)

    assert raw_key.startswith(f"halte_{key.prefix}_")
    assert prefix == key.prefix
    assert len(key.prefix) == 8
    assert len(secret) >= 32
    assert key.digest == apikeys.digest(raw_key)
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names():
            quoted = connection.ops.quote_name(table)
            cursor.execute(f"SELECT * FROM {quoted}")  # noqa: S608 - table names from introspection
            for row in cursor.fetchall():
                for value in row:
                    assert secret not in str(value), table


def test_creating_and_revoking_a_key_is_journaled(partner, people):
    key, _raw = apikeys.create_key(organisation=partner, name="Clé de test", actor=people.admin)
    apikeys.revoke(key=key, actor=people.admin)
    apikeys.revoke(key=key, actor=people.admin)  # a second revocation changes nothing

    created = AuditEvent.objects.get(action=Action.API_KEY_CREATED, target_id=str(key.public_id))
    assert created.membership == people.admin
    assert created.detail["prefix"] == key.prefix
    assert AuditEvent.objects.filter(action=Action.API_KEY_REVOKED, target_id=str(key.public_id)).count() == 1


# --- Validation -----------------------------------------------------------------------------------


def error_locations(response) -> dict[str, dict]:
    assert response.status_code == 422, response.content
    return {error["loc"][-1] if len(error["loc"]) else "": error for error in response.json()["detail"]}


def test_an_unknown_school_is_refused_in_french(client, raw_key, people):
    errors = error_locations(post(client, body(school_uai="0809999Z"), raw_key))

    assert errors["school_uai"]["loc"] == ["body", "payload", "school_uai"]
    assert "Établissement inconnu" in errors["school_uai"]["msg"]
    assert Report.objects.count() == 0


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"reporter_kind": "martian"}, "reporter_kind"),
        ({"forms": ["verbal", "sorcery"]}, 1),
        ({"frequency": "hourly"}, "frequency"),
        ({"pupils": [{"first_name": "Inès", "role": "bystander"}]}, "role"),
        ({"description": "x" * 20_001}, "description"),
        ({"description": "   "}, "description"),
        ({"school_uai": "ABC"}, "school_uai"),
        ({"reporter_email": "pas-une-adresse"}, "reporter_email"),
        ({"reporter_name": "L" * 201, "is_anonymous": False}, "reporter_name"),
        ({"faits_etablissement_level": 4}, "faits_etablissement_level"),
        ({"pupils": [{"first_name": "Élève", "role": "witness"}] * 21}, "pupils"),
        ({"pupils": [{"first_name": "", "role": "witness"}]}, "first_name"),
        ({"crip_id": "CRIP\x00-12"}, "crip_id"),
        ({"description": "Bonjour\x1b[31m"}, "description"),
        ({"received_at": "2026-01-05T10:00:00"}, "received_at"),
        ({"received_at": "1900-01-01T00:00:00+00:00"}, "received_at"),
        ({"received_at": "0001-01-01T00:00:00+05:00"}, "received_at"),
        ({"received_at": "9999-12-31T23:59:59-05:00"}, "received_at"),
        ({"signalement": "champ en français"}, "signalement"),
    ],
)
def test_invalid_bodies_are_refused_with_field_details(client, raw_key, overrides, field):
    errors = error_locations(post(client, body(**overrides), raw_key))

    assert field in errors, errors
    assert Report.objects.count() == 0


def test_a_future_received_at_is_refused_in_french(client, raw_key):
    tomorrow = timezone.now() + timedelta(days=1)

    errors = error_locations(post(client, body(received_at=tomorrow.isoformat()), raw_key))

    assert errors["received_at"]["msg"] == "La date de réception ne peut pas être dans le futur."
    assert errors["received_at"]["type"] == "date_in_future"


def test_line_breaks_are_allowed_in_the_description(client, raw_key):
    response = post(client, body(description="Première ligne.\r\nSeconde ligne.\tFin."), raw_key)

    assert response.status_code == 201, response.content


def test_a_body_that_is_not_json_is_a_400(client, raw_key):
    response = client.post(URL, "{pas du json", content_type="application/json", HTTP_X_API_KEY=raw_key)

    assert response.status_code == 400


# --- Following a report ---------------------------------------------------------------------------


def test_a_partner_follows_its_own_report(client, raw_key, partner):
    created = post(client, body(), raw_key).json()
    _second, second_raw = apikeys.create_key(organisation=partner, name="Autre clé de la même structure")

    response = get(client, created["id"], second_raw)

    assert response.status_code == 200, response.content
    assert response.json() == {
        "reference": created["reference"],
        "id": created["id"],
        "status": "received",
        "received_at": created["received_at"],
    }


def test_another_organisations_report_is_not_found(client, raw_key):
    created = post(client, body(), raw_key).json()
    stranger = OrganisationFactory(name="Autre association", kind=OrganisationKind.ASSOCIATION)
    _key, stranger_raw = apikeys.create_key(organisation=stranger, name="Clé étrangère")

    response = get(client, created["id"], stranger_raw)

    assert response.status_code == 404
    assert response.json()["detail"] == "Aucun signalement transmis par votre structure ne porte cet identifiant."


def test_reports_not_sent_by_api_and_unknown_ids_are_not_found(client, raw_key):
    assert get(client, uuid.uuid4(), raw_key).status_code == 404


def test_following_requires_a_key(client, raw_key):
    created = post(client, body(), raw_key).json()

    assert client.get(f"{URL}/{created['id']}").status_code == 401


# --- OpenAPI --------------------------------------------------------------------------------------


def test_the_openapi_document_lists_every_status(client):
    schema = client.get("/api/v1/openapi.json").json()

    post_op = schema["paths"][URL]["post"]
    get_op = schema["paths"][f"{URL}/{{report_id}}"]["get"]
    assert set(post_op["responses"]) == {"200", "201", "400", "401", "409", "413", "415", "422", "503"}
    assert set(get_op["responses"]) == {"200", "401", "404"}
    assert schema["components"]["securitySchemes"]["ApiKeyAuth"] == {
        "type": "apiKey",
        "in": "header",
        "name": "X-Api-Key",
    }


# --- Management commands --------------------------------------------------------------------------


def test_create_api_key_prints_a_key_that_works(client, partner):
    out = StringIO()

    call_command("create_api_key", partner.name, "Plateforme de test", stdout=out)

    printed = out.getvalue()
    assert "ne sera plus jamais affichée" in printed
    raw = next(line for line in printed.splitlines() if line.startswith("halte_"))
    assert post(client, body(), raw).status_code == 201
    assert AuditEvent.objects.filter(action=Action.API_KEY_CREATED).count() == 1


def test_create_api_key_refuses_an_unknown_organisation(db):
    with pytest.raises(CommandError, match="Aucune structure"):
        call_command("create_api_key", "Structure fantôme", "Clé", stdout=StringIO())


def test_revoke_api_key_command(client, raw_key, partner):
    key = ApiKey.objects.get(organisation=partner)
    out = StringIO()

    call_command("revoke_api_key", key.prefix, stdout=out)

    assert "Clé révoquée" in out.getvalue()
    key.refresh_from_db()
    assert key.revoked_at is not None
    assert post(client, body(), raw_key).status_code == 401
    assert AuditEvent.objects.filter(action=Action.API_KEY_REVOKED).count() == 1
    with pytest.raises(CommandError, match="Aucune clé"):
        call_command("revoke_api_key", "zzzzzzzz", stdout=StringIO())


# --- Administration -------------------------------------------------------------------------------


def test_admin_lists_keys_and_revokes_them(client, people, login, raw_key, partner):
    key = ApiKey.objects.get(organisation=partner)
    login(client, people.admin)
    changelist = reverse("admin:reports_apikey_changelist")

    page = client.get(changelist)
    assert page.status_code == 200
    assert key.prefix in page.content.decode()
    assert key.digest not in page.content.decode()
    assert client.get(reverse("admin:reports_apikey_add")).status_code == 403

    response = client.post(changelist, {"action": "revoke_selected", "_selected_action": [key.pk]})

    assert response.status_code == 302
    key.refresh_from_db()
    assert key.revoked_at is not None
    event = AuditEvent.objects.get(action=Action.API_KEY_REVOKED)
    assert event.membership == people.admin
    assert key.digest not in client.get(reverse("admin:reports_apikey_change", args=[key.pk])).content.decode()


def test_admin_shows_reports_without_their_content(client, people, login, raw_key):
    secret_story = "Récit confidentiel : Inès se fait insulter par Kevin Dupont."
    created = post(client, body(description=secret_story), raw_key).json()
    report = Report.objects.get(public_id=created["id"])
    login(client, people.admin)

    listing = client.get(reverse("admin:reports_report_changelist")).content.decode()
    detail = client.get(reverse("admin:reports_report_change", args=[report.pk]))

    assert report.reference in listing
    assert detail.status_code == 200
    for page in (listing, detail.content.decode()):
        assert "Récit confidentiel" not in page
        assert "Inès" not in page
        assert "3018-2026-0042" not in page
    assert client.get(reverse("admin:reports_report_add")).status_code == 403
    assert client.post(reverse("admin:reports_report_delete", args=[report.pk])).status_code == 403
