"""What an outside tester found on documents ready to send: a convocation with no address to send it to,
empty bullets and a lonely signature in the art. 40 report, the IP's child address and nested quotes."""

import io
import re
from datetime import time

import pytest
from django.urls import reverse
from pypdf import PdfReader

from halte.documents.content import DocumentRefused
from halte.documents.templatetags.document_text import quoted
from halte.interventions.models import Interview

from .conftest import compact, pdf_text
from .test_ready_to_send import _convocation, _next, _page_end, _post, has, lacks, make, partners

__all__ = ["partners"]


# --- 1. A convocation needs the recipient's postal address ---------------------------------------------


def test_a_convocation_to_a_guardian_without_an_address_is_refused(filled, world, people):
    guardian = filled.guardian
    guardian.address = ""
    guardian.save()
    with pytest.raises(DocumentRefused) as refused:
        make(world.case_a, people.coordinator, "convocation", **_convocation(filled, filled.guardian_link))
    message = refused.value.message
    assert "Sophie Martin" in message and "adresse postale" in message and "Coordonnées" in message
    assert not world.case_a.documents.exists()


def test_a_blank_address_is_no_address(filled, world, people):
    guardian = filled.guardian
    guardian.address = "  \n "
    guardian.save()
    with pytest.raises(DocumentRefused):
        make(world.case_a, people.coordinator, "convocation", **_convocation(filled, filled.guardian_link))


def test_the_recipient_list_marks_a_missing_address_and_the_post_says_where_to_add_it(
    client, login, filled, world, people
):
    filled.guardian.address = ""
    filled.guardian.save()
    login(client, people.coordinator)
    page = client.get(reverse("documents:generate", args=[world.case_a.public_id, "convocation"])).content.decode()
    label = re.search(rf'<option value="{filled.guardian_link.public_id}"[^>]*>([^<]*)</option>', page)
    assert label and "adresse manquante" in label[1]
    other = re.search(rf'<option value="{filled.author_guardian_link.public_id}"[^>]*>([^<]*)</option>', page)
    assert other and "adresse manquante" not in other[1]
    response = _post(client, world.case_a, filled.guardian_link, _next(1), time(10, 0))
    assert response.status_code == 400
    assert "Sophie Martin" in response.content.decode() and not world.case_a.documents.exists()


# --- 2. The art. 40 report: no empty bullet, no signature alone on its page ----------------------------------


def _bullet_lines(data: bytes) -> list[str]:
    return [line for line in pdf_text(data).splitlines() if line.strip() in {"•", "◦", "▪", "-"}]


def test_the_art40_prints_no_empty_bullet(filled, world, people, partners):
    _document, data = make(world.case_a, people.coordinator, "art40", partner=partners["parquet"])
    assert _bullet_lines(data) == []


def test_the_signature_is_never_alone_on_the_last_page(filled, world, people, partners):
    """The summary grows line by line: whenever the signature would fall to a page of its own, the last
    paragraph goes with it."""
    from django.utils import timezone

    from halte.documents import content, pdf

    case = world.case_a
    built = content.art40(
        case, author=people.coordinator, readable=frozenset({"core"}), now=timezone.now(), partner=partners["parquet"]
    )
    summary = case.summary
    for step in range(0, 48, 3):
        case.summary = "\n".join([summary, *(f"Récit, ligne {line}." for line in range(step))])
        reader = PdfReader(io.BytesIO(pdf.render_pdf(built.template, built.context)))
        last = _page_end(reader.pages[-1])
        # The running header comes first in the extracted text of a page: drop it.
        last = last.replace(compact("Cellule d’intervention rapide contre le harcèlement scolaire de la Somme"), "")
        last = last.replace(compact("Document confidentiel — données d’un mineur"), "")
        assert not last.startswith(compact("Fait le")), f"step {step}: the signature is alone on the last page"


# --- 3. The information préoccupante: the child's address, quotes inside quotes -----------------------------


def test_the_ip_without_the_child_s_address_sends_to_the_guardians(filled, world, people):
    victim = filled.victim
    victim.address = ""
    victim.save()
    _document, data = make(world.case_a, people.social_worker, "ip")
    assert has(data, "Non renseignée — voir les représentants légaux ci-dessous", "3 rue des Lilas") == []
    assert lacks(data, "Adresse —\n", "Adresse—Établissement") == []


