"""Intake flags: the words and boxes that make a report jump the queue."""

import pytest

from halte.reports.flags import detect, evaluate, highlight, stored_critical, vocabulary
from halte.reports.flags.patterns import compile_pattern


@pytest.mark.parametrize(
    ("text", "signs", "forms", "danger", "expected"),
    [
        ("On se moque de moi à la cantine.", [], ["verbal"], False, []),
        ("Il m'a dit d'aller me suicider.", [], [], False, ["self_harm"]),
        ("Elle dit qu'elle veut MOURIR.", [], [], False, ["self_harm"]),
        ("Je me scarifie depuis un mois.", [], [], False, ["self_harm"]),
        ("Je n'ai plus envie de vivre.", [], [], False, ["self_harm"]),
        ("Rien de précis.", ["suicidal"], [], False, ["self_harm"]),
        ("Rien de précis.", ["self_harm"], [], False, ["self_harm"]),
        ("Ils ont fait tourner des photos intimes d'elle.", [], [], False, ["sexual"]),
        ("Il réclame des nudes.", [], [], False, ["sexual"]),
        ("Des gestes déplacés.", [], ["sexual"], False, ["sexual"]),
        ("Il a été violé dans les toilettes.", [], [], False, ["sexual"]),
        # "violent" and "violet" are not "viol".
        ("Un jeu violent avec un ballon violet.", [], [], False, []),
        ("Il est venu avec un couteau dans son sac.", [], [], False, ["weapon"]),
        ("Il a sorti une ARME.", [], [], False, ["weapon"]),
        # "larme" and "alarme" contain "arme" but are not weapons.
        ("Elle est en larmes, l'alarme a sonné.", [], [], False, []),
        ("Mon père me frappe quand je rentre.", [], [], False, ["family_danger"]),
        ("Il subit de la maltraitance.", [], [], False, ["family_danger"]),
        ("Ça se passe en ce moment.", [], [], True, ["immediate_danger"]),
        (
            "Il a un couteau et dit qu'il va se tuer.",
            [],
            [],
            True,
            ["self_harm", "weapon", "immediate_danger"],
        ),
    ],
)
def test_flags(text, signs, forms, danger, expected):
    assert evaluate(text=text, forms=forms, signs=signs, immediate_danger=danger) == expected


# --- French as it is typed: every spelling of one danger raises the same flag -------------------------


def _critical(text):
    return detect(text=text, forms=[], signs=[], immediate_danger=False).critical


def _raised(text):
    return detect(text=text, forms=[], signs=[], immediate_danger=False).codes


@pytest.mark.parametrize(
    "text",
    [
        "Il se fait du mal.",
        "IL SE FAIT DU MAL",
        "il se fé du mal",
        "il s'est fait du mal",
        "il s’est fait du mal",
        "il sest fait du mal",
        "elle se fait beaucoup de mal",
        "je me fais du mal",
        "jme fai du mal",
        "je me suis fait du mal hier",
        "tu te fais du mal",
    ],
)
def test_the_form_s_own_wording_in_every_person_and_spelling(text):
    assert _critical(text) == ["self_harm"]


@pytest.mark.parametrize(
    "text",
    [
        "Elle se scarifie.",
        "elle se scarrifie",
        "Elle s'est scarifiée",
        "ils se scarifiaient",
        "je me scarifierai",
        "jveu mourirrrrr",
        "J’ai envie de mourir.",
        "jai envie de mourir",
        "g envie de mourir",
        "Je voudrais disparaître.",
        "je voudrai disparaitre",
        "jsuis un poids pour ma famille",
        "je suis un fardeau",
        "elle a avalé toute une boîte de Doliprane",
        "il a pris tous les cachets de sa mère",
        "il a fait une TS l'an dernier",
    ],
)
def test_self_harm_whatever_the_spelling(text):
    assert "self_harm" in _critical(text)


@pytest.mark.parametrize(
    "text",
    [
        "Mon père me frappe.",
        "mon pere me frappait",
        "mon beau-père la frappe",
        "mon beau pere ma frapé",
        "son beau-père l'a frappée avec sa ceinture",
        "sa belle-mère le bat",
        "le copain de ma mère me tape quand elle n'est pas là",
        "le mec de ma mere il me tape",
        "ma daronne elle me gifle",
        "mes parents m'enferment dans la cave",
        "les coups de ceinture de son père",
    ],
)
def test_danger_in_the_family_from_every_relative_and_form(text):
    assert "family_danger" in _critical(text)


