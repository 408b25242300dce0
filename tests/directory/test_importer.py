"""The school importer: the three official layouts, idempotence, and every way a file can be wrong."""

import csv
import io
from decimal import Decimal
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connections

from halte.audit.models import Action, AuditEvent
from halte.directory.importer import (
    DEFAULT_DIRECTORY,
    ImportAborted,
    ImportFileError,
    import_schools,
    tidy_name,
)
from halte.directory.management.commands.import_schools import Command
from halte.directory.models import School, SchoolKind, Sector

FIXTURES = Path(__file__).parent / "fixtures"
SAMPLE_094 = FIXTURES / "annuaire_format_sample_094.csv"
SAMPLE_2023 = FIXTURES / "annuaire_2023_69_columns.csv"

pytestmark = pytest.mark.django_db


# --- Helpers: read an official file, change it, write it back in the official format -------------


def read_table(path: Path) -> tuple[list[str], list[list[str]]]:
    with path.open(encoding="utf-8-sig", newline="") as handle:
        header, *rows = csv.reader(handle, delimiter=";")
    return header, rows


def write_table(path: Path, header: list[str], rows: list[list[str]], *, delimiter=";", encoding="utf-8-sig") -> Path:
    buffer = io.StringIO()
    csv.writer(buffer, delimiter=delimiter, lineterminator="\r\n").writerows([header, *rows])
    path.write_bytes(buffer.getvalue().encode(encoding))
    return path


def somme_table() -> tuple[list[str], list[list[str]]]:
    return read_table(DEFAULT_DIRECTORY)


def set_cell(header: list[str], row: list[str], column: str, value: str) -> None:
    row[header.index(column)] = value


def snapshot() -> list[dict]:
    return list(School.objects.order_by("uai").values())


def audit_count() -> int:
    return AuditEvent.objects.filter(action=Action.SCHOOLS_IMPORTED).count()


@pytest.fixture
def somme(db):
    """The real Somme collèges, imported once."""
    return import_schools(DEFAULT_DIRECTORY)


# --- The real Somme file ------------------------------------------------------------------------


def test_somme_file_creates_the_69_colleges(db):
    result = import_schools(DEFAULT_DIRECTORY)

    assert (result.created, result.updated, result.unchanged, result.rejected) == (69, 0, 0, [])
    assert "géolocalisation" in result.format
    assert School.objects.count() == 69
    assert School.objects.filter(sector=Sector.PUBLIC).count() == 50
    assert School.objects.filter(sector=Sector.PRIVATE).count() == 19
    assert set(School.objects.values_list("kind", flat=True)) == {SchoolKind.COLLEGE}
    assert set(School.objects.values_list("departement", flat=True)) == {"080"}
    assert set(School.objects.values_list("academie", flat=True)) == {"Amiens"}
    assert School.objects.filter(is_open=True).count() == 69

    lejeune = School.objects.get(uai="0800020M")
    assert lejeune.name == "Collège Amiral Lejeune"
    assert lejeune.commune == "Amiens"
    assert lejeune.commune_code == "80021"
    assert lejeune.postcode == "80000"
    assert lejeune.address == "7 rue de l'Amiral Lejeune"
    assert lejeune.sector == Sector.PUBLIC
    assert lejeune.latitude == Decimal("49.892801")
    assert lejeune.longitude == Decimal("2.291120")
    assert lejeune.circonscription == ""
    assert "amiral lejeune" in lejeune.search_text
    # The official row writes « Collège du Bois L' Eau »: the stray space after the elision goes.
    assert School.objects.get(uai="0800022P").name == "Collège du Bois L'Eau"


def test_the_default_directory_is_the_packaged_somme_file():
    assert DEFAULT_DIRECTORY.name == "colleges_somme_geoloc.csv"
    assert DEFAULT_DIRECTORY.is_file()


