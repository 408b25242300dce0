"""Import the school directory from the open-data exports of the Éducation nationale.

Three layouts of the same information are recognised from their header, whatever their exact
column count, because columns are looked up by name (accents, case, spaces and underscores ignored):

* the « Annuaire de l'éducation » (``fr-en-annuaire-education``): 71 columns today, 72 in the 2024
  export (``Nombre_d_eleves``), 69 with the older 2023 names (``Code postal``, ``coordonnee_X``…);
* the older « Adresse et géolocalisation des établissements d'enseignement du premier et second
  degrés » (``fr-en-adresse-et-geolocalisation-etablissements-premier-et-second-degre``), 35 columns.

Files are ``;``-separated UTF-8 (with or without a BOM). A problem with the file itself raises
:class:`ImportFileError` and changes nothing; a problem with one row rejects that row only (or the
whole file with ``strict=True``). Schools are matched by UAI, and a row identical to what is stored
is not written at all, so that importing the same file twice is harmless.
"""

import csv
import io
import os
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import IO, Any

from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from halte.audit.journal import record
from halte.audit.models import Action

from .models import School, SchoolKind, Sector, fold

# The 69 collèges of the Somme, loaded by the demo data (see data/SOURCES.md).
DEFAULT_DIRECTORY = Path(__file__).resolve().parent / "data" / "colleges_somme_geoloc.csv"

SEPARATOR = ";"
UAI_PATTERN = re.compile(r"[0-9]{7}[A-Z]")
COORDINATE_STEP = Decimal("0.000001")  # School.latitude and longitude keep 6 decimal places


@dataclass(frozen=True)
class FileFormat:
    """One official layout: which column feeds which field of :class:`School`.

    Column names are written as in the official files; they are compared once normalised. A field
    absent from the table is left untouched on update (e.g. the circonscription, unknown to the
    geolocation dataset).
    """

    label: str
    columns: Mapping[str, str]


ANNUAIRE = FileFormat(
    label="Annuaire de l'éducation",
    columns={
        "uai": "Identifiant_de_l_etablissement",
        "name": "Nom_etablissement",
        "kind": "Type_etablissement",
        "sector": "Statut_public_prive",
        "address": "Adresse_1",
        "postcode": "Code_postal",
        "commune_code": "Code_commune",
        "commune": "Nom_commune",
        "departement": "Code_departement",
        "academie": "Libelle_academie",
        "circonscription": "nom_circonscription",
        "latitude": "latitude",
        "longitude": "longitude",
        "is_open": "etat",
    },
)

GEOLOCATION = FileFormat(
    label="Adresse et géolocalisation des établissements",
    columns={
        "uai": "numero_uai",
        "name": "appellation_officielle",
        "kind": "nature_uai_libe",
        "sector": "secteur_public_prive_libe",
        "address": "adresse_uai",
        "postcode": "code_postal_uai",
        "commune_code": "code_commune",
        "commune": "libelle_commune",
        "departement": "code_departement",
        "academie": "libelle_academie",
        "latitude": "latitude",
        "longitude": "longitude",
        "is_open": "etat_etablissement_libe",
    },
)

FORMATS = (ANNUAIRE, GEOLOCATION)

# Fields a row cannot do without.
REQUIRED_VALUES = frozenset({"uai", "name", "sector", "commune", "is_open"})

# Words of the type (annuaire) or nature (geolocation) column, first match wins.
KIND_RULES: tuple[tuple[str, SchoolKind], ...] = (
    ("erea", SchoolKind.EREA),
    ("etablissement regional d enseignement adapte", SchoolKind.EREA),
    ("college", SchoolKind.COLLEGE),
    ("clg", SchoolKind.COLLEGE),
    ("lycee", SchoolKind.LYCEE),
    ("lp", SchoolKind.LYCEE),
    ("lpo", SchoolKind.LYCEE),
    ("legt", SchoolKind.LYCEE),
    ("lgt", SchoolKind.LYCEE),
    ("ecole", SchoolKind.ECOLE),
)

SECTORS = {"public": Sector.PUBLIC, "prive": Sector.PRIVATE}

