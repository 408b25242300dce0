"""Public and staff shell, legal pages, error pages, health."""

import pytest
from django.db import OperationalError
from django.urls import reverse


def test_public_home_explains_the_cell_and_the_emergency_numbers(client, db):
    page = client.get(reverse("www:home")).content.decode()
    for text in ["17", "112", "119", "3018", "anonyme", "code de suivi"]:
        assert text in page
    assert 'lang="fr"' in page
    assert "halte-public" in page


def test_staff_pages_are_visibly_distinct(client, people, login):
    login(client, people.school_a_staff)
    page = client.get(reverse("www:staff_home")).content.decode()
    assert "halte-staff" in page
    assert "Espace professionnel" in page
    assert "Vous agissez en tant que" in page


@pytest.mark.parametrize(
    ("url_name", "heading"),
    [
        ("www:accessibility", "Déclaration d’accessibilité"),
        ("www:legal_notice", "Mentions légales"),
        ("www:privacy", "Données personnelles"),
    ],
)
def test_legal_pages_are_linked_from_every_page_and_have_content(client, db, url_name, heading):
    home = client.get(reverse("www:home")).content.decode()
    assert f'href="{reverse(url_name)}"' in home
    page = client.get(reverse(url_name)).content.decode()
    assert heading in page
    assert page.count("<h2") >= 3


def test_privacy_page_states_retention_and_rights(client, db):
    page = client.get(reverse("www:privacy")).content.decode()
    for text in ["3 ans", "25", "CNIL", "adresse IP"]:
        assert text in page


def test_unknown_page_gets_the_styled_404(client, db):
    response = client.get("/cette-page-n-existe-pas/")
    assert response.status_code == 404
    assert "Page non trouvée" in response.content.decode()


def test_server_error_page_is_styled_and_reassuring(db):
    from django.test import RequestFactory

    from halte.www.views import server_error

    response = server_error(RequestFactory().get("/"))
    assert response.status_code == 500
    assert "Erreur inattendue" in response.content.decode()
    assert "3018" in response.content.decode()


def test_a_database_fault_while_reporting_tells_the_child_what_to_do(db):
    """A fault that escapes the view (the session could not even be read): on the reporting path the
    child is told, in the form's words, to go back to the last step — never a bare error page."""
    from django.db import OperationalError
    from django.test import RequestFactory

    from halte.www.views import server_error

    for path, expected in [
        ("/signaler/envoyer/", "On ne sait pas encore si ton signalement est arrivé : réessaie"),
        ("/dossiers/", "Service momentanément indisponible"),
    ]:
        try:
            raise OperationalError("server closed the connection unexpectedly")
        except OperationalError:
            response = server_error(RequestFactory().post(path))
        assert response.status_code == 503
        assert response["Retry-After"] == "30"
        assert expected in response.content.decode()


def test_security_headers(client, db):
    response = client.get(reverse("www:home"))
    csp = response["Content-Security-Policy"]
    assert "default-src 'self'" in csp
    assert "script-src 'self'" in csp
    assert "frame-ancestors 'none'" in csp
    assert response["X-Frame-Options"] == "DENY"
    assert response["Referrer-Policy"] == "same-origin"


def test_no_asset_comes_from_elsewhere(client, db):
    page = client.get(reverse("accounts:login")).content.decode()
    assert "https://" not in page.split("</head>")[0]
    assert "cdn" not in page.lower()


def test_healthz_answers_ok_with_the_database_and_a_recent_pass(client, db):
    from halte.core import periodic

    periodic.run_exclusive()
    response = client.get("/healthz")
    assert response.status_code == 200
    body = response.json()
    assert (body["status"], body["database"], body["problems"], body["failed_deliveries"]) == ("ok", "ok", [], 0)
    assert 0 <= body["last_tick_age_seconds"] < 60
    assert body["oldest_queued_task_age_seconds"] is None


def test_healthz_answers_503_when_the_periodic_pass_never_ran(client, db):
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["problems"] == ["tick_late"]


def test_healthz_answers_503_when_the_database_is_down(client, db, monkeypatch):
    class Unreachable:
        def cursor(self):
            raise OperationalError("connection refused")

    monkeypatch.setattr("halte.www.views.connection", Unreachable())
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["database"] == "unreachable"


def test_the_operator_reads_correctly_inside_a_sentence(client, db, settings):
    settings.HALTE = {
        **settings.HALTE,
        "OPERATOR_NAME": "Direction des services départementaux de l'Éducation nationale de l'Oise",
        "OPERATOR_IN_SENTENCE": "la Direction des services départementaux de l'Éducation nationale de l'Oise",
    }
    home = client.get(reverse("www:home")).content.decode()
    assert "opéré par la Direction des services départementaux de l&#x27;Éducation nationale de l&#x27;Oise" in home
    notice = client.get(reverse("www:legal_notice")).content.decode()
    assert "Il est édité par la Direction" in notice
    assert "qui dirige la Direction" in notice
    privacy = client.get(reverse("www:privacy")).content.decode()
    assert "Le responsable du traitement est la Direction" in privacy
    accessibility = client.get(reverse("www:accessibility")).content.decode()
    assert (
        "La Direction des services départementaux de l&#x27;Éducation nationale de l&#x27;Oise s’engage"
        in accessibility
    )
    for page in (home, notice, privacy, accessibility):
        assert "par Direction" not in page and "est Direction" not in page