def test_a_second_run_writes_nothing(somme):
    before = snapshot()

    result = import_schools(DEFAULT_DIRECTORY)

    assert (result.created, result.updated, result.unchanged, result.rejected) == (0, 0, 69, [])
    assert snapshot() == before  # updated_at included: no row was saved again


def test_a_changed_name_updates_that_school_only(somme, tmp_path):
    before = {school["uai"]: school for school in snapshot()}
    header, rows = somme_table()
    set_cell(header, rows[0], "appellation_officielle", "Collège Amiral Jean Lejeune")

    result = import_schools(write_table(tmp_path / "renamed.csv", header, rows))

    assert (result.created, result.updated, result.unchanged) == (0, 1, 68)
    lejeune = School.objects.get(uai="0800020M")
    assert lejeune.name == "Collège Amiral Jean Lejeune"
    assert "amiral jean lejeune" in lejeune.search_text
    assert School.objects.search("jean lejeune").get() == lejeune
    after = {school["uai"]: school for school in snapshot()}
    changed = [uai for uai in after if after[uai] != before[uai]]
    assert changed == ["0800020M"]


def test_a_school_edited_by_hand_is_brought_back_to_the_official_data(somme):
    School.objects.filter(uai="0800022P").update(commune="Ailleurs")

    result = import_schools(DEFAULT_DIRECTORY)

    assert (result.updated, result.unchanged) == (1, 68)
    assert School.objects.get(uai="0800022P").commune == "Bernaville"


def test_a_closed_school_is_kept_but_marked_closed(somme, tmp_path):
    header, rows = somme_table()
    set_cell(header, rows[0], "etat_etablissement_libe", "FERME")
    set_cell(header, rows[1], "etat_etablissement_libe", "A FERMER")

    result = import_schools(write_table(tmp_path / "closed.csv", header, rows))

    assert result.updated == 1
    assert School.objects.get(uai="0800020M").is_open is False
    assert School.objects.get(uai="0800022P").is_open is True  # still open until it closes


@pytest.mark.parametrize(
    ("nature", "kind"),
    [
        ("COLLEGE", SchoolKind.COLLEGE),
        ("LYCEE PROFESSIONNEL", SchoolKind.LYCEE),
        ("LYCEE D ENSEIGNEMENT GENERAL ET TECHNOLOGIQUE", SchoolKind.LYCEE),
        ("LYCEE POLYVALENT", SchoolKind.LYCEE),
        ("LP", SchoolKind.LYCEE),
        ("LEGT", SchoolKind.LYCEE),
        ("ETABLISSEMENT REGIONAL D'ENSEIGNEMENT ADAPTE", SchoolKind.EREA),
        ("EREA", SchoolKind.EREA),
        ("ECOLE DE NIVEAU ELEMENTAIRE", SchoolKind.ECOLE),
        ("ECOLE MATERNELLE", SchoolKind.ECOLE),
        ("CENTRE D'INFORMATION ET D'ORIENTATION", SchoolKind.OTHER),
        ("", SchoolKind.OTHER),
    ],
)
def test_kind_comes_from_the_nature_of_the_establishment(tmp_path, nature, kind):
    header, rows = somme_table()
    set_cell(header, rows[0], "nature_uai_libe", nature)

    import_schools(write_table(tmp_path / "one.csv", header, rows[:1]))

    assert School.objects.get().kind == kind


def test_a_file_object_can_be_imported(db):
    with DEFAULT_DIRECTORY.open("rb") as handle:
        result = import_schools(handle)
    assert result.created == 69
    assert AuditEvent.objects.get(action=Action.SCHOOLS_IMPORTED).detail["file"] == DEFAULT_DIRECTORY.name


# --- The other official layouts -----------------------------------------------------------------


