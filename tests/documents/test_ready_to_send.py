"""Documents ready to send: a tagged PDF/UA in French with a title, a recipient from the cell's directory
printed with its address, the cell's own name, the author's civility and title, who reported (art. 40),
the child's identity (IP), quotes never doubled, rows never cut, the narrative printed once."""

import io
from datetime import date, time, timedelta

import pytest
from django.urls import reverse
from django.utils import dateformat, timezone
from pypdf import PdfReader

from halte.audit.models import Action as AuditAction
from halte.audit.models import AuditEvent
from halte.directory.models import Partner
from halte.documents import actions, storage
from halte.documents.content import ConvocationDetails, DocumentRefused
from halte.documents.forms import ConvocationForm, unusual_time
from halte.documents.templatetags.document_text import unquoted
from halte.interventions.models import Interview

from .conftest import IDENTITY_MARK, compact, contains, pdf_text

CELL = "Cellule d’intervention rapide contre le harcèlement scolaire de la Somme"


@pytest.fixture
def partners(db, people):
    departement = people.coordinator.organisation.departement
    parquet = Partner.objects.create(
        departement=departement,
        kind="parquet_minors",
        name="Tribunal judiciaire d’Amiens",
        service="Parquet des mineurs",
        address="14 rue Robert de Luzarches\n80027 Amiens Cedex 1",
        email="parquet.mineurs@exemple.gouv.fr",
    )
    crip = Partner.objects.create(
        departement=departement,
        kind="crip",
        name="Conseil départemental de la Somme",
        service="Cellule de recueil des informations préoccupantes",
        address="43 rue de la République\n80000 Amiens",
    )
    elsewhere = Partner.objects.create(
        departement="060",
        kind="parquet_minors",
        name="Tribunal judiciaire de Beauvais",
        service="Parquet des mineurs",
        address="Place Jean-Baptiste Lallemand\n60000 Beauvais",
    )
    return {"parquet": parquet, "crip": crip, "elsewhere": elsewhere}


@pytest.fixture
def titled(people):
    user = people.coordinator.user
    user.civility, user.title = "mme", "Coordinatrice départementale de la cellule"
    user.save()
    user = people.social_worker.user
    user.civility, user.title = "mme", ""
    user.save()
    return people


def make(case, actor, kind, **kwargs):
    document = actions.generate(case=case, actor=actor, kind=kind, **kwargs)
    return document, storage.read(document)


def assert_tagged(data: bytes, title_part: str) -> None:
    reader = PdfReader(io.BytesIO(data))
    root = reader.trailer["/Root"]
    assert root["/Lang"] == "fr"
    assert bool(root["/MarkInfo"]["/Marked"])
    assert "/StructTreeRoot" in root
    assert title_part in (reader.metadata or {}).get("/Title", "")
    assert bool(root["/ViewerPreferences"]["/DisplayDocTitle"])


def day_of(document) -> str:
    return dateformat.format(timezone.localtime(document.generated_at), "j F Y")


def has(data, *needles):
    found = contains(data, *needles)
    return [needle for needle, ok in found.items() if not ok]


def lacks(data, *needles):
    found = contains(data, *needles)
    return [needle for needle, ok in found.items() if ok]


def test_art40_is_ready_to_send(filled, world, titled, partners, settings):
    coordinator = titled.coordinator
    document, data = make(world.case_a, coordinator, "art40", partner=partners["parquet"])
    assert_tagged(data, "Signalement au procureur")
    assert (
        has(
            data,
            "Madame ou Monsieur le procureur de la République",
            "Tribunal judiciaire d’Amiens",
            "Parquet des mineurs",
            "14 rue Robert de Luzarches",
            "80027 Amiens Cedex 1",
            CELL,
            "DSDEN de la Somme",  # the cell's own address
            "MARTIN Léa",
            "DURAND Kévin",
            day_of(document),
            "Mme " + coordinator.user.get_full_name(),
            "Coordinatrice départementale de la cellule",
            "Personne qui a signalé les faits",
            IDENTITY_MARK,
        )
        == []
    )
    assert lacks(data, "cellule Halte", "Coordinateur ou coordinatrice") == []
    # The cell at the head of its sentence takes its article.
    assert has(data, "La cellule d’intervention rapide contre le harcèlement scolaire de la Somme porte") == []
    event = AuditEvent.objects.get(action=AuditAction.DOCUMENT_GENERATED)
    assert event.detail["addressed_to"] == str(partners["parquet"].public_id)