# « A FERMER »: still open until the closing date; « A OUVRIR »: not open yet.
OPEN_STATES = {"ouvert": True, "a fermer": True, "a ouvrir": False, "ferme": False}


@dataclass
class ImportResult:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: list[tuple[int, str]] = field(default_factory=list)
    format: str = ""
    dry_run: bool = False

    def summary(self) -> str:
        return _("%(created)d créé(s), %(updated)d mis à jour, %(unchanged)d inchangé(s), %(rejected)d rejeté(s)") % {
            "created": self.created,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "rejected": len(self.rejected),
        }


class ImportFileError(Exception):
    """The file cannot be imported at all; nothing was written."""


class ImportAborted(ImportFileError):
    """Strict mode: at least one row was rejected, so nothing was written."""

    def __init__(self, message: str, rejected: list[tuple[int, str]]):
        super().__init__(message)
        self.rejected = rejected


class InvalidValue(Exception):
    """One cell cannot be used; the message (in French) says why."""


def import_schools(
    path_or_file: str | os.PathLike[str] | IO[bytes] | IO[str],
    *,
    dry_run: bool = False,
    strict: bool = False,
) -> ImportResult:
    """Create or update the schools listed in an official export; see the module docstring."""
    data, file_name = _read(path_or_file)
    text = _decode(data)
    table = _parse(text)
    result = ImportResult(format=table.label, dry_run=dry_run, rejected=table.rejected)
    if strict and result.rejected:
        raise ImportAborted(
            ngettext(
                "Import annulé (mode strict) : %(count)d ligne rejetée, aucune modification enregistrée.",
                "Import annulé (mode strict) : %(count)d lignes rejetées, aucune modification enregistrée.",
                len(result.rejected),
            )
            % {"count": len(result.rejected)},
            result.rejected,
        )

    with transaction.atomic():
        existing = School.objects.in_bulk(list(table.rows), field_name="uai")
        for uai, values in table.rows.items():
            school = existing.get(uai)
            if school is None:
                result.created += 1
                if not dry_run:
                    School(**values).save()
                continue
            changed = {name: value for name, value in values.items() if getattr(school, name) != value}
            if not changed:
                result.unchanged += 1
                continue
            result.updated += 1
            if not dry_run:
                for name, value in changed.items():
                    setattr(school, name, value)
                school.save()
        if not dry_run:
            record(
                Action.SCHOOLS_IMPORTED,
                detail={
                    "file": file_name,
                    "format": result.format,
                    "created": result.created,
                    "updated": result.updated,
                    "unchanged": result.unchanged,
                    "rejected": len(result.rejected),
                },
            )
    return result


# --- Reading the file ---------------------------------------------------------------------------


def _read(path_or_file: str | os.PathLike[str] | IO[bytes] | IO[str]) -> tuple[bytes | str, str]:
    """The raw content and a file name for the journal (never a full path)."""
    if isinstance(path_or_file, str | os.PathLike):
        path = Path(path_or_file)
        try:
            return path.read_bytes(), path.name
        except FileNotFoundError as error:
            raise ImportFileError(_("Fichier introuvable : %(path)s") % {"path": path}) from error
        except OSError as error:
            raise ImportFileError(
                _("Impossible de lire le fichier %(path)s : %(error)s") % {"path": path, "error": error}
            ) from error
    return path_or_file.read(), Path(str(getattr(path_or_file, "name", "") or "")).name


def _decode(data: bytes | str) -> str:
    if isinstance(data, bytes):
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError as error:
            line = data.count(b"\n", 0, error.start) + 1
            raise ImportFileError(_not_utf8_message(data, line)) from error
    else:
        text = data.removeprefix("\ufeff")
    if not text.strip():
        raise ImportFileError(_("Le fichier est vide."))
    return text


def _not_utf8_message(data: bytes, line: int) -> str:
    try:
        data.decode("cp1252")
    except UnicodeDecodeError:
        return _(
            "Le fichier n'est pas encodé en UTF-8 (caractère illisible ligne %(line)d). "
            "Ré-exportez-le en UTF-8 puis relancez l'import."
        ) % {"line": line}
    return _(
        "Le fichier n'est pas encodé en UTF-8 : il semble enregistré en Latin-1 (Windows-1252), "
        "comme le font souvent les tableurs (premier caractère illisible ligne %(line)d). "
        "Ré-exportez-le au format « CSV UTF-8 » puis relancez l'import."
    ) % {"line": line}


