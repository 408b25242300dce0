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
from halte.documents.models import DocumentKind
from halte.documents.templatetags.document_text import unquoted
from halte.interventions.models import Interview

from .conftest import IDENTITY_MARK, compact, contains, pdf_text

IDENTITY_READERS = frozenset({"core", "reporter_identity"})
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
    assert (
        lacks(data, "Travailleur ou travailleuse social", "Travailleur social ou travailleuse sociale", "cellule Halte")
        == []
    )


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
    # A heading, or a table's caption, is never left alone at the foot of a page.
    for rule in ("h2 {", "h3 {", "table.data caption {"):
        declarations = css.split(rule, 1)[1].split("}", 1)[0]
        assert "break-after: avoid;" in declarations and "page-break-after: avoid;" in declarations, rule


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
    assert response.status_code == 400
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
    assert response.status_code == 400
    assert not world.case_a.documents.exists()


# --- The information préoccupante: the child's identity, the parquet's instruction, family interviews --------


def test_the_ip_prints_the_birth_date_and_address_entered_on_the_pupil_s_page(client, login, filled, world, people):
    """Nothing but the pupil's own page gives a pupil a birth date and an address once she is in the case:
    what is entered there is what the CRIP reads, never « — »."""
    from halte.core.submission import new_token

    victim = filled.victim
    victim.birth_date, victim.address = None, ""
    victim.save()
    login(client, people.coordinator)
    url = reverse("cases:person_contact", args=[world.case_a.public_id, victim.public_id])
    data = {"birth_date": "2013-05-06", "address": "12 rue Saint-Leu\n80000 Amiens", "submission_token": new_token()}
    assert client.post(url, data).status_code == 302
    _document, data = make(world.case_a, people.social_worker, "ip")
    assert has(data, "06/05/2013", "12 rue Saint-Leu", "80000 Amiens") == []
    assert lacks(data, "Date de naissance —", "Date de naissance—") == []


RESTRICTION_REASON = "MOTIF-ENQUETE-EN-COURS"


def _restrict(case, people, pupil):
    from halte.interventions.models import FamilyRestriction

    case.do_not_disclose_to_family = True
    case.save()
    return FamilyRestriction.objects.create(case=case, pupil=pupil, reason=RESTRICTION_REASON, set_by=people.magistrate)


def test_the_ip_passes_on_the_parquet_s_instruction_without_its_reason(filled, world, people):
    _restrict(world.case_a, people, filled.victim)
    document, data = make(world.case_a, people.social_worker, "ip")
    assert has(data, "Consigne du parquet", "la famille de Léa Martin ne doit pas être informée à ce stade") == []
    assert lacks(data, RESTRICTION_REASON, "Consigne donnée le") == []
    assert "judicial" not in document.compartments


def test_the_ip_gives_the_instruction_s_reason_only_to_an_author_who_reads_it(filled, world, people):
    from halte.documents import content, pdf

    _restrict(world.case_a, people, filled.victim)
    built = content.information_preoccupante(
        world.case_a, author=people.social_worker, readable=frozenset({"core", "judicial"}), now=timezone.now()
    )
    html = pdf.render_html(built.template, built.context)
    assert RESTRICTION_REASON in html and "Consigne du parquet" in html and "Consigne donnée le" in html
    assert "judicial" in built.compartments  # so only who reads the judicial part reads this IP
    built = content.information_preoccupante(
        world.case_a, author=people.social_worker, readable=frozenset({"core"}), now=timezone.now()
    )
    assert RESTRICTION_REASON not in pdf.render_html(built.template, built.context)


def test_a_case_wide_instruction_reaches_the_ip_and_one_on_the_author_s_family_does_not(filled, world, people):
    from halte.interventions.models import FamilyRestriction

    _restrict(world.case_a, people, filled.author)
    _document, data = make(world.case_a, people.social_worker, "ip")
    assert lacks(data, "Consigne du parquet", "Kévin Durand ne doit pas") == []
    FamilyRestriction.objects.create(case=world.case_a, pupil=None, reason=RESTRICTION_REASON, set_by=people.magistrate)
    _document, data = make(world.case_a, people.social_worker, "ip")
    assert has(data, "Consigne du parquet", "ne doivent pas être informées à ce stade") == []
    assert lacks(data, RESTRICTION_REASON, "Kévin Durand ne doit pas") == []


