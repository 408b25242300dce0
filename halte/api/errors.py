"""Errors of the JSON API: the shared response schemas and French messages for every failure.

django-ninja and pydantic speak English by default; partners' developers read French here. Field
errors keep pydantic's machine-readable ``type`` and ``loc`` and get a French ``msg``.
"""

import logging

from django.db import InterfaceError, OperationalError
from django.http import Http404, HttpRequest
from django.utils.translation import gettext as _
from ninja import Field, NinjaAPI, Schema
from ninja.errors import AuthenticationError, HttpError, ValidationError

from halte.reports.actions import OutcomeUnknown

logger = logging.getLogger(__name__)

# Seconds a partner should wait before retrying after a fault of the database or the storage.
RETRY_AFTER_SECONDS = 10


class Error(Schema):
    detail: str


class FieldError(Schema):
    loc: list[str | int] = Field(description='Emplacement de l’erreur, par exemple ["body", "payload", "description"].')
    msg: str
    type: str


class ValidationErrorOut(Schema):
    detail: list[FieldError]


def _messages() -> dict[str, str]:
    return {
        "missing": _("Champ obligatoire."),
        "string_too_long": _("Texte trop long : %(max_length)s caractères au maximum."),
        "string_too_short": _("Texte trop court : %(min_length)s caractère(s) au minimum."),
        "string_type": _("Une chaîne de caractères est attendue."),
        "string_pattern_mismatch": _("Format non reconnu."),
        "literal_error": _("Valeur non reconnue. Valeurs possibles : %(expected)s."),
        "enum": _("Valeur non reconnue. Valeurs possibles : %(expected)s."),
        "int_parsing": _("Un nombre entier est attendu."),
        "int_type": _("Un nombre entier est attendu."),
        "bool_parsing": _("Une valeur vrai/faux est attendue."),
        "bool_type": _("Une valeur vrai/faux est attendue."),
        "list_type": _("Une liste est attendue."),
        "too_long": _("Liste trop longue : %(max_length)s éléments au maximum."),
        "greater_than_equal": _("La valeur doit être au moins %(ge)s."),
        "less_than_equal": _("La valeur doit être au plus %(le)s."),
        "datetime_parsing": _("Date et heure non reconnues (format ISO 8601 attendu)."),
        "datetime_type": _("Date et heure non reconnues (format ISO 8601 attendu)."),
        "timezone_aware": _("La date doit préciser son fuseau horaire."),
        "uuid_parsing": _("Identifiant non reconnu."),
        "extra_forbidden": _("Champ inconnu."),
        "model_attributes_type": _("Un objet JSON est attendu."),
        "dict_type": _("Un objet JSON est attendu."),
        "json_invalid": _("JSON invalide."),
    }


def french(error: dict) -> dict:
    template = _messages().get(error.get("type", ""))
    message = error.get("msg", "")
    if template:
        try:
            message = template % (error.get("ctx") or {})
        except (KeyError, TypeError, ValueError):
            message = template.split(" :")[0] + "."
    return {"loc": list(error.get("loc", [])), "msg": message, "type": error.get("type", "")}


def install(api: NinjaAPI) -> None:
    @api.exception_handler(ValidationError)
    def validation_error(request: HttpRequest, exc: ValidationError):
        return api.create_response(request, {"detail": [french(e) for e in exc.errors]}, status=422)

    @api.exception_handler(AuthenticationError)
    def authentication_error(request: HttpRequest, exc: AuthenticationError):
        return api.create_response(request, {"detail": _("Clé d’API absente, inconnue ou révoquée.")}, status=401)

    @api.exception_handler(HttpError)
    def http_error(request: HttpRequest, exc: HttpError):
        # ninja's own errors are in English; ours (raised with a French message) pass through.
        english = {
            "Unauthorized": _("Clé d’API absente, inconnue ou révoquée."),
            "Forbidden": _("Accès refusé."),
        }
        message = str(exc)
        if message.startswith("Cannot parse request body"):
            message = _("Le corps de la requête n’est pas un JSON valide.")
        return api.create_response(request, {"detail": english.get(message, message)}, status=exc.status_code)

    @api.exception_handler(Http404)
    def not_found(request: HttpRequest, exc: Http404):
        return api.create_response(request, {"detail": _("Introuvable.")}, status=404)

    def unavailable(request: HttpRequest, message: str):
        response = api.create_response(request, {"detail": message}, status=503)
        response["Retry-After"] = str(RETRY_AFTER_SECONDS)
        return response

    # Faults of the environment, not of the request: 503 and a retry that is always safe (nothing was
    # saved, or the same Idempotency-Key finds what was).
    @api.exception_handler(OperationalError)
    @api.exception_handler(InterfaceError)
    def database_unavailable(request: HttpRequest, exc: Exception):
        logger.warning("API call refused: the database is unavailable (%s).", type(exc).__name__)
        return unavailable(
            request,
            _(
                "Service momentanément indisponible (base de données) : rien n’a été enregistré. "
                "Réessayez dans quelques instants avec la même clé d’idempotence."
            ),
        )

    @api.exception_handler(OutcomeUnknown)
    def outcome_unknown(request: HttpRequest, exc: OutcomeUnknown):
        return unavailable(
            request,
            _(
                "La base de données n’a pas confirmé l’enregistrement : le signalement l’est peut-être. "
                "Réessayez avec la même clé d’idempotence : vous recevrez le signalement enregistré, "
                "jamais un doublon."
            ),
        )

    @api.exception_handler(OSError)
    def storage_unavailable(request: HttpRequest, exc: OSError):
        logger.warning("API call refused: the storage is unavailable (%s).", type(exc).__name__)
        return unavailable(
            request,
            _(
                "Service momentanément indisponible (stockage des pièces) : rien n’a été enregistré. "
                "Réessayez dans quelques instants avec la même clé d’idempotence."
            ),
        )
