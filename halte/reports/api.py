"""Reports sent by partner platforms (3018, associations, school software…), with an API key each.

``POST /api/v1/reports`` files a report on the "api" channel; ``GET /api/v1/reports/{id}`` lets the
partner follow the status of what its organisation sent, and nothing more. A retried POST carrying the
same ``Idempotency-Key`` returns the report created the first time instead of filing a copy.
"""

import hashlib
import hmac
import json
import unicodedata
from datetime import UTC, datetime, timedelta
from typing import Annotated
from uuid import UUID

from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.validators import validate_email
from django.db import IntegrityError
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Field, Header, Router, Schema, Status
from ninja.errors import HttpError, ValidationError
from ninja.security import APIKeyHeader, HttpBearer
from pydantic import AfterValidator, AwareDatetime, ConfigDict, StringConstraints, field_validator
from pydantic_core import PydanticCustomError

from halte.api.errors import Error, ValidationErrorOut
from halte.directory.models import School

from . import apikeys, enums
from .actions import PupilData, ReportData, submit_report
from .models import ApiKey, IdempotencyRecord, Report

router = Router(tags=["Signalements"])

MAX_PUPILS = 20
# A partner's clock may run slightly ahead of ours; beyond this, a "future" date is a mistake.
CLOCK_SKEW = timedelta(minutes=2)
# Older dates are typing errors, and very old ones cannot even be converted to UTC.
EARLIEST_RECEIVED_AT = datetime(2000, 1, 1, tzinfo=UTC)
IDEMPOTENCY_KEY_PATTERN = r"^[\x21-\x7e]+$"  # visible ASCII, as a UUID or a random token would be
BODY_LOC = ["body", "payload"]  # where ninja reports errors of the request body


# --- Authentication -------------------------------------------------------------------------------


def _raw_key(request: HttpRequest) -> str | None:
    """The key sent in ``X-Api-Key``, or else as ``Authorization: Bearer <key>``."""
    value = request.headers.get("X-Api-Key", "").strip()
    if value:
        return value
    scheme, _sep, token = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() == "bearer" and token.strip():
        return token.strip()
    return None


def _authenticate(request: HttpRequest) -> ApiKey:
    key = apikeys.authenticate(_raw_key(request))
    if key is None:
        # Raised rather than returning None: ninja would answer its own English "Unauthorized".
        raise HttpError(401, _("Clé d’API absente, inconnue ou révoquée."))
    return key


class ApiKeyAuth(APIKeyHeader):
    param_name = "X-Api-Key"

    def __call__(self, request: HttpRequest) -> ApiKey:
        return _authenticate(request)

    def authenticate(self, request: HttpRequest, key: str | None) -> ApiKey:
        return _authenticate(request)


class BearerAuth(HttpBearer):
    def __call__(self, request: HttpRequest) -> ApiKey:
        return _authenticate(request)

    def authenticate(self, request: HttpRequest, token: str) -> ApiKey:
        return _authenticate(request)


# Both schemes read both headers, so the first one always decides and its refusal is in French;
# the second is listed so that the OpenAPI document shows partners they may use either header.
PARTNER_AUTH = [ApiKeyAuth(), BearerAuth()]


# --- Request --------------------------------------------------------------------------------------

_ALLOWED_IN_TEXT = {"\n", "\r", "\t"}


def _single_line(value: str) -> str:
    """Refuse control characters (and lone surrogates, which no database can store)."""
    if any(unicodedata.category(c) in {"Cc", "Cs"} for c in value):
        raise PydanticCustomError("control_characters", _("Les caractères de contrôle ne sont pas acceptés."))
    return value


def _multi_line(value: str) -> str:
    """Like :func:`_single_line`, but line breaks and tabs are part of a story."""
    if any(unicodedata.category(c) in {"Cc", "Cs"} and c not in _ALLOWED_IN_TEXT for c in value):
        raise PydanticCustomError(
            "control_characters",
            _("Les caractères de contrôle ne sont pas acceptés (hors retours à la ligne et tabulations)."),
        )
    return value