def normalise(column: str) -> str:
    """« Code postal », « Code_postal » and « code_postal » name the same column."""
    return re.sub(r"[^a-z0-9]+", "_", fold(column)).strip("_")


def words(text: str) -> str:
    """Folded words separated by single spaces: « Lycée d'enseignement » -> « lycee d enseignement »."""
    return " ".join(re.sub(r"[^a-z0-9]+", " ", fold(text)).split())


# --- Parsing ------------------------------------------------------------------------------------


@dataclass
class ParsedTable:
    label: str
    rows: dict[str, dict[str, Any]]  # by UAI, in file order
    rejected: list[tuple[int, str]]


def _parse(text: str) -> ParsedTable:
    _check_separator(text.split("\n", 1)[0])
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=SEPARATOR)
    try:
        header = next(reader)
        file_format, index = _detect_format(header)
        rows: dict[str, dict[str, Any]] = {}
        first_seen: dict[str, int] = {}
        rejected: list[tuple[int, str]] = []
        previous_line = reader.line_num
        for cells in reader:
            line, previous_line = previous_line + 1, reader.line_num
            if not any(cell.strip() for cell in cells):
                continue
            if len(cells) != len(header):
                message = _("%(found)d colonnes au lieu de %(expected)d") % {
                    "found": len(cells),
                    "expected": len(header),
                }
                rejected.append((line, message))
                continue
            values, errors = _convert_row(cells, index, file_format)
            uai = values.get("uai")
            if uai in first_seen:
                errors.insert(
                    0,
                    _("UAI %(uai)s en double : déjà présent ligne %(line)d") % {"uai": uai, "line": first_seen[uai]},
                )
            elif uai:
                first_seen[uai] = line
            if errors:
                rejected.append((line, " ; ".join(errors)))
            else:
                rows[values["uai"]] = values
    except csv.Error as error:
        raise ImportFileError(
            _("Fichier CSV illisible ligne %(line)d : %(error)s") % {"line": reader.line_num, "error": error}
        ) from error
    if not rows and not rejected:
        raise ImportFileError(_("Le fichier ne contient aucun établissement : seulement l'en-tête."))
    columns = ngettext("%(count)d colonne", "%(count)d colonnes", len(header)) % {"count": len(header)}
    return ParsedTable(label=f"{file_format.label} ({columns})", rows=rows, rejected=rejected)


def _check_separator(header_line: str) -> None:
    if SEPARATOR in header_line:
        return
    for separator, name in ((",", _("la virgule")), ("\t", _("la tabulation"))):
        if separator in header_line:
            raise ImportFileError(
                _(
                    "Les colonnes doivent être séparées par des points-virgules (;), or ce fichier utilise "
                    "%(separator)s. Ré-exportez-le avec le point-virgule comme séparateur."
                )
                % {"separator": name}
            )


def _detect_format(header: list[str]) -> tuple[FileFormat, dict[str, int]]:
    """The layout whose columns best match the header, and the position of each of its fields."""
    positions: dict[str, int] = {}
    for position, column in enumerate(header):
        positions.setdefault(normalise(column), position)

    def share_present(candidate: FileFormat) -> float:
        present = [c for c in candidate.columns.values() if normalise(c) in positions]
        return len(present) / len(candidate.columns)

    file_format = max(FORMATS, key=share_present)
    if share_present(file_format) < 0.5:
        raise ImportFileError(
            _(
                "En-tête non reconnu : ce fichier n'est ni un export de l'« Annuaire de l'éducation » ni "
                "un export « Adresse et géolocalisation des établissements » (première colonne : « %(first)s »)."
            )
            % {"first": header[0][:60] if header else ""}
        )
    missing = [c for c in file_format.columns.values() if normalise(c) not in positions]
    if missing:
        raise ImportFileError(
            ngettext(
                "Colonne obligatoire absente de l'en-tête : %(columns)s.",
                "Colonnes obligatoires absentes de l'en-tête : %(columns)s.",
                len(missing),
            )
            % {"columns": ", ".join(missing)}
        )
    index = {name: positions[normalise(column)] for name, column in file_format.columns.items()}
    return file_format, index