def test_art40_without_the_identity_says_how_to_obtain_it(filled, world, titled, partners):
    document, data = make(world.case_a, titled.social_worker, "art40", partner=partners["parquet"])
    assert lacks(data, IDENTITY_MARK) == []
    assert has(data, "est connue de la cellule", "Le parquet peut l’obtenir sur demande", "Travailleuse sociale") == []
    assert "reporter_identity" not in document.compartments


def test_information_preoccupante_is_ready_to_send(filled, world, titled, partners):
    document, data = make(world.case_a, titled.social_worker, "ip", partner=partners["crip"])
    assert_tagged(data, "Information préoccupante")
    assert (
        has(
            data,
            "Conseil départemental de la Somme",
            "Cellule de recueil des informations préoccupantes",
            "43 rue de la République",
            "80000 Amiens",
            "MARTIN",
            "Léa",
            "04/03/2012",
            "3 rue des Lilas, 80000 Amiens",
            "Paroles de l’enfant",
            "Mesures déjà prises",
            day_of(document),
            "Mme " + titled.social_worker.user.get_full_name(),
            "Travailleuse sociale",
            CELL,
        )
        == []
    )
    assert lacks(data, "Travailleur ou travailleuse social", "cellule Halte") == []


def test_a_partner_of_another_departement_is_refused(filled, world, people, partners):
    with pytest.raises(DocumentRefused):
        actions.generate(case=world.case_a, actor=people.coordinator, kind="art40", partner=partners["elsewhere"])
    with pytest.raises(DocumentRefused):  # not a CRIP: an IP does not go to the parquet
        actions.generate(case=world.case_a, actor=people.social_worker, kind="ip", partner=partners["parquet"])


@pytest.mark.parametrize("kind", ["convocation", "minutes", "closure_letter"])
def test_every_other_kind_is_tagged_with_the_cell_and_a_signature_with_the_title(filled, world, titled, kind):
    case = world.case_a
    kwargs = {}
    if kind == "convocation":
        kwargs = {
            "recipient": filled.guardian,
            "convocation": ConvocationDetails(
                on=timezone.localdate() + timedelta(days=3),
                at=time(10, 0),
                place="Collège A",
                purpose="Point",
                contact="CPE",
                pupil=filled.victim,
            ),
        }
    elif kind == "minutes":
        kwargs = {"meeting": filled.meeting}
    else:
        case.closure_outcome = "stopped"
        case.save()
        kwargs = {"recipient": filled.guardian}
    document, data = make(case, titled.coordinator, kind, **kwargs)
    assert has(data, day_of(document), "Signature") == []
    if kind != "minutes":  # a letter: its recipient with her address
        assert has(data, "Sophie", "Martin", "3 rue des Lilas, 80000 Amiens") == []
    assert_tagged(data, world.case_a.reference if kind != "convocation" else "Convocation")
    assert (
        has(data, "Mme " + titled.coordinator.user.get_full_name(), "Coordinatrice départementale de la cellule") == []
    )
    assert lacks(data, "cellule Halte") == []
    if kind == "minutes":
        assert has(data, "Coordinatrice départementale de la cellule") == []
    if kind == "convocation":
        assert has(data, "Martin", "Sophie", "3 rue des Lilas", "pour la cellule d’intervention rapide") == []


def test_quotes_are_never_doubled_and_the_narrative_is_printed_once(filled, world, people, partners):
    case = world.case_a
    report = case.reports.get()
    report.description = "RECIT-UNIQUE de la situation, tel que reçu."
    report.save()
    case.summary = report.description
    case.save()
    Interview.objects.filter(case=case, kind="victim").update(words="« Ils me frappent dans le bus »")
    _document, data = make(case, people.coordinator, "art40", partner=partners["parquet"])
    text = compact(pdf_text(data))
    assert text.count(compact("RECIT-UNIQUE")) == 1
    assert compact("« Ils me frappent dans le bus »") in text
    assert "««" not in text and "»»" not in text