@pytest.mark.parametrize(
    "text",
    [
        "il me touche dans le rang",
        "elle ma touchée la ou je voulais pas",
        "ils m'ont obligée à enlever mon tee-shirt",
        "ils l'obligent à se déshabiller",
        "il a filmé sous sa jupe",
        "une vidéo d'elle toute nue tourne en story",
        "ils font des lives avec des photos de moi en culotte",
        "il réclame des nudes",
    ],
)
def test_sexual_violence_without_the_words_of_the_law(text):
    assert "sexual" in _critical(text)


@pytest.mark.parametrize(
    "text",
    [
        "On était morts de rire.",
        "je vais mourir de honte",
        "ma mère me bat aux cartes",
        "mon frère m'a battu à Mario Kart",
        "je vais le tuer au foot",
        "Il a touché à mes affaires.",
        "J'ai été très touchée par votre message.",
        "les 3e ont crevé les pneus de mon vélo",
        "je me suis fait mal au genou au foot",
        "il m'a volé mon pistolet à eau",
        "Elle est en larmes, l'alarme a sonné.",
        "je me suis coupé les cheveux et ils se moquent",
        "Ma fille a été enfermée dans les toilettes par des élèves.",
    ],
)
def test_alarming_words_used_harmlessly_raise_nothing(text):
    assert _raised(text) == []


# --- Negations and jokes lower a signal, never silence it -------------------------------------------


def _hit(text, flag):
    hits = [hit for hit in detect(text=text, forms=[], signs=[], immediate_danger=False).hits if hit.flag == flag]
    assert hits, text
    return hits[0]


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("Il n'a jamais parlé de se tuer.", "negation"),
        ("Elle ne pense pas au suicide.", "negation"),
        ("jai jamais voulu me faire du mal", "negation"),
        ("jvais me suicider si on a encore maths mdr", "joke"),
        ("je vais me pendre 😂", "joke"),
    ],
)
def test_a_negation_or_a_joke_lowers_to_to_check(text, reason):
    detection = detect(text=text, forms=[], signs=[], immediate_danger=False)
    assert detection.codes == ["self_harm"]  # still raised: the report is worrying
    assert detection.critical == []
    assert detection.to_check == ["self_harm"]
    assert _hit(text, "self_harm").lowered_by == reason


@pytest.mark.parametrize(
    "text",
    [
        "Je n'ai plus envie de vivre.",  # the wording is itself negative
        "il veut plus vivre",
        "je veux dormir et ne plus jamais me réveiller",
        "il ne dit rien, mais il se coupe",  # the negation belongs to another clause
        "il arrête pas de me demander des nudes",  # « n'arrête pas de »: he keeps on
        "je sais pas quoi faire jai envie de mourir",  # « je sais pas » negates nothing here
        "il dit que c'est pour rire mais il me touche",  # his excuse is not the writer's joke
    ],
)
def test_words_that_look_negative_do_not_lower(text):
    assert _critical(text), text


def test_a_critical_hit_elsewhere_keeps_the_flag_critical():
    detection = detect(
        text="Il n'a jamais parlé de se tuer. Mais hier il a dit qu'il voulait mourir.",
        forms=[],
        signs=[],
        immediate_danger=False,
    )
    assert detection.critical == ["self_harm"]
    assert {hit.level for hit in detection.hits} == {"critical", "to_check"}


# --- The words that fired each flag, and where they stand -------------------------------------------


def test_each_hit_keeps_its_words_where_the_reporter_wrote_them():
    text = "Bonjour.\nMon fils dit que son beau-père le FRAPPE avec sa ceinture."
    hit = _hit(text, "family_danger")
    assert text[hit.start : hit.end] == hit.words
    assert "beau-père" in hit.words and "FRAPPE" in hit.words
    assert hit.level == "critical"
    assert hit.source  # the pattern of the vocabulary, for whoever reviews it


def test_a_box_is_a_hit_without_words():
    detection = detect(text="Rien de précis.", forms=[], signs=["suicidal"], immediate_danger=False)
    assert [(hit.flag, hit.source, hit.words) for hit in detection.hits] == [("self_harm", "box", "")]


