"""What a reporter reads: every message in the form's own voice (« tu » to a pupil, « vous » to an
adult), never one of Django's; errors summed up at the top with links; the French page of a refused
form; the home page's buttons; the steps never kept by the browser."""

import html
import re

import pytest
from django import forms
from django.core import validators
from django.core.files.uploadedfile import SimpleUploadedFile
from django.forms.formsets import BaseFormSet
from django.test import Client
from django.urls import reverse
from django.utils import translation

from halte.reports import actions
from halte.reports.models import Report

from .helpers import draft_of, fill_until_finish, post_step, pupils_data


@pytest.fixture(autouse=True)
def _vault_in_tmp(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.VAR_DIR = tmp_path


def django_default_messages() -> set[str]:
    """The beginning of every message Django would write for the fields a public form uses, in
    French and in English, taken from Django itself so that a new default cannot slip through."""
    texts = set()
    classes = [
        forms.CharField,
        forms.EmailField,
        forms.ChoiceField,
        forms.MultipleChoiceField,
        forms.BooleanField,
        forms.FileField,
        forms.TypedChoiceField,
    ]
    for language in ("fr", "en"):
        with translation.override(language):
            for cls in classes:
                for klass in cls.__mro__:
                    texts |= {str(m) for m in getattr(klass, "default_error_messages", {}).values()}
            texts |= {str(m) for m in BaseFormSet.default_error_messages.values()}
            texts.add(str(validators.EmailValidator.message))
            texts.add(str(validators.ProhibitNullCharactersValidator.message))
            texts.add(str(validators.MaxLengthValidator(10).message % {"limit_value": 10, "show_value": 11}))
    prefixes = {text.split("%(")[0].strip() for text in texts}
    # Also the words that open Django's defaults, whatever follows.
    prefixes |= {"Saisissez", "Assurez-vous", "Sélectionnez un choix valide", "Veuillez", "Ensure this", "Enter a"}
    return {p for p in prefixes if len(p) >= 8}


DEFAULTS = django_default_messages()


def assert_own_words(response) -> str:
    page = html.unescape(response.content.decode())
    leaked = sorted(text for text in DEFAULTS if text in page)
    assert leaked == [], leaked
    return page


def assert_error_page(response) -> str:
    assert response.status_code == 200
    page = assert_own_words(response)
    title = re.search(r"<title>\s*(.*?)\s*</title>", page, re.S).group(1)
    assert title.startswith("Erreur :"), title
    summary = re.search(r'<div class="fr-alert fr-alert--error[^"]*halte-error-summary"(.*?)</div>', page, re.S)
    assert summary, "no error summary"
    assert "autofocus" in summary.group(0)
    targets = re.findall(r'href="#([^"]+)"', summary.group(1))
    assert targets, "the summary links to nothing"
    for target in targets:
        assert f'id="{target}"' in page, f"the summary links to #{target}, which is not on the page"
    return page


def test_the_django_messages_list_is_not_empty():
    # The test below can only fail if it knows what to look for.
    assert "Ce champ est obligatoire." in DEFAULTS
    assert "This field is required." in DEFAULTS
    assert any(text.startswith("Assurez-vous") for text in DEFAULTS)


INVALID_POSTS = {
    "qui": [
        {},
        {
            "reporter_kind": "pirate",
            "anonymity": "named",
            "reporter_name": "x" * 300,
            "reporter_email": "pas-une-adresse",
            "reporter_phone": "06\x00" * 20,
        },
        {"reporter_kind": "victim", "anonymity": "peut-etre"},
    ],
    "etablissement": [{}, {"school": "9999999Z", "school_text": "x" * 300}],
    "eleves": [
        {},
        {**pupils_data(), "form-TOTAL_FORMS": "9"},
        {**pupils_data(), "form-0-role": "chef", "form-1-first_name": "x" * 200, "form-2-role": "victim"},
    ],
    "faits": [
        {},
        {"bullying_forms": ["laser"], "since": "jamais", "frequency": "souvent", "description": "a" * 10_001},
    ],
    "bien-etre": [{}, {"distress_signs": ["x"], "immediate_danger": "peut-etre"}],
}
VALID_POSTS = {
    "etablissement": {"school": "0800020M"},
    "eleves": pupils_data([("Léa", "victim")]),
    "faits": {"since": "weeks", "frequency": "daily", "description": "On me pousse dans l’escalier."},
    "bien-etre": {"immediate_danger": "no"},
}


@pytest.mark.parametrize(
    ("kind", "own", "other"),
    [
        ("victim", "Choisis une réponse.", "Choisissez une réponse."),
        ("parent", "Choisissez une réponse.", "Choisis une réponse."),
    ],
)
def test_every_step_sent_empty_or_wrong_answers_in_the_form_own_voice(client, people, kind, own, other):
    client.post(reverse("reports:start"))
    for data in INVALID_POSTS["qui"]:
        assert_error_page(post_step(client, "qui", {**data, "reporter_kind": data.get("reporter_kind", kind)}))
    assert post_step(client, "qui", {"reporter_kind": kind, "anonymity": "anonymous"}).status_code == 302
    for slug in ["etablissement", "eleves", "faits", "bien-etre"]:
        for data in INVALID_POSTS[slug]:
            page = assert_error_page(post_step(client, slug, data))
            if slug in {"faits", "bien-etre"} and not data:
                assert own in page and other not in page
        assert post_step(client, slug, VALID_POSTS[slug]).status_code == 302
    empty = SimpleUploadedFile("vide.jpg", b"", content_type="image/jpeg")
    assert_error_page(post_step(client, "envoyer", {"files": [empty]}))
    assert Report.objects.count() == 0


def test_too_long_a_story_says_how_long_in_plain_words(client, people):
    fill_until_finish(client)
    page = assert_error_page(
        post_step(client, "faits", {"since": "days", "frequency": "once", "description": "é" * 10_001})
    )
    assert "C’est trop long : 10000 caractères au plus, tu en as écrit 10001. Raccourcis un peu." in page


def test_a_parent_is_spoken_to_as_vous_from_the_second_step_on(client, people):
    client.post(reverse("reports:start"))
    post_step(client, "qui", {"reporter_kind": "parent", "anonymity": "anonymous"})
    school = client.get(reverse("reports:step", args=["etablissement"])).content.decode()
    assert "Vous ne la trouvez pas ? Écrivez son nom et sa ville" in school
    assert "Appuyez sur « Chercher »" in school or "appuyez sur « Chercher »" in school
    post_step(client, "etablissement", VALID_POSTS["etablissement"])
    pupils = client.get(reverse("reports:step", args=["eleves"])).content.decode()
    assert "si vous les connaissez" in pupils and "si tu les connais" not in pupils
    post_step(client, "eleves", VALID_POSTS["eleves"])
    facts = client.get(reverse("reports:step", args=["faits"])).content.decode()
    assert "Racontez avec vos mots" in facts and "Raconte avec tes mots" not in facts
    post_step(client, "faits", VALID_POSTS["faits"])
    post_step(client, "bien-etre", VALID_POSTS["bien-etre"])
    receipt = html.unescape(post_step(client, "envoyer", {"files": []}).content.decode())
    assert "Merci, votre signalement est bien arrivé" in receipt
    assert "Votre code de suivi" in receipt and "Ton code de suivi" not in receipt


def test_a_pupil_is_spoken_to_as_tu_and_shown_the_code_alone(client, people):
    fill_until_finish(client)
    receipt = html.unescape(post_step(client, "envoyer", {"files": []}).content.decode())
    assert "Merci, ton signalement est bien arrivé" in receipt
    assert "montre-le à un adulte de confiance" in receipt
    report = Report.objects.get()
    # One number only on the page: the code, not the reference as well.
    assert report.reference not in receipt
    code = re.search(r'id="code-de-suivi">\s*([\d ]+)\s*<', receipt).group(1)
    assert 'download="code-de-suivi.txt"' in receipt
    assert code.replace(" ", "%20") in receipt  # the file to download carries it


def test_no_jargon_on_the_child_path(client, people):
    pages = [client.get(reverse("www:home")), client.get(reverse("reports:start"))]
    client.post(reverse("reports:start"))
    pages.append(client.get(reverse("reports:step", args=["qui"])))
    post_step(client, "qui", {"reporter_kind": "victim", "anonymity": "anonymous"})
    for slug, data in VALID_POSTS.items():
        pages.append(client.get(reverse("reports:step", args=[slug])))
        post_step(client, slug, data)
    pages.append(client.get(reverse("reports:step", args=["envoyer"])))
    pages.append(post_step(client, "envoyer", {"files": []}))
    for response in pages:
        main = response.content.decode().split("<main", 1)[1].split("</main>", 1)[0]
        text = html.unescape(re.sub(r"<[^>]+>", " ", main))
        path = response.request["PATH_INFO"]
        for word in ["UAI", "établissement", "Établissement", "facultatif", "Facultatif", " Mo ", " Mo."]:
            assert word not in text, (path, word)
        if path != reverse("www:home"):  # the home page says once what this team is called
            assert "cellule d’intervention" not in text, path


def test_identity_is_neither_required_nor_kept_when_anonymous(client, people):
    client.post(reverse("reports:start"))
    response = post_step(
        client,
        "qui",
        {
            "reporter_kind": "victim",
            "anonymity": "anonymous",
            "reporter_name": "Léa",
            "reporter_email": "pas-une-adresse",
        },
    )
    assert response.status_code == 302
    who = draft_of(client)["qui"]
    assert who["reporter_name"] == who["reporter_email"] == who["reporter_phone"] == ""
    page = client.get(reverse("reports:step", args=["qui"])).content.decode()
    assert 'class="halte-identity"' in page


def test_steps_are_never_stored_by_the_browser(client, people):
    client.post(reverse("reports:start"))
    for slug in ["qui"]:
        response = client.get(reverse("reports:step", args=[slug]))
        assert "no-store" in response["Cache-Control"]
    response = post_step(client, "qui", {})
    assert "no-store" in response["Cache-Control"]


def test_back_after_sending_leads_to_the_page_before_the_form_not_away(client, people, settings):
    fill_until_finish(client)
    post_step(client, "envoyer", {"files": []})
    assert client.get(reverse("reports:step", args=["bien-etre"])).url == reverse("reports:start")


def test_a_step_posted_after_the_draft_lapsed_is_kept_and_shown_back(client, people):
    response = post_step(client, "faits", VALID_POSTS["faits"])
    page = html.unescape(response.content.decode())
    assert response.status_code == 200
    assert "Ta session a expiré : rien n’est perdu" in page
    assert "Ce que tu venais d’écrire est gardé" in page
    assert VALID_POSTS["faits"]["description"] in page
    assert draft_of(client)["faits"]["description"] == VALID_POSTS["faits"]["description"]
    # « Reprendre au début » finds the new draft: the first step opens, not the neutral site.
    assert client.get(reverse("reports:step", args=["qui"])).status_code == 200


def test_home_shows_signaler_and_suivre_as_buttons_in_the_page(client, db):
    page = client.get(reverse("www:home")).content.decode()
    main = page.split("<main", 1)[1].split("</main>", 1)[0]
    assert re.search(r'<a class="fr-btn"\s+href="/signaler/">\s*Signaler\s*</a>', main)
    assert re.search(r'<a class="fr-btn fr-btn--secondary"\s+href="/suivi/">\s*Suivre mon signalement\s*</a>', main)


def test_a_refused_form_gets_a_french_page_with_the_quick_exit(db):
    browser = Client(enforce_csrf_checks=True)  # cookies blocked: no token comes back
    response = browser.post(reverse("reports:start"))
    assert response.status_code == 403
    page = html.unescape(response.content.decode())
    assert "La page n’a pas pu être envoyée" in page
    assert "<title>" in page and "Erreur :" in page
    assert 'id="quitter-vite"' in page
    assert f'href="{reverse("reports:start")}"' in page
    assert "Ton navigateur n’a pas renvoyé" in page
    for django_text in ["CSRF", "Forbidden", "Interdit", "Reason given"]:
        assert django_text not in page


def test_the_refused_form_page_of_a_parent_says_vous(client, people):
    client.post(reverse("reports:start"))
    post_step(client, "qui", {"reporter_kind": "parent", "anonymity": "anonymous"})
    client.handler.enforce_csrf_checks = True
    response = post_step(client, "etablissement", VALID_POSTS["etablissement"])
    assert response.status_code == 403
    page = html.unescape(response.content.decode())
    assert "Votre navigateur n’a pas renvoyé" in page and "Ton navigateur" not in page


def test_mailbox_status_changes_once_the_team_has_answered(client, people):
    fill_until_finish(client)
    code = re.search(
        r'id="code-de-suivi">\s*([\d ]+)\s*<', post_step(client, "envoyer", {"files": []}).content.decode()
    )
    client.post(reverse("reports:mailbox_open"), {"code": code.group(1)})
    assert "Reçu" in client.get(reverse("reports:mailbox")).content.decode()
    actions.post_staff_reply(report=Report.objects.get(), body="Nous avons bien lu.", actor=people.coordinator)
    page = html.unescape(client.get(reverse("reports:mailbox")).content.decode())
    assert "L’équipe t’a répondu" in page
    assert ">Reçu<" not in page


def test_a_parent_mailbox_says_vous(client, people):
    client.post(reverse("reports:start"))
    post_step(client, "qui", {"reporter_kind": "parent", "anonymity": "anonymous"})
    for slug, data in VALID_POSTS.items():
        post_step(client, slug, data)
    code = re.search(
        r'id="code-de-suivi">\s*([\d ]+)\s*<', post_step(client, "envoyer", {"files": []}).content.decode()
    )
    client.post(reverse("reports:mailbox_open"), {"code": code.group(1)})
    actions.post_staff_reply(report=Report.objects.get(), body="Nous avons bien lu.", actor=people.coordinator)
    page = html.unescape(client.get(reverse("reports:mailbox")).content.decode())
    assert "L’équipe vous a répondu" in page and "Votre message" in page
    assert "t’a répondu" not in page and "Ton message" not in page
    response = client.post(reverse("reports:mailbox"), {"body": ""})
    page = assert_error_page(response)
    assert "Écrivez quelque chose ici." in page


def test_a_refused_staff_form_speaks_to_a_professional(client, login, people):
    """A coordinator whose form expired is not told to call the 3018 in the words of a child."""
    login(client, people.coordinator)
    client.handler.enforce_csrf_checks = True
    response = client.post(reverse("reports:staff_new"), {})
    assert response.status_code == 403
    page = html.unescape(response.content.decode())
    assert "Le formulaire a expiré ou votre session a pris fin" in page
    for childish in ("Ton navigateur", "appelle le 3018", "Appelle le 17", "Recommencer le signalement"):
        assert childish not in page, childish