def test_unquoted_keeps_inner_quotes():
    assert unquoted("« bonjour »") == "bonjour"
    assert unquoted("“ bonjour ”") == "bonjour"
    assert unquoted("« a » et « b »") == "« a » et « b »"
    assert unquoted("« Il m’a dit « dégage » »") == "Il m’a dit « dégage »"
    assert unquoted("sans guillemets") == "sans guillemets"


def test_table_rows_are_never_cut_between_pages():
    from django.template.loader import render_to_string

    css = render_to_string("documents/pdf/print.css", {})
    assert "tr, li, .words, .recipient { break-inside: avoid;" in css


# --- Weekend and evening convocations -------------------------------------------------------------


def _next(weekday: int) -> date:
    day = timezone.localdate() + timedelta(days=1)
    while day.weekday() != weekday:
        day += timedelta(days=1)
    return day


def test_unusual_times():
    assert unusual_time(_next(5), time(17, 30))  # a Saturday
    assert unusual_time(_next(6), time(10, 0))  # a Sunday
    assert unusual_time(_next(1), time(18, 30))  # a Tuesday evening
    assert unusual_time(_next(1), time(7, 0))
    assert not unusual_time(_next(1), time(17, 30))


def _post(client, case, link, on, at, **extra):
    """A convocation posted to a guardian: the recipient is her link to the pupil (``Guardianship``)."""
    from halte.core.submission import new_token

    url = reverse("documents:generate", args=[case.public_id, "convocation"])
    data = {
        "recipient": str(link.public_id),
        "on": on.isoformat(),
        "at": at.strftime("%H:%M"),
        "place": "Collège A",
        "purpose": "Faire le point",
        "contact": "CPE, 03 22 00 00 00",
        "submission_token": new_token(),
        **extra,
    }
    return client.post(url, data)


def test_a_saturday_evening_convocation_needs_a_confirmation(client, login, filled, world, people):
    login(client, people.coordinator)
    saturday = _next(5)
    response = _post(client, world.case_a, filled.guardian_link, saturday, time(17, 30))
    assert response.status_code == 200
    page = response.content.decode()
    assert "Jour ou heure inhabituels" in page and "week-end" in page
    assert 'name="confirm_time"' in page
    assert not world.case_a.documents.exists()
    response = _post(client, world.case_a, filled.guardian_link, saturday, time(17, 30), confirm_time="on")
    assert response.status_code == 302
    assert world.case_a.documents.filter(kind="convocation").count() == 1


def test_a_weekday_convocation_asks_nothing(client, login, filled, world, people):
    login(client, people.coordinator)
    response = client.get(reverse("documents:generate", args=[world.case_a.public_id, "convocation"]))
    assert 'name="confirm_time"' not in response.content.decode()
    form = ConvocationForm(
        {
            "recipient": str(filled.guardian_link.public_id),
            "on": _next(1).isoformat(),
            "at": "10:00",
            "place": "x",
            "purpose": "y",
            "contact": "z",
        },
        case=world.case_a,
    )
    assert "confirm_time" not in form.fields


def test_the_art40_form_offers_only_the_case_s_departement_parquets(client, login, filled, world, people, partners):
    login(client, people.coordinator)
    page = client.get(reverse("documents:generate", args=[world.case_a.public_id, "art40"])).content.decode()
    assert "Tribunal judiciaire d’Amiens" in page
    assert "Beauvais" not in page and "Conseil départemental" not in page


def test_without_a_partner_the_form_says_what_to_do(client, login, filled, world, people):
    from halte.core.submission import new_token

    login(client, people.coordinator)
    url = reverse("documents:generate", args=[world.case_a.public_id, "art40"])
    assert "Aucun destinataire dans l’annuaire" in client.get(url).content.decode()
    response = client.post(url, {"partner": "", "submission_token": new_token()})
    assert response.status_code == 200
    assert not world.case_a.documents.exists()