def assert_sample_094_imported(expected_rows: int) -> None:
    assert School.objects.count() == expected_rows
    assert set(School.objects.values_list("kind", flat=True)) == {SchoolKind.ECOLE}
    assert set(School.objects.values_list("departement", flat=True)) == {"094"}
    assert set(School.objects.values_list("academie", flat=True)) == {"Créteil"}
    assert not School.objects.filter(circonscription="").exists()
    doisneau = School.objects.get(uai="0940176F")
    assert doisneau.name == "Ecole élémentaire Robert Doisneau"
    assert doisneau.commune == "Fresnes"
    assert doisneau.postcode == "94260"
    assert doisneau.commune_code == "94034"
    assert doisneau.address == "Allée du Puits"
    assert doisneau.circonscription == "Circonscription d'inspection du 1er degré de Fresnes"
    assert doisneau.sector == Sector.PUBLIC
    assert doisneau.latitude == Decimal("48.751140")
    assert doisneau.longitude == Decimal("2.323558")


def test_annuaire_71_columns(db):
    result = import_schools(SAMPLE_094)

    assert (result.created, result.rejected) == (20, [])
    assert result.format == "Annuaire de l'éducation (71 colonnes)"
    assert_sample_094_imported(20)


def test_annuaire_2024_variant_with_72_columns(db, tmp_path):
    header, rows = read_table(SAMPLE_094)
    position = header.index("SIREN_SIRET") + 1
    header.insert(position, "Nombre_d_eleves")
    for row in rows:
        row.insert(position, "187")

    result = import_schools(write_table(tmp_path / "annuaire_2024.csv", header, rows))

    assert (result.created, result.rejected) == (20, [])
    assert result.format == "Annuaire de l'éducation (72 colonnes)"
    assert_sample_094_imported(20)


def test_annuaire_2023_naming_with_69_columns(db):
    header, _ = read_table(SAMPLE_2023)
    assert len(header) == 69
    assert {"Code postal", "coordonnee_X", "coordonnee_Y"} <= set(header)

    result = import_schools(SAMPLE_2023)

    assert (result.created, result.rejected) == (5, [])
    assert result.format == "Annuaire de l'éducation (69 colonnes)"
    assert_sample_094_imported(5)


def test_the_same_school_from_two_layouts_is_unchanged(db):
    import_schools(SAMPLE_094)
    result = import_schools(SAMPLE_2023)
    assert (result.created, result.updated, result.unchanged) == (0, 0, 5)


# --- Files that cannot be imported: clear message, nothing written -------------------------------


@pytest.fixture
def nothing_written(somme):
    """Run the test against a directory already holding the Somme, and check it did not move."""
    before, events = snapshot(), audit_count()
    yield
    assert snapshot() == before
    assert audit_count() == events


def renamed_first_school() -> tuple[list[str], list[list[str]]]:
    """The Somme file with one change, so that an import that went through would show."""
    header, rows = somme_table()
    set_cell(header, rows[0], "appellation_officielle", "Collège renommé")
    return header, rows


def test_comma_separated_file_is_refused(nothing_written, tmp_path):
    header, rows = renamed_first_school()
    path = write_table(tmp_path / "commas.csv", header, rows, delimiter=",")

    with pytest.raises(ImportFileError, match=r"points-virgules.*la virgule"):
        import_schools(path)


def test_missing_column_is_named(nothing_written, tmp_path):
    header, rows = renamed_first_school()
    position = header.index("libelle_commune")
    for row in [header, *rows]:
        del row[position]

    with pytest.raises(ImportFileError, match="absente de l'en-tête : libelle_commune"):
        import_schools(write_table(tmp_path / "no_commune.csv", header, rows))


def test_missing_columns_of_the_annuaire_are_named(db, tmp_path):
    header, rows = read_table(SAMPLE_094)
    for column in ("Nom_commune", "Identifiant_de_l_etablissement"):
        position = header.index(column)
        for row in [header, *rows]:
            del row[position]

    with pytest.raises(ImportFileError) as error:
        import_schools(write_table(tmp_path / "no_uai.csv", header, rows))

    assert str(error.value) == (
        "Colonnes obligatoires absentes de l'en-tête : Identifiant_de_l_etablissement, Nom_commune."
    )
    assert School.objects.count() == 0