def _convert_row(cells: list[str], index: dict[str, int], file_format: FileFormat) -> tuple[dict[str, Any], list[str]]:
    """The School values of one row, and what is wrong with it (French messages)."""
    values: dict[str, Any] = {}
    errors: list[str] = []
    for name, position in index.items():
        column = file_format.columns[name]
        raw = " ".join(cells[position].split())
        if not raw and name in REQUIRED_VALUES:
            errors.append(_("%(column)s : valeur manquante") % {"column": column})
            continue
        try:
            value = CONVERTERS.get(name, str)(raw)
        except InvalidValue as error:
            errors.append(f"{column} : {error}")
            continue
        max_length = getattr(School._meta.get_field(name), "max_length", None)
        if isinstance(value, str) and max_length and len(value) > max_length:
            errors.append(
                _("%(column)s : valeur trop longue (%(max)d caractères au plus)")
                % {"column": column, "max": max_length}
            )
            continue
        values[name] = value
    if (values.get("latitude") is None) != (values.get("longitude") is None) and not errors:
        errors.append(_("coordonnées incomplètes : latitude et longitude vont ensemble"))
    return values, errors


def _uai(raw: str) -> str:
    uai = raw.upper()
    if not UAI_PATTERN.fullmatch(uai):
        raise InvalidValue(_("UAI invalide « %(uai)s » (7 chiffres suivis d'une lettre attendus)") % {"uai": raw})
    return uai


def _kind(raw: str) -> str:
    text = f" {words(raw)} "
    for phrase, kind in KIND_RULES:
        if f" {phrase} " in text:
            return kind
    return SchoolKind.OTHER


def _sector(raw: str) -> str:
    first_word = words(raw).split(" ")[0]
    if first_word not in SECTORS:
        raise InvalidValue(_("secteur inconnu « %(value)s » (Public ou Privé attendu)") % {"value": raw})
    return SECTORS[first_word]


def _is_open(raw: str) -> bool:
    state = words(raw)
    if state not in OPEN_STATES:
        raise InvalidValue(
            _("état inconnu « %(value)s » (OUVERT, A FERMER, A OUVRIR ou FERME attendu)") % {"value": raw}
        )
    return OPEN_STATES[state]


def _departement(raw: str) -> str:
    """« 80 » and « 080 » are the same département; the directory stores three characters."""
    return raw.zfill(3) if raw else raw


def _coordinate(limit: int) -> Callable[[str], Decimal | None]:
    def convert(raw: str) -> Decimal | None:
        if not raw:
            return None
        try:
            value = Decimal(raw.replace(",", "."))
        except InvalidOperation:
            value = Decimal("NaN")
        if not value.is_finite():
            raise InvalidValue(_("coordonnée illisible « %(value)s »") % {"value": raw})
        if abs(value) > limit:
            raise InvalidValue(_("coordonnée hors limites « %(value)s »") % {"value": raw})
        return value.quantize(COORDINATE_STEP)

    return convert


# An elided word and the next one, written apart in some official rows (« Collège du Bois L' Eau »).
_ELISION_SPACE = re.compile(r"\b(?P<elided>[cdjlmnst]|qu|jusqu|lorsqu|puisqu)(?P<mark>['’]) +(?=\w)", re.IGNORECASE)


def tidy_name(raw: str) -> str:
    """A name as people write it: no space after an elided article (« L' Eau » -> « L'Eau »)."""
    return _ELISION_SPACE.sub(lambda match: match["elided"] + match["mark"], raw)


CONVERTERS: dict[str, Callable[[str], Any]] = {
    "uai": _uai,
    "name": tidy_name,
    "address": tidy_name,
    "commune": tidy_name,
    "kind": _kind,
    "sector": _sector,
    "departement": _departement,
    "latitude": _coordinate(90),
    "longitude": _coordinate(180),
    "is_open": _is_open,
}