def test_the_ip_measures_include_the_interviews_with_the_family(filled, world, titled):
    """§ 4 lists the interviews held with the child's family (date, who held it, with whom) beside the
    measures; never one with another pupil's family."""
    held = timezone.now() - timedelta(days=2)
    Interview.objects.create(
        case=world.case_a,
        person=filled.guardian,
        kind="guardian",
        method="joint",
        held_at=held,
        conducted_by=titled.coordinator,
        also_present="Léa Martin",
        summary="ENTRETIEN-FAMILLE-VICTIME",
    )
    Interview.objects.create(
        case=world.case_a,
        person=filled.author_guardian,
        kind="guardian",
        method="joint",
        held_at=held,
        conducted_by=titled.coordinator,
        summary="ENTRETIEN-FAMILLE-AUTEUR",
    )
    _document, data = make(world.case_a, titled.social_worker, "ip")
    day = dateformat.format(timezone.localtime(held), "d/m/Y")
    assert (
        has(
            data,
            "Entretiens avec la famille",
            day,
            "Entretien avec la famille",
            "Sophie Martin",
            "Léa Martin",
            titled.coordinator.user.get_full_name(),
        )
        == []
    )
    assert lacks(data, "Marc Durand", "ENTRETIEN-FAMILLE-AUTEUR") == []


def _page_end(page) -> str:
    """The text of a PDF page without whitespace, less its running header and footer (the cell, the
    confidentiality notice, the reference and « Page n sur m », extracted in no fixed order)."""
    import re

    running = [compact(CELL), compact("Document confidentiel — données d’un mineur")]
    text, before = compact(page.extract_text()), ""
    while text != before:
        before = re.sub(r"(HS-\d{4}-\d+)?Page\d+sur\d+$", "", text)
        for mark in running:
            before = before.removesuffix(mark)
        text, before = before, text
    return text


def test_no_page_of_a_long_ip_ends_with_a_heading(filled, world, people):
    """Headings and table captions keep with what follows them: no page of a long IP ends on one. With
    these contacts the measures' caption (« Mesures déjà prises ») fell at the foot of page 3, its table
    on page 4; the narrative then grows line by line so that a small change of layout still meets it."""
    import re
    from datetime import datetime

    from halte.documents import content, pdf
    from halte.interventions.models import FamilyContact

    first = timezone.make_aware(datetime(2026, 10, 1, 10, 0))
    for index in range(19):
        FamilyContact.objects.create(
            case=world.case_a,
            family="victim",
            person=filled.guardian,
            at=first + timedelta(days=index),
            channel="phone",
            made_by=people.coordinator,
            summary=f"Échange numéro {index}. " + "La mère rapporte ce que vit sa fille. " * (index % 7 + 1),
        )
    case = world.case_a
    built = content.information_preoccupante(
        case, author=people.social_worker, readable=frozenset({"core", "health"}), now=timezone.now()
    )
    html = pdf.render_html(built.template, built.context)
    headings = {
        compact(re.sub(r"<[^>]+>", "", match[1]))
        for match in re.findall(r"<(h[23]|caption)[^>]*>(.*?)</\1>", html, flags=re.S)
    }
    headings.discard("")
    assert compact("Mesures déjà prises") in headings
    summary = case.summary
    for step in range(3):
        case.summary = "\n".join([summary, *(f"Récit, ligne {line}." for line in range(step))])
        reader = PdfReader(io.BytesIO(pdf.render_pdf(built.template, built.context)))
        assert len(reader.pages) >= 4
        for number, page in enumerate(reader.pages[:-1], start=1):
            end = _page_end(page)
            ending = [heading for heading in headings if end.endswith(heading)]
            assert ending == [], f"step {step}, page {number} ends with {ending}"


# --- Who may read who reported: only where the recipient is the parquet -------------------------------


