"""Property-based fuzzing of the public reporting journey and of the reporter's mailbox (hypothesis).

Hypothesis posts arbitrary text (control characters, NUL, right-to-left marks, emoji, markup, SQL,
strings far beyond every limit) and arbitrary choice values into every field of every step, into the
pupils formset's management fields, into the final step's uploads and into the mailbox. Whatever
comes in:

* no answer is a server error: each one is 200 (the form again, with its errors), 302 (the next
  step), 400 (too big) or 429 (too many wrong receipt codes);
* a saved report holds no C0 control character except line feed, carriage return and tab, and no
  value longer than its column;
* nothing is half-saved: a final POST that does not show the receipt leaves no report, pupil,
  evidence, message, notification or audit event behind, and the reference counter does not move.

A fresh ``Client()`` is built inside each example: the function-scoped ``client`` fixture would carry
one example's session into the next. Examples share the test's database transaction, so every check
compares counts taken before and after the POST under test.

The tests at the end of this file pin down the bugs this fuzzing found: a 261-character address
(valid for Django) that the 254-character column could not hold, a NUL in the school step reaching
PostgreSQL unvalidated, and vault files left behind by a refused submission.
"""

import io
import re
from dataclasses import dataclass

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from hypothesis import HealthCheck, event, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from PIL import Image

from halte.audit.models import Action, AuditEvent
from halte.core.models import Counter
from halte.notifications.models import Notification
from halte.reports import enums, receipts
from halte.reports.actions import PupilData, ReportData, submit_report
from halte.reports.forms import ReceiptForm
from halte.reports.models import Evidence, Message, ReceiptThrottle, Report, ReportedPupil

from .helpers import draft_of, fill_until_finish, post_step, pupils_data

SLUGS = ["qui", "etablissement", "eleves", "faits", "bien-etre", "envoyer"]
FUZZ = hypothesis_settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

# C0 controls other than tab, line feed and carriage return, and DEL, which the forms also strip.
FORBIDDEN_CONTROLS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
ERROR_TEXT = re.compile(r'<li class="fr-error-text">\s*(.*?)\s*</li>', re.DOTALL)
FRENCH_WORDS = ("fichier", "image", "trop", "vide", "aucun", "n’est pas", "abîmée", "soumis", "champ")
ENGLISH_MESSAGES = ("submitted", "No file was", "Ensure this", "Upload a valid", "This field")


