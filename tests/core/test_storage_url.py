"""HALTE_STORAGE_URL is read strictly: a typo is refused in French at start, never half-understood."""

import pytest
from django.core.exceptions import ImproperlyConfigured

from halte.core.storage_url import parse


def test_empty_means_the_local_folder():
    assert parse("") is None
    assert parse("   ") is None


def test_a_full_url():
    config = parse("s3://AKIA%3Ax:se%2Fc%40ret@stockage.exemple.fr:9000/halte-preuves/prod/v1?region=fr-par")
    assert config is not None
    assert config.endpoint == "https://stockage.exemple.fr:9000"
    assert config.bucket == "halte-preuves"
    assert config.prefix == "prod/v1/"
    assert config.region == "fr-par"
    assert config.access_key == "AKIA:x"
    assert config.secret_key == "se/c@ret"
    assert config.addressing == "path"
    assert "se/c@ret" not in repr(config)
    assert "ret" not in config.where


def test_plain_http_only_when_asked_and_virtual_addressing():
    config = parse("s3://k:s@127.0.0.1:9000/halte?tls=false&addressing=virtual")
    assert config is not None
    assert config.endpoint == "http://127.0.0.1:9000"
    assert config.prefix == ""
    assert config.addressing == "virtual"


@pytest.mark.parametrize(
    ("url", "said"),
    [
        ("https://k:s@host/halte", "doit commencer par s3://"),
        ("s3://host/halte", "la clé d’accès et le secret manquent"),
        ("s3://k@host/halte", "la clé d’accès et le secret manquent"),
        ("s3://k:s@/halte", "l’hôte du stockage manque"),
        ("s3://k:s@host", "le nom du compartiment"),
        ("s3://k:s@host/", "le nom du compartiment"),
        ("s3://k:s@host/Halte_Preuves", "n’est pas un nom de compartiment valide"),
        ("s3://k:s@host/halte/../x", "le préfixe ne peut contenir"),
        ("s3://k:s@host/halte?regoin=fr", "paramètre inconnu « regoin »"),
        ("s3://k:s@host/halte?tls=maybe", "« tls » doit valoir true ou false"),
        ("s3://k:s@host/halte?tls=true&tls=false", "donné deux fois"),
        ("s3://k:s@host/halte?addressing=dns", "« addressing » doit valoir path ou virtual"),
        ("s3://k:s@host:99999/halte", "ne se lit pas"),
        ("s3://k:s@host/halte#x", "fragment"),
    ],
)
def test_wrong_urls_are_refused_in_french(url, said):
    with pytest.raises(ImproperlyConfigured) as caught:
        parse(url)
    assert said in str(caught.value)
    assert "HALTE_STORAGE_URL invalide" in str(caught.value)


def test_the_settings_read_the_url_from_a_file_and_put_file_fields_on_the_bucket(tmp_path):
    from tests.core.test_shared_state import in_another_process

    secret_file = tmp_path / "storage_url"
    secret_file.write_text("s3://cle:se%2Fcret@stockage.exemple.fr/halte-preuves/prod?region=fr-par\n")
    code = (
        "from django.conf import settings; s = settings.STORAGES['default']; "
        "print(settings.HALTE_STORAGE.where, settings.HALTE_STORAGE.secret_key, s['BACKEND'], s['OPTIONS']['location'])"
    )
    seen = in_another_process(code, HALTE_STORAGE_URL_FILE=str(secret_file), HALTE_STORAGE_URL="")
    assert seen == "https://stockage.exemple.fr/halte-preuves/prod se/cret storages.backends.s3.S3Storage prod/media"