def test_the_reporter_s_identity_is_named_only_where_the_recipient_is_the_parquet():
    from halte.access import documents as document_access
    from halte.directory.models import PartnerKind

    named = {kind for kind in DocumentKind.values if document_access.may_name_reporter(kind)}
    assert named == {DocumentKind.ART_40}
    assert document_access.may_name_reporter(DocumentKind.ART_40, Partner(kind=PartnerKind.PARQUET_MINORS))
    for kind in (PartnerKind.CRIP, PartnerKind.POLICE, PartnerKind.DSDEN, PartnerKind.OTHER):
        assert not document_access.may_name_reporter(DocumentKind.ART_40, Partner(kind=kind)), kind


def test_an_art40_addressed_elsewhere_than_the_parquet_does_not_name_the_reporter(filled, world, people, partners):
    from halte.documents import content, pdf

    crip = partners["crip"]
    built = content.art40(world.case_a, author=people.coordinator, readable=IDENTITY_READERS, now=timezone.now())
    assert IDENTITY_MARK in pdf.render_html(built.template, built.context)
    built = content.art40(
        world.case_a, author=people.coordinator, readable=IDENTITY_READERS, now=timezone.now(), partner=crip
    )
    assert IDENTITY_MARK not in pdf.render_html(built.template, built.context)
    assert "reporter_identity" not in built.compartments


@pytest.mark.parametrize("kind", ["ip", "convocation", "minutes", "closure_letter"])
def test_no_other_kind_prints_the_reporter(filled, world, people, kind):
    """The coordinator reads who reported; a document addressed to anyone but the parquet never says it."""
    from halte.documents import content, pdf

    case = world.case_a
    case.closure_outcome = "stopped"
    case.save()
    kwargs = {
        "ip": {},
        "convocation": {
            "recipient": filled.guardian,
            "details": ConvocationDetails(
                on=timezone.localdate() + timedelta(days=3),
                at=time(10, 0),
                place="Collège A",
                purpose="Point",
                contact="CPE",
                pupil=filled.victim,
            ),
        },
        "minutes": {"meeting": filled.meeting},
        "closure_letter": {"recipient": filled.guardian},
    }[kind]
    builder = {
        "ip": content.information_preoccupante,
        "convocation": content.convocation,
        "minutes": content.minutes,
        "closure_letter": content.closure_letter,
    }[kind]
    built = builder(case, author=people.coordinator, readable=IDENTITY_READERS, now=timezone.now(), **kwargs)
    assert IDENTITY_MARK not in pdf.render_html(built.template, built.context)
    assert "reporter_identity" not in built.compartments


def test_the_parquet_reads_the_reporter_s_identity_only_in_what_is_addressed_to_it(people, world):
    """Given the health part (so an IP's kind is readable to it), the magistrate still does not read an IP
    carrying the reporter's identity: the IP is addressed to the CRIP, not to the parquet."""
    from halte.access import documents as document_access
    from halte.cases.models import Share

    from .conftest import stored_document

    Share.objects.create(
        case=world.case_a,
        organisation=people.magistrate.organisation,
        compartments=["health"],
        legal_basis="convention",
        expires_on=timezone.localdate() + timedelta(days=10),
        created_by=people.coordinator,
    )
    with_identity = ("core", "health", "reporter_identity")
    ip = stored_document(world.case_a, people.social_worker, kind="ip", compartments=with_identity)
    art40 = stored_document(world.case_a, people.coordinator, kind="art40", compartments=("core", "reporter_identity"))
    assert document_access.can_read_document(people.magistrate, art40)
    assert not document_access.can_read_document(people.magistrate, ip)


# --- Words that agree with the person written to ---------------------------------------------------------


def _convocation(filled, link):
    return {
        "recipient": link.guardian,
        "convocation": ConvocationDetails(
            on=_next(1), at=time(10, 0), place="Collège A", purpose="Point", contact="CPE", pupil=link.child
        ),
    }


def test_a_convocation_to_a_mother_agrees_with_her(filled, world, people):
    _document, data = make(
        world.case_a, people.coordinator, "convocation", **_convocation(filled, filled.guardian_link)
    )
    assert has(data, "Madame,", "représentante légale", "vous êtes invitée", "accompagnée") == []
    assert lacks(data, "Madame, Monsieur", "représentant légal (", "invité(e)", "accompagné(e)") == []


