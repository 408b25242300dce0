"""Every API error speaks French, whoever raised it (pydantic, django-ninja or Halte)."""

import json

from tests.reports.test_api import URL, body, post


def test_field_errors_are_in_french_and_keep_their_machine_type(client, raw_key):
    response = post(client, body(description="x" * 20_001, since="jamais"), key=raw_key)
    assert response.status_code == 422
    errors = {tuple(e["loc"][-1:]): e for e in response.json()["detail"]}
    assert errors[("description",)]["type"] == "string_too_long"
    assert errors[("description",)]["msg"] == "Texte trop long : 20000 caractères au maximum."
    assert errors[("since",)]["msg"].startswith("Valeur non reconnue. Valeurs possibles :")


def test_a_body_that_is_not_json_gets_a_french_400(client, raw_key):
    response = client.post(URL, "{pas du json", content_type="application/json", HTTP_X_API_KEY=raw_key)
    assert response.status_code == 400
    assert response.json() == {"detail": "Le corps de la requête n’est pas un JSON valide."}


def test_a_missing_key_gets_a_french_401(client, db):
    response = client.post(URL, json.dumps(body()), content_type="application/json")
    assert response.status_code == 401
    assert response.json() == {"detail": "Clé d’API absente, inconnue ou révoquée."}


def test_school_search_too_long_gets_a_french_422(client, db):
    response = client.get("/api/v1/schools", {"q": "a" * 101})
    assert response.status_code == 422
    assert response.json()["detail"][0]["msg"] == "Texte trop long : 100 caractères au maximum."