def test_the_ip_form_warns_that_the_child_s_address_is_missing(client, login, filled, world, people):
    filled.victim.address = ""
    filled.victim.save()
    login(client, people.social_worker)
    page = client.get(reverse("documents:generate", args=[world.case_a.public_id, "ip"])).content.decode()
    assert "L’adresse de Léa Martin n’est pas renseignée" in page
    contact = reverse("cases:person_contact", args=[world.case_a.public_id, filled.victim.public_id])
    assert contact in page


def test_the_ip_form_says_nothing_when_the_address_is_known(client, login, filled, world, people):
    login(client, people.social_worker)
    page = client.get(reverse("documents:generate", args=[world.case_a.public_id, "ip"])).content.decode()
    assert "n’est pas renseignée" not in page


@pytest.mark.parametrize(
    ("typed", "printed"),
    [
        ('"Ils m\'appellent « la baleine » tous les jours"', "« Ils m'appellent “la baleine” tous les jours »"),
        ("Ils m’ont appelé « la baleine »", "« Ils m’ont appelé “la baleine” »"),
        ("« Ils me frappent »", "« Ils me frappent »"),
        ("« Il m’a dit « dégage » »", "« Il m’a dit “dégage” »"),
        ("sans guillemets", "« sans guillemets »"),
    ],
)
def test_quoted_never_nests_french_quotes(typed, printed):
    assert quoted(typed) == printed


def test_words_with_quotes_inside_print_second_level_quotes(filled, world, people, partners):
    Interview.objects.filter(case=world.case_a, kind="victim").update(
        words='"Ils m\'appellent « la baleine » tous les jours"'
    )
    _document, data = make(world.case_a, people.coordinator, "art40", partner=partners["parquet"])
    text = compact(pdf_text(data))
    assert compact("« Ils m'appellent “la baleine” tous les jours »") in text
    assert text.count("«") == text.count("»")
    assert compact("« Ils m'appellent «") not in text


# --- 7. « de » before a name that opens on a vowel is elided: « d’Enzo » ----------------------------------


@pytest.fixture
def enzo(filled):
    victim = filled.victim
    victim.first_name, victim.last_name = "Enzo", "Lefèvre"
    victim.save()
    return victim


def test_the_case_page_elides_de_before_a_vowel(client, login, enzo, world, people):
    login(client, people.coordinator)
    page = client.get(reverse("cases:detail", args=[world.case_a.public_id])).content.decode()
    assert "Date de naissance et adresse d’Enzo Lefèvre" in page
    assert "Ajouter un représentant légal d’Enzo Lefèvre" in page
    assert "de Enzo" not in page


def test_the_convocation_recipients_elide_de(client, login, enzo, filled, world, people):
    login(client, people.coordinator)
    page = client.get(reverse("documents:generate", args=[world.case_a.public_id, "convocation"])).content.decode()
    assert "mère d’Enzo Lefèvre" in page
    assert "de Enzo" not in page


def test_every_ne_pas_informer_message_elides_de(client, login, enzo, filled, world, people):
    from halte.interventions import families

    restriction = families.set_restriction(case=world.case_a, actor=people.magistrate, pupil=enzo, reason="Enquête")
    refusal = families.convocation_refusal(world.case_a, enzo)
    assert "la famille d’Enzo Lefèvre" in refusal and "de Enzo" not in refusal
    for kind in ("informed", "interview", "convocation"):
        table = {
            "informed": families.INFORMED_REFUSALS,
            "interview": families.INTERVIEW_REFUSALS,
            "convocation": families.CONVOCATION_REFUSALS,
        }[kind]
        for message in table.values():
            assert "%(of_pupil)s" in str(message) and "de %(" not in str(message), kind
    login(client, people.coordinator)
    page = client.get(reverse("cases:detail", args=[world.case_a.public_id])).content.decode()
    assert "de Enzo" not in page
    assert restriction.pupil_id == enzo.pk
    _document, data = make(world.case_a, people.social_worker, "ip")
    assert has(data, "la famille d’Enzo Lefèvre ne doit pas être informée", "Représentants légaux d’Enzo Lefèvre") == []
    assert "deEnzo" not in compact(pdf_text(data))