def test_a_convocation_to_a_father_opens_monsieur(filled, world, people):
    link = filled.author_guardian_link
    _document, data = make(world.case_a, people.coordinator, "convocation", **_convocation(filled, link))
    assert has(data, "Monsieur,", "représentant légal de Kévin", "vous êtes invité au") == []
    assert lacks(data, "Madame", "invité(e)", "représentante") == []


def test_a_convocation_to_a_tutor_keeps_both_forms(filled, world, people):
    from halte.cases.models import Guardianship, Involvement, Person

    tutor = Person.objects.create(kind="adult", first_name="Alex", last_name="Roux", address="1 rue Haute, Amiens")
    Involvement.objects.create(case=world.case_a, person=tutor, role="guardian")
    link = Guardianship.objects.create(child=filled.victim, guardian=tutor, relationship="tutor")
    _document, data = make(world.case_a, people.coordinator, "convocation", **_convocation(filled, link))
    assert has(data, "Madame, Monsieur,", "responsable légal de Léa") == []
    assert lacks(data, "représentante", "responsable légal·e") == []


def test_a_closure_letter_to_a_mother_or_a_father_agrees(filled, world, people):
    from halte.cases.models import Guardianship, Involvement, Person

    case = world.case_a
    case.closure_outcome = "stopped"
    case.save()
    _document, data = make(case, people.coordinator, "closure_letter", recipient=filled.guardian)
    assert has(data, "Madame,", "agréer, Madame, l’expression") == []
    assert lacks(data, "Madame, Monsieur") == []
    father = Person.objects.create(kind="adult", first_name="Paul", last_name="Martin", address="5 rue Basse, Amiens")
    Involvement.objects.create(case=case, person=father, role="guardian")
    Guardianship.objects.create(child=filled.victim, guardian=father, relationship="father")
    _document, data = make(case, people.coordinator, "closure_letter", recipient=father)
    assert has(data, "Monsieur,", "agréer, Monsieur, l’expression") == []
    assert lacks(data, "Madame") == []
    _document, data = make(case, people.coordinator, "closure_letter")  # « Aux parents »
    assert has(data, "Madame, Monsieur,") == []


def test_no_text_says_closez():
    """« Clore » has no « closez »: the imperative is « clôturez » (or « fermez »)."""
    from pathlib import Path

    import halte

    root = Path(halte.__file__).parent
    found = [
        str(path.relative_to(root))
        for pattern in ("*.py", "*.html", "*.txt", "*.po")
        for path in root.rglob(pattern)
        if "closez" in path.read_text(encoding="utf-8").casefold()
    ]
    assert found == []


def test_the_art40_says_which_pupil_s_family_each_contact_was_with(filled, world, people):
    """Two alleged authors, two families: « Famille de l'auteur présumé » alone does not say which."""
    from halte.cases.models import Involvement, Person
    from halte.documents import content, pdf
    from halte.interventions.models import FamilyContact

    enzo = Person.objects.create(kind="pupil", first_name="Enzo", last_name="Petitjean")
    Involvement.objects.create(case=world.case_a, person=enzo, role="alleged_author")
    FamilyContact.objects.create(
        case=world.case_a,
        family="author",
        pupil=enzo,
        at=timezone.now(),
        channel="letter",
        made_by=people.coordinator,
        summary="Courrier aux parents d'Enzo.",
    )
    built = content.art40(world.case_a, author=people.coordinator, readable=IDENTITY_READERS, now=timezone.now())
    html = compact(pdf.render_html(built.template, built.context))
    assert compact("(Enzo Petitjean)") in html


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("Enzo Petit", "d’Enzo Petit"),
        ("Hugo Roy", "d’Hugo Roy"),
        ("Élise Noor", "d’Élise Noor"),
        ("Léa Martin", "de Léa Martin"),
    ],
)
def test_a_name_takes_de_or_its_elision(name, expected):
    from halte.documents.templatetags.document_text import of_name

    assert of_name(name) == expected