def test_unknown_header_is_refused(nothing_written, tmp_path):
    path = tmp_path / "other.csv"
    path.write_bytes("\ufeffcode;libelle;montant\r\n1;Cantine;12,50\r\n".encode())

    with pytest.raises(ImportFileError, match=r"En-tête non reconnu.*« code »"):
        import_schools(path)


def test_latin1_file_is_refused_with_advice(nothing_written, tmp_path):
    header, rows = renamed_first_school()
    path = write_table(tmp_path / "latin1.csv", header, rows, encoding="latin-1")

    with pytest.raises(ImportFileError) as error:
        import_schools(path)

    message = str(error.value)
    assert "n'est pas encodé en UTF-8" in message
    assert "Latin-1" in message
    assert "ligne 2" in message
    assert "Ré-exportez-le" in message


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "Le fichier est vide."),
        (b"\xef\xbb\xbf", "Le fichier est vide."),
        (b"\r\n\r\n", "Le fichier est vide."),
        (DEFAULT_DIRECTORY.read_bytes().split(b"\r\n")[0] + b"\r\n", "seulement l'en-tête"),
    ],
    ids=["empty", "bom-only", "blank-lines", "header-only"],
)
def test_empty_file_is_refused(nothing_written, tmp_path, content, message):
    path = tmp_path / "empty.csv"
    path.write_bytes(content)

    with pytest.raises(ImportFileError, match=message):
        import_schools(path)


def test_missing_file_is_refused(nothing_written, tmp_path):
    with pytest.raises(ImportFileError, match="Fichier introuvable"):
        import_schools(tmp_path / "absent.csv")


# --- Rows that cannot be imported: rejected with their line, the others go in --------------------


def broken_rows_file(tmp_path) -> Path:
    """The Somme file with one broken row of each kind; the header is line 1, the first school line 2."""
    header, rows = somme_table()
    set_cell(header, rows[1], "numero_uai", "080022P")  # line 3: six digits
    set_cell(header, rows[3], "appellation_officielle", "")  # line 5
    set_cell(header, rows[4], "libelle_commune", "  ")  # line 6
    del rows[5][-1]  # line 7: one cell short
    set_cell(header, rows[6], "latitude", "49,89x")  # line 8
    set_cell(header, rows[7], "secteur_public_prive_libe", "Associatif")  # line 9
    duplicate = list(rows[0])
    set_cell(header, duplicate, "appellation_officielle", "Collège en double")
    rows.append(duplicate)  # line 71: same UAI as line 2
    return write_table(tmp_path / "broken_rows.csv", header, rows)


EXPECTED_REJECTIONS = [
    (3, "numero_uai : UAI invalide « 080022P » (7 chiffres suivis d'une lettre attendus)"),
    (5, "appellation_officielle : valeur manquante"),
    (6, "libelle_commune : valeur manquante"),
    (7, "34 colonnes au lieu de 35"),
    (8, "latitude : coordonnée illisible « 49,89x »"),
    (9, "secteur_public_prive_libe : secteur inconnu « Associatif » (Public ou Privé attendu)"),
    (71, "UAI 0800020M en double : déjà présent ligne 2"),
]


def test_broken_rows_are_rejected_with_their_line_and_the_others_imported(db, tmp_path):
    result = import_schools(broken_rows_file(tmp_path))

    assert result.rejected == EXPECTED_REJECTIONS
    assert (result.created, result.updated, result.unchanged) == (63, 0, 0)
    assert School.objects.count() == 63
    assert School.objects.get(uai="0800020M").name == "Collège Amiral Lejeune"  # the first one wins
    _, rows = somme_table()
    rejected_uais = [rows[index][0] for index in (1, 3, 4, 5, 6, 7)]
    assert not School.objects.filter(uai__in=rejected_uais).exists()
    assert School.objects.filter(uai__in=[row[0] for row in rows]).count() == 63
    event = AuditEvent.objects.get(action=Action.SCHOOLS_IMPORTED)
    assert event.detail["rejected"] == 7
    assert event.detail["created"] == 63