_LINE = AfterValidator(_single_line)


def _trimmed(max_length: int, min_length: int = 0) -> StringConstraints:
    return StringConstraints(strip_whitespace=True, min_length=min_length, max_length=max_length)


Text32 = Annotated[str, _trimmed(32), _LINE]
Text50 = Annotated[str, _trimmed(50), _LINE]
Text64 = Annotated[str, _trimmed(64), _LINE]
Text100 = Annotated[str, _trimmed(100), _LINE]
RequiredText100 = Annotated[str, _trimmed(100, min_length=1), _LINE]
Text200 = Annotated[str, _trimmed(200), _LINE]
Text255 = Annotated[str, _trimmed(255), _LINE]
Story = Annotated[str, _trimmed(20_000, min_length=1), AfterValidator(_multi_line)]
Uai = Annotated[str, StringConstraints(strip_whitespace=True, to_upper=True, pattern=r"^[0-9]{7}[A-Za-z]$")]


class StrictSchema(Schema):
    # An unknown field is refused, not ignored: a partner's typo must not silently lose information.
    model_config = ConfigDict(extra="forbid")


class PupilIn(StrictSchema):
    first_name: RequiredText100 = Field(description="Prénom, tel que la personne l’a donné.")
    last_name: Text100 = ""
    class_name: Text50 = Field("", description="Classe, par exemple « 5e B ».")
    role: enums.PupilRole


class ReportIn(StrictSchema):
    reporter_kind: enums.ReporterKind
    is_anonymous: bool = Field(True, description="Si vrai, les coordonnées ne sont pas conservées.")
    reporter_name: Text200 = ""
    reporter_email: Annotated[str, _trimmed(254), _LINE] = ""
    reporter_phone: Text32 = ""
    consent_to_contact: bool = False
    school_uai: Uai | None = Field(None, description="UAI d’un établissement de l’annuaire (7 chiffres et une lettre).")
    school_text: Text255 = Field("", description="Établissement en texte libre, si l’UAI n’est pas connu.")
    forms: list[enums.Form] = Field(default_factory=list, max_length=len(enums.Form))
    platforms: list[enums.Platform] = Field(default_factory=list, max_length=len(enums.Platform))
    since: enums.Since | None = None
    frequency: enums.Frequency | None = None
    places: list[enums.Place] = Field(default_factory=list, max_length=len(enums.Place))
    description: Story = Field(description="Le récit, tel que la personne l’a fait.")
    distress_signs: list[enums.DistressSign] = Field(default_factory=list, max_length=len(enums.DistressSign))
    immediate_danger: bool = False
    pupils: list[PupilIn] = Field(default_factory=list, max_length=MAX_PUPILS)
    faits_etablissement_id: Text64 = ""
    faits_etablissement_level: int | None = Field(None, ge=1, le=3)
    parquet_number: Text64 = ""
    stop_harcelement_id: Text64 = ""
    crip_id: Text64 = ""
    received_at: AwareDatetime | None = Field(
        None, description="Date et heure de réception par le partenaire, avec fuseau horaire. Par défaut : maintenant."
    )

    @field_validator("reporter_email")
    @classmethod
    def _email(cls, value: str) -> str:
        if not value:
            return value
        try:
            validate_email(value)
        except DjangoValidationError:
            raise PydanticCustomError("email", _("Adresse électronique invalide.")) from None
        return value

    @field_validator("forms", "platforms", "places", "distress_signs")
    @classmethod
    def _as_set(cls, values: list) -> list:
        """These lists are sets: sorted and without repeats, a retry in another order is the same body."""
        return sorted(set(values), key=lambda v: v.value)

    @field_validator("received_at")
    @classmethod
    def _plausible_date(cls, value: datetime | None) -> datetime | None:
        if value is None:
            return value
        try:
            value = value.astimezone(UTC)
        except OverflowError:
            raise PydanticCustomError("date_out_of_range", _("Date hors limites.")) from None
        if value > timezone.now() + CLOCK_SKEW:
            raise PydanticCustomError("date_in_future", _("La date de réception ne peut pas être dans le futur."))
        if value < EARLIEST_RECEIVED_AT:
            raise PydanticCustomError("date_too_old", _("La date de réception est antérieure à l’an 2000."))
        return value

    def fingerprint(self) -> str:
        """SHA-256 of the canonical JSON of the validated payload: what "the same body" means."""
        canonical = json.dumps(self.model_dump(mode="json"), sort_keys=True, separators=(",", ":"), ensure_ascii=False)
        return hashlib.sha256(canonical.encode()).hexdigest()


