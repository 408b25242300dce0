"""Walk the public reporting journey through HTTP, as a browser without JavaScript would."""

import io

from django.urls import reverse
from PIL import Image

from halte.reports import drafts

STEP = "reports:step"


def post_step(client, slug, data, **extra):
    return client.post(reverse(STEP, args=[slug]), data, **extra)


def draft_of(client) -> dict:
    """The draft kept in the client's session (encrypted there)."""
    return drafts.load(client.session)


def pupils_data(pupils=()):
    data = {
        "form-TOTAL_FORMS": "4",
        "form-INITIAL_FORMS": "0",
        "form-MIN_NUM_FORMS": "0",
        "form-MAX_NUM_FORMS": "4",
    }
    for index, (first_name, role) in enumerate(pupils):
        data[f"form-{index}-first_name"] = first_name
        data[f"form-{index}-role"] = role
    return data


def fill_until_finish(
    client,
    *,
    description="Depuis la rentrée, deux élèves de ma classe m'insultent tous les jours dans la cour.",
    uai="0800020M",
    named=False,
    signs=(),
    danger="no",
    **extra,
):
    who = {"reporter_kind": "victim", "anonymity": "named" if named else "anonymous"}
    if named:
        who.update(reporter_name="Léa Martin", reporter_email="lea.parent@exemple.fr", reporter_phone="0600000000")
    assert post_step(client, "qui", who, **extra).status_code == 302
    assert post_step(client, "etablissement", {"school": uai}, **extra).status_code == 302
    pupils = pupils_data([("Léa", "victim"), ("Kevin", "alleged_author")])
    assert post_step(client, "eleves", pupils, **extra).status_code == 302
    facts = {
        "bullying_forms": ["verbal", "exclusion"],
        "since": "months",
        "frequency": "daily",
        "places": ["playground"],
        "description": description,
    }
    response = post_step(client, "faits", facts, **extra)
    assert response.status_code == 302, response.content.decode()[:3000]
    wellbeing = {"distress_signs": list(signs), "immediate_danger": danger}
    assert post_step(client, "bien-etre", wellbeing, **extra).status_code == 302


def jpeg_with_gps() -> bytes:
    image = Image.new("RGB", (64, 48), (200, 30, 30))
    exif = Image.Exif()
    exif[0x010F] = "TelephoneDeTest"  # Make
    gps = exif.get_ifd(0x8825)
    gps[1] = "N"
    gps[2] = (49.0, 53.0, 34.0)
    gps[3] = "E"
    gps[4] = (2.0, 17.0, 28.0)
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", exif=exif)
    return buffer.getvalue()