def test_a_row_with_several_problems_lists_them_all(db, tmp_path):
    header, rows = somme_table()
    set_cell(header, rows[0], "numero_uai", "ABC")
    set_cell(header, rows[0], "longitude", "999")
    set_cell(header, rows[0], "etat_etablissement_libe", "EN TRAVAUX")

    result = import_schools(write_table(tmp_path / "bad.csv", header, rows[:1]))

    assert result.rejected == [
        (
            2,
            "numero_uai : UAI invalide « ABC » (7 chiffres suivis d'une lettre attendus) ; "
            "longitude : coordonnée hors limites « 999 » ; "
            "etat_etablissement_libe : état inconnu « EN TRAVAUX » "
            "(OUVERT, A FERMER, A OUVRIR ou FERME attendu)",
        )
    ]


def test_half_coordinates_and_overlong_values_are_rejected(db, tmp_path):
    header, rows = somme_table()
    set_cell(header, rows[0], "longitude", "")
    set_cell(header, rows[1], "code_postal_uai", "80000 CEDEX")

    result = import_schools(write_table(tmp_path / "bad.csv", header, rows[:3]))

    assert result.rejected == [
        (2, "coordonnées incomplètes : latitude et longitude vont ensemble"),
        (3, "code_postal_uai : valeur trop longue (5 caractères au plus)"),
    ]
    assert result.created == 1


def test_short_departement_and_lowercase_uai_are_normalised(somme, tmp_path):
    header, rows = somme_table()
    set_cell(header, rows[0], "code_departement", "80")
    set_cell(header, rows[0], "numero_uai", "0800020m")

    result = import_schools(write_table(tmp_path / "loose.csv", header, rows))

    assert (result.updated, result.unchanged, result.rejected) == (0, 69, [])
    assert School.objects.get(uai="0800020M").departement == "080"


def test_missing_coordinates_are_allowed(db, tmp_path):
    header, rows = somme_table()
    set_cell(header, rows[0], "latitude", "")
    set_cell(header, rows[0], "longitude", "")

    import_schools(write_table(tmp_path / "no_position.csv", header, rows[:1]))

    school = School.objects.get()
    assert (school.latitude, school.longitude) == (None, None)


def test_strict_mode_writes_nothing_when_a_row_is_rejected(nothing_written, tmp_path):
    with pytest.raises(ImportAborted) as error:
        import_schools(broken_rows_file(tmp_path), strict=True)

    assert "mode strict" in str(error.value)
    assert error.value.rejected == EXPECTED_REJECTIONS


def test_strict_mode_imports_a_clean_file(db):
    assert import_schools(DEFAULT_DIRECTORY, strict=True).created == 69


def test_dry_run_counts_but_writes_nothing(db):
    result = import_schools(DEFAULT_DIRECTORY, dry_run=True)

    assert (result.created, result.dry_run) == (69, True)
    assert School.objects.count() == 0
    assert audit_count() == 0


def test_the_import_is_all_or_nothing(db, monkeypatch):
    saved = []
    original_save = School.save

    def save_then_fail(self, *args, **kwargs):
        if len(saved) == 30:
            raise RuntimeError("disk full")
        saved.append(self.uai)
        original_save(self, *args, **kwargs)

    monkeypatch.setattr(School, "save", save_then_fail)

    with pytest.raises(RuntimeError):
        import_schools(DEFAULT_DIRECTORY)

    assert len(saved) == 30
    assert School.objects.count() == 0
    assert audit_count() == 0


# --- The audit journal --------------------------------------------------------------------------