@pytest.fixture(autouse=True)
def _vault_in_tmp(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.VAR_DIR = tmp_path


# --- Strategies ---------------------------------------------------------------------------------

SPECIMENS = [
    "",
    " ",
    "\x00",
    "a\x00b",
    "\x00\x01\x02\x03\x1b\x7f",
    "\x1b[31mrouge\x1b[0m",
    "ligne 1\r\nligne 2\tfin",
    "\u202eelbisivni\u202c",
    "\u200f\u200e\u2066\u2069",
    "\ufeffBOM",
    "<script>alert(1)</script>",
    '"><img src=x onerror=alert(1)>',
    "{{ request.session }}{% debug %}",
    "' OR 1=1 --",
    "'); DROP TABLE reports_report; --",
    "%s%s%n%d",
    "😀👩‍👩‍👧🏳️‍🌈",
    "ﷺ",  # one character that NFKD turns into eighteen
    "İstanbul ǅ ß",
    "0800020M",
    "0800020M\x00",
    "1234 5678 9012 3456 7890",
    "٠١٢٣٤٥٦٧٨٩",  # digits, but not ASCII
]

# Long strings: a few characters repeated up to twelve thousand times, beyond every form limit.
long_text = st.builds(lambda chunk, times: chunk * times, st.text(min_size=1, max_size=3), st.integers(1, 12_000))
nasty_text = st.one_of(
    st.text(),
    st.text(alphabet=st.characters(max_codepoint=0x9F)),  # ASCII, C0 and C1 controls, NUL
    st.sampled_from(SPECIMENS),
    long_text,
)


# Text that survives cleaning (something visible around the nasty part), so that it reaches the database.
storable_text = st.builds(
    "{} récit {}".format,
    st.one_of(st.text(max_size=40), st.sampled_from(SPECIMENS)),
    st.one_of(st.text(max_size=40), st.sampled_from(SPECIMENS)),
)
free_text = st.booleans().flatmap(lambda storable: storable_text if storable else nasty_text)


def as_a_browser_sends_it(text: str) -> str:
    # Browsers percent-encode quotes and line breaks in multipart headers (HTML's form encoding).
    return text.replace('"', "%22").replace("\r", "%0D").replace("\n", "%0A")


def mostly(valid: st.SearchStrategy, other: st.SearchStrategy) -> st.SearchStrategy:
    """Three times in four a value the form accepts, so that later steps and the database are reached."""
    # Not one_of(valid, valid, valid, other): hypothesis flattens nested one_of branches and picks among them all.
    return st.integers(0, 3).flatmap(lambda pick: valid if pick else other)


def plausible_or_wild(plausible: st.SearchStrategy, wild: st.SearchStrategy) -> st.SearchStrategy:
    """A step answered as a form would let it through (nasty text inside), or anything at all."""
    return st.booleans().flatmap(lambda tame: plausible if tame else wild)


def choice(values) -> st.SearchStrategy:
    """A field with choices: a valid value or anything at all, sometimes posted several times."""
    anything = st.one_of(st.sampled_from(list(values)), nasty_text)
    return mostly(st.sampled_from(list(values)), st.one_of(anything, st.lists(anything, min_size=2, max_size=3)))


def choices(values) -> st.SearchStrategy:
    valid = st.lists(st.sampled_from(list(values)), max_size=4)
    return mostly(valid, st.lists(st.one_of(st.sampled_from(list(values)), nasty_text), max_size=5))


def valid_choices(values) -> st.SearchStrategy:
    return st.lists(st.sampled_from(list(values)), max_size=4)


short_storable = st.builds("{}0{}".format, st.text(max_size=12), st.text(max_size=12))  # a phone: 32 at most
valid_emails = st.one_of(st.emails().filter(lambda e: len(e) <= 254), st.just("lea.parent@exemple.fr"))
# Up to 320 characters, which Django's validator accepts but the 254-character column cannot hold.
long_emails = st.integers(243, 308).map(lambda n: "a" * n + "@exemple.fr")
emails = st.one_of(valid_emails, long_emails, nasty_text)
junk_names = st.text(max_size=20).map(as_a_browser_sends_it)
junk_fields = st.dictionaries(junk_names, nasty_text, max_size=3)

who_step = plausible_or_wild(
    st.one_of(
        st.fixed_dictionaries(
            {"reporter_kind": st.sampled_from(enums.ReporterKind.values), "anonymity": st.just("anonymous")},
            # Typed, then "anonymous" chosen: none of it may be kept.
            optional={"reporter_name": free_text, "reporter_email": emails, "reporter_phone": free_text},
        ),
        st.fixed_dictionaries(
            {
                "reporter_kind": st.sampled_from(enums.ReporterKind.values),
                "anonymity": st.just("named"),
                "reporter_name": storable_text,
                "reporter_email": valid_emails,
            },
            optional={"reporter_phone": short_storable},
        ),
    ),
    st.fixed_dictionaries(
        {"reporter_kind": choice(enums.ReporterKind.values), "anonymity": choice(["anonymous", "named"])},
        optional={"reporter_name": free_text, "reporter_email": emails, "reporter_phone": free_text},
    ),
)


@st.composite
def school_step(draw) -> dict:
    if draw(st.booleans()):  # as a form would let it through
        data = {"school": draw(st.sampled_from(["0800020M", "0800022P"]))} if draw(st.booleans()) else {}
        if not data or draw(st.booleans()):
            data["school_text"] = draw(storable_text)
        return data
    data = draw(
        st.fixed_dictionaries(
            {},
            optional={
                "school_query": st.one_of(nasty_text, st.sampled_from(["collège", "Collège B", "0800022P", "a b c"])),
                "school": choice(["0800020M", "0800022P", "0800099X"]),
                "school_text": free_text,
            },
        )
    )
    if draw(st.integers(0, 3)) == 0:  # "Chercher" rather than "Continuer"
        data["search"] = draw(st.one_of(st.just("1"), nasty_text))
    return data


count_field = st.one_of(
    st.sampled_from(["0", "1", "3", "4", "5", "-1", "", "1e3", "4.0", " 4 ", "999999999999999999999"]),
    st.integers(-10, 10**6).map(str),
    nasty_text,
)


consistent_pupil = st.fixed_dictionaries(
    {"first_name": st.one_of(storable_text, st.just("Léa")), "role": st.sampled_from(enums.PupilRole.values)},
    optional={"last_name": free_text, "class_name": free_text},
)
any_pupil = st.fixed_dictionaries(
    {},
    optional={
        "first_name": free_text,
        "last_name": free_text,
        "class_name": free_text,
        "role": choice(["", *enums.PupilRole.values]),
    },
)


@st.composite
def pupils_step(draw) -> dict:
    data = pupils_data()
    for name in ("form-TOTAL_FORMS", "form-INITIAL_FORMS", "form-MIN_NUM_FORMS", "form-MAX_NUM_FORMS"):
        action = draw(st.sampled_from(["keep"] * 6 + ["fuzz", "drop"]))
        if action == "fuzz":
            data[name] = draw(count_field)
        elif action == "drop":
            del data[name]
    for index in draw(st.lists(st.integers(-1, 6), max_size=5, unique=True)):
        pupil = draw(mostly(consistent_pupil, any_pupil))
        data.update({f"form-{index}-{field}": value for field, value in pupil.items()})
    return data


facts_step = plausible_or_wild(
    st.fixed_dictionaries(
        {
            "bullying_forms": valid_choices(enums.Form.values),
            "platforms": valid_choices(enums.Platform.values),
            "since": st.sampled_from(enums.Since.values),
            "frequency": st.sampled_from(enums.Frequency.values),
            "places": valid_choices(enums.Place.values),
            "description": storable_text,
        }
    ),
    st.fixed_dictionaries(
        {
            "bullying_forms": choices(enums.Form.values),
            "platforms": choices(enums.Platform.values),
            "since": choice(enums.Since.values),
            "frequency": choice(enums.Frequency.values),
            "places": choices(enums.Place.values),
            "description": free_text,
        }
    ),
)
wellbeing_step = plausible_or_wild(
    st.fixed_dictionaries(
        {
            "distress_signs": valid_choices(enums.DistressSign.values),
            "immediate_danger": st.sampled_from(["yes", "no"]),
        }
    ),
    st.fixed_dictionaries(
        {"distress_signs": choices(enums.DistressSign.values), "immediate_danger": choice(["yes", "no"])}
    ),
)
finish_step = st.fixed_dictionaries({}, optional={"consent_to_contact": st.one_of(st.just("on"), nasty_text)})

# What a child who answers plainly would post at each step, to get past a step whose fuzzed answer was refused.
PLAIN = {
    "qui": {"reporter_kind": "victim", "anonymity": "anonymous"},
    "etablissement": {"school": "0800020M"},
    "eleves": pupils_data([("Léa", "victim")]),
    "faits": {
        "bullying_forms": ["verbal"],
        "since": "months",
        "frequency": "daily",
        "places": ["playground"],
        "description": "Ils me traitent de nul tous les jours à la cantine.",
    },
    "bien-etre": {"immediate_danger": "no"},
}


def _image(image_format: str, mode: str = "RGB") -> bytes:
    buffer = io.BytesIO()
    Image.new(mode, (6, 4), (200, 30, 30) if mode == "RGB" else 128).save(buffer, format=image_format)
    return buffer.getvalue()


SEED_FILES = [
    _image("JPEG"),
    _image("PNG"),
    _image("GIF", "L"),
    _image("WEBP"),
    b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n",
    b"\x00\x00\x00\x18ftypmp42\x00\x00\x00\x00mp42isom",
    b"\x1a\x45\xdf\xa3\x9f\x42\x86\x81\x01\x42\x82\x84webm\x42\x87\x81\x02",
    "Il m’a écrit : « t’es nulle ».\n".encode(),
]
MAGIC_PREFIXES = [b"\xff\xd8\xff", b"\x89PNG\r\n\x1a\n", b"GIF89a", b"RIFF\x00\x00\x00\x00WEBP", b"%PDF-", b"<svg", b""]


@st.composite
def file_bytes(draw) -> bytes:
    kind = draw(st.sampled_from(["binary", "text", "seed", "mutated", "magic"]))
    if kind == "seed":
        return draw(st.sampled_from(SEED_FILES))
    if kind == "binary":
        return draw(st.binary(max_size=2048))
    if kind == "text":
        return draw(st.text(max_size=500)).encode("utf-8")
    if kind == "magic":
        return draw(st.sampled_from(MAGIC_PREFIXES)) + draw(st.binary(max_size=512))
    data = bytearray(draw(st.sampled_from(SEED_FILES)))
    for _ in range(draw(st.integers(0, 6))):
        data[draw(st.integers(0, len(data) - 1))] = draw(st.integers(0, 255))
    return bytes(data[: draw(st.integers(1, len(data)))])


file_names = st.one_of(
    st.text(max_size=300),
    st.sampled_from(
        [
            "capture.jpg",
            "../../etc/passwd",
            "C:\\Users\\eleve\\photo.png",
            "dessin.svg",
            ".",
            "..",
            "",
            "capture\u202egnp.exe",
            "a\x00b.txt",
            "x" * 300 + ".png",
            "<script>.txt",
        ]
    ),
)
content_types = st.one_of(
    st.sampled_from(
        ["image/jpeg", "image/png", "text/plain", "text/html", "image/svg+xml", "application/x-msdownload"]
    ),
    st.text(max_size=40),
)


class Upload(io.BytesIO):
    """A file for the test client. Unlike SimpleUploadedFile, it accepts any name, even "." or ""."""

    def __init__(self, name: str, data: bytes, content_type: str) -> None:
        super().__init__(data)
        self.name = name
        self.content_type = content_type


@st.composite
def uploads(draw) -> list[Upload]:
    files = []
    for _ in range(draw(st.integers(1, 3))):
        name, content_type = as_a_browser_sends_it(draw(file_names)), as_a_browser_sends_it(draw(content_types))
        files.append(Upload(name, draw(file_bytes()), content_type))
    return files


# --- Checks -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Counts:
    reports: int
    pupils: int
    evidence: int
    messages: int
    notifications: int
    received_events: int
    reference_counter: int

    @classmethod
    def now(cls) -> "Counts":
        counter = Counter.objects.filter(name="report", year=timezone.localdate().year).first()
        return cls(
            reports=Report.objects.count(),
            pupils=ReportedPupil.objects.count(),
            evidence=Evidence.objects.count(),
            messages=Message.objects.count(),
            notifications=Notification.objects.count(),
            received_events=AuditEvent.objects.filter(action=Action.REPORT_RECEIVED).count(),
            reference_counter=counter.value if counter else 0,
        )


def assert_not_a_failure(response, allowed=(200, 302, 400)) -> None:
    """The statuses a public page may answer: never a server error."""
    assert response.status_code in allowed, (response.status_code, response.content.decode()[:2000])
    if response.status_code == 400:
        # The only 400 we expect here is "too big", and it must say so in plain French.
        assert "Ce que tu as envoyé est trop lourd" in response.content.decode()


def templates(response) -> list[str]:
    return [t.name for t in response.templates if t.name]


def is_receipt(response) -> bool:
    return response.status_code == 200 and "reports/public/receipt.html" in templates(response)


def assert_clean(value: str, column) -> None:
    assert not FORBIDDEN_CONTROLS.search(value), (column.name, value[:200])
    if column.max_length is not None:
        assert len(value) <= column.max_length, (column.name, len(value), column.max_length)


def assert_report_is_clean(report: Report) -> None:
    for column in Report._meta.get_fields():
        if getattr(column, "get_internal_type", None) and column.get_internal_type() in {"CharField", "TextField"}:
            value = getattr(report, column.attname)
            if value is not None:
                assert_clean(value, column)
    for pupil in report.pupils.all():
        for name in ("first_name", "last_name", "class_name", "role"):
            assert_clean(getattr(pupil, name), ReportedPupil._meta.get_field(name))
    for item in report.evidence.all():
        assert_clean(item.original_name, Evidence._meta.get_field("original_name"))


def assert_final_post(response, before: Counts, *, pupils: int, files: int) -> None:
    """After the last step: a receipt and everything saved, or the form again and nothing saved."""
    after = Counts.now()
    if is_receipt(response):
        report = Report.objects.order_by("-id").first()
        assert report is not None
        assert after.reports == before.reports + 1
        assert after.received_events == before.received_events + 1
        assert after.reference_counter == before.reference_counter + 1
        assert report.pupils.count() == pupils == after.pupils - before.pupils
        assert report.evidence.count() == files == after.evidence - before.evidence
        assert report.reference.endswith(f"{after.reference_counter:06d}")
        assert_report_is_clean(report)
    else:
        assert after == before, (before, after)


def error_texts(response) -> list[str]:
    return [re.sub(r"<[^>]+>", "", text) for text in ERROR_TEXT.findall(response.content.decode())]


def step_url(slug: str) -> str:
    return reverse("reports:step", args=[slug])


# --- The journey --------------------------------------------------------------------------------


@FUZZ
@given(
    who=who_step,
    school=school_step(),
    pupils=pupils_step(),
    facts=facts_step,
    wellbeing=wellbeing_step,
    finish=finish_step,
    junk=junk_fields,
)
def test_every_step_survives_whatever_is_typed(people, who, school, pupils, facts, wellbeing, finish, junk):
    client = Client()
    fuzzed = {"qui": who, "etablissement": school, "eleves": pupils, "faits": facts, "bien-etre": wellbeing}
    for index, slug in enumerate(SLUGS[:-1]):
        data = {**junk, **fuzzed[slug]}
        response = post_step(client, slug, data)
        assert_not_a_failure(response, allowed=(200, 302))
        event(f"{slug}: {'accepted' if response.status_code == 302 else 'refused'}")
        if response.status_code == 302:
            assert response.url == step_url(SLUGS[index + 1])
            continue
        # Refused: the form comes back on the same step. Answer plainly to go on to the next one.
        assert "reports/public/step.html" in templates(response)
        response = post_step(client, slug, PLAIN[slug])
        assert response.status_code == 302, response.content.decode()[:2000]

    draft = draft_of(client)
    for pupil in draft["eleves"]:
        assert pupil["first_name"] and pupil["role"] in enums.PupilRole.values
    before = Counts.now()
    response = post_step(client, "envoyer", {**junk, **finish})
    assert_not_a_failure(response, allowed=(200,))
    assert_final_post(response, before, pupils=len(draft["eleves"]), files=0)
    assert is_receipt(response), error_texts(response)  # nothing on this step can be refused
    report = Report.objects.order_by("-id").first()
    if draft["qui"]["anonymity"] != "named":  # whatever was typed before choosing to stay anonymous
        assert (report.reporter_name, report.reporter_email, report.reporter_phone) == ("", "", "")
        assert report.is_anonymous and not report.consent_to_contact
    # The draft went with the submission: sending again, or going back to the last step, files nothing.
    assert not draft_of(client)
    after = Counts.now()
    # Back to the page before the form (reports:start), never to a step.
    assert post_step(client, "envoyer", {**junk, **finish}).url == reverse("reports:start")
    assert Counts.now() == after


@FUZZ
@given(pupils=pupils_step())
def test_the_pupils_formset_survives_any_management_data(people, pupils):
    client = Client()
    assert post_step(client, "qui", PLAIN["qui"]).status_code == 302
    assert post_step(client, "etablissement", PLAIN["etablissement"]).status_code == 302
    response = post_step(client, "eleves", pupils)
    assert_not_a_failure(response, allowed=(200, 302))
    event(f"pupils: {response.status_code}")
    if response.status_code == 302:
        kept = draft_of(client)["eleves"]
        assert len(kept) <= 4
        for pupil in kept:
            assert pupil["first_name"] and pupil["role"] in enums.PupilRole.values
            for field in ("first_name", "last_name", "class_name"):
                assert_clean(pupil[field], ReportedPupil._meta.get_field(field))
    # Going back to the step shows it again, whatever was kept.
    assert client.get(step_url("eleves")).status_code == 200


@FUZZ
@given(who=who_step, school=school_step())
def test_steps_shown_again_display_whatever_was_kept(people, who, school):
    client = Client()
    client.post(reverse("reports:start"))  # « Commencer » opens the draft the steps are shown from
    for slug, data in (("qui", who), ("etablissement", school)):
        assert_not_a_failure(post_step(client, slug, data), allowed=(200, 302))
        assert client.get(step_url(slug)).status_code == 200
        assert_not_a_failure(post_step(client, slug, PLAIN[slug]), allowed=(302,))


# --- Uploads on the last step -------------------------------------------------------------------


@hypothesis_settings(FUZZ, max_examples=40)
@given(files=uploads(), consent=st.booleans())
def test_any_upload_gives_the_receipt_or_a_french_message(people, files, consent):
    client = Client()
    fill_until_finish(client)
    draft = draft_of(client)
    before = Counts.now()
    data = {"files": files, **({"consent_to_contact": "on"} if consent else {})}
    response = post_step(client, "envoyer", data)
    assert response.status_code == 200, response.content.decode()[:2000]
    received = response.wsgi_request.FILES.getlist("files")
    event("receipt" if is_receipt(response) else "refused")
    assert_final_post(response, before, pupils=len(draft["eleves"]), files=len(received))
    if not is_receipt(response):
        errors = error_texts(response)
        assert errors, response.content.decode()[:3000]
        for error in errors:
            assert any(word in error.lower() for word in FRENCH_WORDS), error
            assert not any(english in error for english in ENGLISH_MESSAGES), error
        # The reporter can still send: what they typed is kept (with the code chosen for this draft).
        kept = draft_of(client)
        assert kept.pop("receipt_code")
        assert kept == draft


# --- The mailbox --------------------------------------------------------------------------------


def a_report_with_its_code() -> tuple[Report, str]:
    data = ReportData(
        channel=enums.Channel.PUBLIC_FORM,
        reporter_kind=enums.ReporterKind.WITNESS,
        description="Une élève se fait bousculer dans le bus tous les matins.",
        school_text="Collège inconnu",
        pupils=[PupilData(first_name="Jade", role=enums.PupilRole.VICTIM)],
    )
    submission = submit_report(data=data, actor=None, with_receipt=True)
    assert submission.receipt_code is not None
    return submission.report, submission.receipt_code


@pytest.fixture
def known_receipt(db, settings):
    # Only the per-client limit here (its counter is cleared before each example); the service-wide
    # one would count the wrong codes of every example together.
    settings.HALTE_RECEIPT_THROTTLE = {"CLIENT_LIMIT": 5, "SERVICE_LIMIT": 10**9}
    return a_report_with_its_code()


separators = st.text(alphabet=" -.\t\u00a0/٣x", max_size=2)


@st.composite
def typed_codes(draw, code: str) -> str:
    """The real code typed with arbitrary separators, or a near miss, or anything at all."""
    kind = draw(st.sampled_from(["real", "near", "anything"]))
    if kind == "anything":
        return draw(nasty_text)
    digits = list(code)
    if kind == "near":
        position = draw(st.integers(0, len(digits) - 1))
        digits[position] = str((int(digits[position]) + draw(st.integers(1, 9))) % 10)
        if draw(st.booleans()):
            digits = digits[: draw(st.integers(0, len(digits)))]
    return "".join(draw(separators) + digit for digit in digits) + draw(separators)


@FUZZ
@given(data=st.data())
def test_the_mailbox_code_field_opens_only_with_the_code(known_receipt, data):
    _report, code = known_receipt
    ReceiptThrottle.objects.all().delete()
    client = Client()
    failures = 0
    for _attempt in range(data.draw(st.integers(1, 7), label="attempts")):
        typed = data.draw(typed_codes(code), label="typed")
        response = client.post(reverse("reports:mailbox_open"), {"code": typed})
        assert response.status_code in (200, 302, 429), response.status_code
        event(f"mailbox: {response.status_code}")
        form_valid = ReceiptForm({"code": typed}).is_valid()
        right = form_valid and receipts.normalise(typed) == code
        if right:
            # The right code always opens, whatever the wrong ones before it.
            assert response.status_code == 302
            assert response.url == reverse("reports:mailbox")
            assert client.get(response.url).status_code == 200
            return
        assert response.status_code != 302, typed
        if response.status_code == 429:
            assert form_valid and failures >= 5
            assert "Trop d’essais" in response.content.decode()
            continue
        assert not (form_valid and failures >= 5), typed
        if form_valid and receipts.normalise(typed) is not None:
            failures += 1


@FUZZ
@given(body=free_text, files=st.one_of(st.just([]), uploads()), junk=junk_fields)
def test_a_reporter_message_is_kept_whole_or_not_at_all(db, settings, body, files, junk):
    report, code = a_report_with_its_code()
    client = Client()
    assert client.post(reverse("reports:mailbox_open"), {"code": code}).status_code == 302
    before = Counts.now()
    response = client.post(reverse("reports:mailbox"), {**junk, "body": body, "files": files})
    assert_not_a_failure(response, allowed=(200, 302))
    event(f"message: {response.status_code}")
    after = Counts.now()
    if response.status_code == 302:
        message = report.messages.get()
        assert_clean(message.body, Message._meta.get_field("body"))
        assert message.body.strip() and message.body == message.body.strip()
        received = response.wsgi_request.FILES.getlist("files")
        assert message.evidence.count() == len(received) == after.evidence - before.evidence
        for item in message.evidence.all():
            assert_clean(item.original_name, Evidence._meta.get_field("original_name"))
        assert after.messages == before.messages + 1
    else:
        assert after == before
        assert error_texts(response)


# --- Requests that are too big ------------------------------------------------------------------


def test_a_story_of_megabytes_is_a_plain_400(people):
    client = Client()
    fill_until_finish(client)
    before = Counts.now()
    response = post_step(client, "faits", {**PLAIN["faits"], "description": "harcèlement " * 250_000})
    assert response.status_code == 400
    assert "Ce que tu as envoyé est trop lourd" in response.content.decode()
    assert Counts.now() == before


def test_a_thousand_fields_is_a_plain_400(people):
    client = Client()
    response = post_step(client, "qui", {**PLAIN["qui"], **{f"champ{i}": "x" for i in range(1_001)}})
    assert response.status_code == 400
    assert "Ce que tu as envoyé est trop lourd" in response.content.decode()


def test_a_hundred_and_one_files_is_a_400_and_nothing_is_saved(people):
    client = Client()
    fill_until_finish(client)
    before = Counts.now()
    files = [Upload(f"note{i}.txt", b"texte", "text/plain") for i in range(101)]
    response = post_step(client, "envoyer", {"files": files})
    assert response.status_code == 400
    assert Counts.now() == before


# --- Bugs found ---------------------------------------------------------------------------------


def test_a_long_valid_email_is_refused_or_kept_whole(people):
    client = Client()
    email = "a" * 250 + "@exemple.fr"  # 261 characters, valid for Django's validate_email
    who = {"reporter_kind": "parent", "anonymity": "named", "reporter_name": "Léa Martin", "reporter_email": email}
    response = post_step(client, "qui", who)
    if response.status_code == 200:  # refused on the first step, in French: fine
        assert error_texts(response)
        return
    assert response.status_code == 302
    for slug in SLUGS[1:-1]:
        assert post_step(client, slug, PLAIN[slug]).status_code == 302
    before = Counts.now()
    response = post_step(client, "envoyer", {"consent_to_contact": "on"})
    assert response.status_code == 200, response.status_code
    assert_final_post(response, before, pupils=1, files=0)
    assert Report.objects.order_by("-id").first().reporter_email == email


@pytest.mark.parametrize(
    "posted",
    [{"school_query": "coll\x00ege", "search": "1"}, {"school_query": "coll\x00ege"}, {"school": "0800020M\x00"}],
    ids=["search", "continue", "choice"],
)
def test_a_nul_in_the_school_step_is_a_form_error(people, posted):
    client = Client()
    assert post_step(client, "qui", PLAIN["qui"]).status_code == 302
    response = post_step(client, "etablissement", posted)
    assert response.status_code == 200


def test_a_refused_submission_leaves_nothing_in_the_vault(people, settings):
    client = Client()
    fill_until_finish(client)
    before = Counts.now()
    files = [
        Upload("note.txt", "Il m’a poussée dans l’escalier.\n".encode(), "text/plain"),
        Upload("capture.jpg", b"\xff\xd8\xff" + b"pas une image" * 10, "image/jpeg"),
    ]
    response = post_step(client, "envoyer", {"files": files})
    assert response.status_code == 200
    assert any("Cette image est abîmée" in error for error in error_texts(response))
    assert Counts.now() == before
    vault = settings.MEDIA_ROOT / "vault"
    left = [p for p in vault.rglob("*") if p.is_file()] if vault.exists() else []
    assert left == [], left