def test_a_sexual_signal_whose_author_is_a_relative_is_also_danger_in_the_family():
    assert set(_critical("mon oncle vient le soir dans ma chambre et il me touche")) == {"sexual", "family_danger"}
    # The sister is who was photographed, not the author.
    assert _critical("ils montrent des photos de ma soeur en culotte") == ["sexual"]


def test_highlight_escapes_the_account_and_marks_the_words():
    text = "<script>alert(1)</script> il se fait du mal & personne ne voit"
    detection = detect(text=text, forms=[], signs=[], immediate_danger=False)
    html = str(highlight(text, detection.as_json()))
    assert "<script>" not in html and "&lt;script&gt;" in html
    assert "&amp; personne" in html
    assert '<mark class="halte-signal">' in html
    # Not colour alone: screen readers hear where the passage starts, what it is, and where it ends.
    assert "Début du passage signalé (Automutilation ou idées suicidaires)" in html
    assert "fin du passage signalé" in html
    assert "se fait du mal</span>" not in html  # the words themselves stay outside the hidden text


def test_highlight_merges_overlapping_hits_and_ignores_bad_offsets():
    text = "mon beau-père me frappe et me touche"
    hits = [
        {"flag": "family_danger", "level": "critical", "start": 4, "end": 23},
        {"flag": "sexual", "level": "to_check", "start": 15, "end": 36},
        {"flag": "weapon", "level": "critical", "start": 30, "end": 10_000},  # stored offsets out of range
        {"flag": "self_harm", "level": "critical", "start": 0, "end": 0},  # a box
    ]
    html = str(highlight(text, hits))
    assert html.count("<mark") == 1
    assert "Danger dans la famille ; Violences sexuelles, à vérifier ; Arme" in html


def test_stored_flags_without_hits_count_as_critical():
    # A report saved before hits were kept: what alerted then still alerts.
    assert stored_critical(["weapon", "self_harm"], []) == {"weapon", "self_harm"}
    hits = [{"flag": "self_harm", "level": "to_check"}, {"flag": "weapon", "level": "critical"}]
    assert stored_critical(["weapon", "self_harm"], hits) == {"weapon"}


# --- The vocabulary itself ----------------------------------------------------------------------------


def test_no_verb_form_is_a_pronoun_or_a_little_word():
    """« tuer » must not match « tu », « pendre » not « pendant »: conjugating a lemma never yields one
    of the words that stand around it."""
    little = {
        "tu",
        "te",
        "se",
        "me",
        "le",
        "la",
        "les",
        "de",
        "des",
        "du",
        "il",
        "elle",
        "on",
        "pendant",
        "violent",
        "devant",
    }
    for name, entries in vocabulary.WORDS.items():
        if name in {"je", "tu", "se", "reflechi", "objet", "possessif", "autres_auteurs", "quantite", "naitre"}:
            continue
        single = {entry[0] for entry in entries if len(entry) == 1}
        assert not single & little, (name, single & little)


def test_every_signal_names_a_flag_of_the_table():
    codes = {flag.code for flag in vocabulary.FLAGS}
    assert {signal.flag for signal in vocabulary.SIGNALS} <= codes
    assert {agent.also for agent in vocabulary.AGENTS} <= codes


def test_a_pattern_with_an_unknown_class_is_refused():
    with pytest.raises(ValueError, match="unknown word class"):
        compile_pattern("<nulle_part> mal", vocabulary.WORDS)
    with pytest.raises(ValueError, match="must start"):
        compile_pattern("mal? bien", vocabulary.WORDS)


def test_a_long_account_without_punctuation_is_read_in_one_pass():
    # The longest account the form accepts, made of the words the patterns start with: no blow-up.
    text = ("mon pere ma mere se me je tu il elle coups photo " * 400)[:20_000]
    assert detect(text=text, forms=[], signs=[], immediate_danger=False).hits is not None


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Ma fille reçoit des menaces sur snap depuis la rentrée.", set()),
        ("il me menace sur snap de mettre mes nudes dans le groupe", {"sexual"}),
        ("il me menace de publier un snap de moi", {"sexual"}),
    ],
)
def test_threats_on_snapchat_are_not_sextortion_but_a_threat_about_a_picture_is(text, expected):
    hits = detect(text=text, forms=[], signs=[], immediate_danger=False).hits
    assert {hit.flag for hit in hits if hit.level == "critical"} == expected