def test_each_import_is_journaled_once_with_its_counts(somme):
    import_schools(DEFAULT_DIRECTORY)

    first, second = AuditEvent.objects.filter(action=Action.SCHOOLS_IMPORTED).order_by("id")
    assert first.detail == {
        "file": "colleges_somme_geoloc.csv",
        "format": "Adresse et géolocalisation des établissements (35 colonnes)",
        "created": 69,
        "updated": 0,
        "unchanged": 0,
        "rejected": 0,
    }
    assert (second.detail["created"], second.detail["unchanged"]) == (0, 69)
    assert first.actor is None


# --- The management command ---------------------------------------------------------------------


def run_command(*args: str) -> str:
    out = StringIO()
    call_command("import_schools", *args, stdout=out)
    return out.getvalue()


def test_command_prints_the_summary(db):
    output = run_command(str(DEFAULT_DIRECTORY))

    assert output == "69 créé(s), 0 mis à jour, 0 inchangé(s), 0 rejeté(s)\n"
    assert School.objects.count() == 69

    assert run_command(str(DEFAULT_DIRECTORY)) == "0 créé(s), 0 mis à jour, 69 inchangé(s), 0 rejeté(s)\n"


def test_command_prints_each_rejected_line(db, tmp_path):
    output = run_command(str(broken_rows_file(tmp_path)))

    lines = output.splitlines()
    assert lines[0] == "63 créé(s), 0 mis à jour, 0 inchangé(s), 7 rejeté(s)"
    assert lines[1:] == [f"ligne {line} : {message}" for line, message in EXPECTED_REJECTIONS]
    assert "ligne 71 : UAI 0800020M en double : déjà présent ligne 2" in lines


def test_command_dry_run(db):
    output = run_command(str(DEFAULT_DIRECTORY), "--dry-run")

    assert output.splitlines() == [
        "Simulation : aucune modification n'a été enregistrée.",
        "69 créé(s), 0 mis à jour, 0 inchangé(s), 0 rejeté(s)",
    ]
    assert School.objects.count() == 0


def test_command_strict_lists_the_rejected_lines_and_fails(db, tmp_path):
    out = StringIO()
    with pytest.raises(CommandError, match="mode strict"):
        call_command("import_schools", str(broken_rows_file(tmp_path)), "--strict", stdout=out)

    assert "ligne 3 : numero_uai : UAI invalide « 080022P »" in out.getvalue()
    assert School.objects.count() == 0


def test_command_file_error_is_a_command_error(db, tmp_path):
    path = tmp_path / "empty.csv"
    path.write_bytes(b"")

    with pytest.raises(CommandError, match=r"Le fichier est vide\."):
        run_command(str(path))


def test_command_file_error_exits_with_a_non_zero_status(db, tmp_path, monkeypatch):
    # run_from_argv closes the database connections when it is done: not inside a test transaction.
    monkeypatch.setattr(connections, "close_all", lambda: None)
    path = tmp_path / "commas.csv"
    path.write_text("numero_uai,appellation_officielle\r\n0800020M,Collège\r\n", encoding="utf-8")
    out, err = StringIO(), StringIO()

    with pytest.raises(SystemExit) as exit_info:
        Command(stdout=out, stderr=err).run_from_argv(["manage.py", "import_schools", str(path)])

    assert exit_info.value.code == 1
    assert "points-virgules" in err.getvalue()
    assert out.getvalue() == ""


@pytest.mark.parametrize(
    ("raw", "tidy"),
    [
        ("Collège du Bois L' Eau", "Collège du Bois L'Eau"),
        ("Collège Jean D’  Alembert", "Collège Jean D’Alembert"),
        ("Rue de l' Église", "Rue de l'Église"),
        ("Collège Jusqu' Ici", "Collège Jusqu'Ici"),
        ("Collège d'Ailly", "Collège d'Ailly"),
    ],
)
def test_a_name_loses_the_space_after_an_elision_and_nothing_else(raw, tidy):
    assert tidy_name(raw) == tidy