# --- Responses ------------------------------------------------------------------------------------


class ReportReceipt(Schema):
    reference: str = Field(description="Référence lisible, par exemple SIG-2026-000042.")
    id: UUID = Field(description="Identifiant à utiliser pour suivre le signalement.")
    status: enums.Status
    is_worrying: bool = Field(description="Vrai si le signalement a été classé préoccupant dès réception.")
    received_at: datetime


class ReportStatusOut(Schema):
    reference: str
    id: UUID
    status: enums.Status
    received_at: datetime


def _receipt(report: Report) -> dict:
    return {
        "reference": report.reference,
        "id": report.public_id,
        "status": report.status,
        "is_worrying": report.is_worrying,
        "received_at": report.received_at,
    }


# --- Operations -----------------------------------------------------------------------------------


def _school(payload: ReportIn) -> School | None:
    if not payload.school_uai:
        return None
    school = School.objects.filter(uai=payload.school_uai).first()
    if school is None:
        message = _("Établissement inconnu : aucun établissement de l’annuaire n’a l’UAI %(uai)s.")
        raise ValidationError(
            [{"loc": [*BODY_LOC, "school_uai"], "msg": message % {"uai": payload.school_uai}, "type": "unknown_school"}]
        )
    return school


def _report_data(payload: ReportIn, school: School | None) -> ReportData:
    return ReportData(
        channel=enums.Channel.API,
        reporter_kind=payload.reporter_kind.value,
        is_anonymous=payload.is_anonymous,
        reporter_name=payload.reporter_name,
        reporter_email=payload.reporter_email,
        reporter_phone=payload.reporter_phone,
        consent_to_contact=payload.consent_to_contact,
        school=school,
        school_text=payload.school_text,
        forms=[v.value for v in payload.forms],
        platforms=[v.value for v in payload.platforms],
        since=payload.since.value if payload.since else "",
        frequency=payload.frequency.value if payload.frequency else "",
        places=[v.value for v in payload.places],
        description=payload.description,
        distress_signs=[v.value for v in payload.distress_signs],
        immediate_danger=payload.immediate_danger,
        pupils=[
            PupilData(first_name=p.first_name, last_name=p.last_name, class_name=p.class_name, role=p.role.value)
            for p in payload.pupils
        ],
        faits_etablissement_id=payload.faits_etablissement_id,
        faits_etablissement_level=payload.faits_etablissement_level,
        parquet_number=payload.parquet_number,
        stop_harcelement_id=payload.stop_harcelement_id,
        crip_id=payload.crip_id,
        received_at=payload.received_at,
    )


def _previous_record(api_key: ApiKey, idempotency_key: str) -> IdempotencyRecord | None:
    return IdempotencyRecord.objects.select_related("report").filter(api_key=api_key, key=idempotency_key).first()


