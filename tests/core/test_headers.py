"""Every response carries the strict headers: public pages, staff pages, errors and static files."""

import pytest
from django.conf import settings
from django.urls import reverse

STRICT = {
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Cross-Origin-Resource-Policy": "same-origin",
}


def assert_strict(response):
    for header, value in STRICT.items():
        assert response.headers.get(header) == value, header
    policy = response.headers["Permissions-Policy"]
    features = dict(item.strip().split("=", 1) for item in policy.split(","))
    # Every powerful feature is refused to the page and to anything it could embed.
    for feature in ("camera", "microphone", "geolocation", "payment", "usb", "display-capture"):
        assert features[feature] == "()", feature
    csp = response.headers["Content-Security-Policy"]
    assert "default-src 'self'" in csp
    assert "frame-ancestors 'none'" in csp
    assert "unsafe-inline" not in csp
    assert "unsafe-eval" not in csp


@pytest.mark.parametrize("url_name", ["www:home", "accounts:login", "www:privacy"])
def test_public_pages_send_strict_headers(client, db, url_name):
    assert_strict(client.get(reverse(url_name)))


def test_staff_pages_send_strict_headers_and_are_never_cached(client, people, login):
    login(client, people.coordinator)
    response = client.get(reverse("www:staff_home"))
    assert response.status_code == 200
    assert_strict(response)
    assert "no-store" in response.headers["Cache-Control"]


def test_error_pages_and_static_files_send_strict_headers(client, db):
    assert_strict(client.get("/page-qui-n-existe-pas/"))
    static = client.get(settings.STATIC_URL + "halte/halte.css")
    assert static.status_code == 200
    assert_strict(static)