def _replay(previous: IdempotencyRecord, fingerprint: str, response: HttpResponse) -> Status:
    if not hmac.compare_digest(previous.fingerprint, fingerprint):
        return Status(
            409,
            {
                "detail": _(
                    "Cette clé d’idempotence a déjà servi pour un autre contenu. "
                    "Utilisez une nouvelle clé pour un nouveau signalement."
                )
            },
        )
    response["Idempotent-Replayed"] = "true"
    return Status(200, _receipt(previous.report))


@router.post(
    "",
    auth=PARTNER_AUTH,
    response={
        201: ReportReceipt,
        200: ReportReceipt,
        400: Error,
        401: Error,
        409: Error,
        413: Error,
        415: Error,
        422: ValidationErrorOut,
        503: Error,
    },
    summary="Transmettre un signalement",
)
def create_report(
    request: HttpRequest,
    payload: ReportIn,
    response: HttpResponse,
    # Typed `str` with a None default so that the OpenAPI header is a plain string, not "string or null".
    idempotency_key: str = Header(
        None,
        alias="Idempotency-Key",
        min_length=1,
        max_length=200,
        pattern=IDEMPOTENCY_KEY_PATTERN,
        description="Facultatif. Une même clé renvoyée avec le même contenu ne crée pas de second signalement.",
    ),
):
    """Enregistre un signalement reçu par une plateforme partenaire (canal « api »).

    Réponses : 201 signalement créé ; 200 même `Idempotency-Key` et même contenu qu’un appel précédent
    (le signalement d’origine est renvoyé, avec l’en-tête `Idempotent-Replayed: true`) ; 409 même clé
    mais contenu différent ; 401 clé d’API absente, inconnue ou révoquée ; 400 corps qui n’est pas un
    JSON valide ; 413 corps trop volumineux ; 415 corps qui n’est pas déclaré `application/json` ;
    422 contenu invalide (chaque erreur avec son emplacement, son type et un message en français) ;
    503 base de données ou stockage momentanément indisponible, avec l’en-tête `Retry-After` :
    réessayez avec la même `Idempotency-Key`, ce qui est toujours sans risque de doublon.
    """
    api_key: ApiKey = request.auth  # type: ignore[attr-defined]
    school = _school(payload)
    fingerprint = payload.fingerprint()
    if idempotency_key:
        previous = _previous_record(api_key, idempotency_key)
        if previous is not None:
            return _replay(previous, fingerprint, response)

    def remember_key(report: Report) -> None:
        IdempotencyRecord.objects.create(api_key=api_key, key=idempotency_key, fingerprint=fingerprint, report=report)

    try:
        # The report and its idempotency record commit together, or not at all.
        submission = submit_report(
            data=_report_data(payload, school),
            actor=None,
            api_key=api_key,
            alongside=remember_key if idempotency_key else None,
        )
    except IntegrityError:
        # Two identical calls raced: the unique constraint let one through; answer as its replay.
        previous = _previous_record(api_key, idempotency_key) if idempotency_key else None
        if previous is None:
            raise
        return _replay(previous, fingerprint, response)
    report = submission.report
    response["Location"] = f"{request.path.rstrip('/')}/{report.public_id}"
    return Status(201, _receipt(report))


@router.get(
    "/{uuid:report_id}",
    auth=PARTNER_AUTH,
    # No 422: the path only matches a UUID, anything else is an ordinary 404.
    response={200: ReportStatusOut, 401: Error, 404: Error},
    summary="Suivre un signalement transmis",
)
def report_status(request: HttpRequest, report_id: UUID):
    """L’état d’un signalement transmis par une clé de la même structure. Rien de son contenu."""
    api_key: ApiKey = request.auth  # type: ignore[attr-defined]
    report = Report.objects.filter(public_id=report_id, api_key__organisation_id=api_key.organisation_id).first()
    if report is None:
        raise HttpError(404, _("Aucun signalement transmis par votre structure ne porte cet identifiant."))
    return {
        "reference": report.reference,
        "id": report.public_id,
        "status": report.status,
        "received_at": report.received_at,
    }
