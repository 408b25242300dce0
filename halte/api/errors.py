"""Errors of the JSON API: the shared response schemas and French messages for every failure.

django-ninja, pydantic and Django speak English by default; partners' developers read French here.
Field errors keep pydantic's machine-readable ``type`` and ``loc`` and get a French ``msg``; a
pydantic error type without a French message here gets a generic French one, never English. Errors
raised before or outside an operation (unknown address, wrong method, a body over the size limit, a
server error) are answered in JSON and French too, by :class:`ApiErrorsMiddleware`.
"""

import logging
import typing

from django.conf import settings
from django.core.exceptions import RequestDataTooBig, TooManyFieldsSent, TooManyFilesSent
from django.db import InterfaceError, OperationalError
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _
from ninja import Field, NinjaAPI, Schema
from ninja.errors import AuthenticationError, HttpError, ValidationError
from ninja.parser import Parser
from pydantic_core import core_schema

from halte.reports.actions import OutcomeUnknown

API_PREFIX = "/api/"
JSON_MEDIA_TYPES = {"application/json"}
TOO_BIG = (RequestDataTooBig, TooManyFieldsSent, TooManyFilesSent)
# pydantic's own error types: their messages are English, so each one is translated or replaced.
PYDANTIC_TYPES = frozenset(typing.get_args(core_schema.ErrorType))

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


def _context(error: dict) -> dict:
    context = dict(error.get("ctx") or {})
    if isinstance(context.get("expected"), str):
        # pydantic lists choices as "'a', 'b' or 'c'".
        head, sep, last = context["expected"].rpartition(" or ")
        if sep:
            context["expected"] = f"{head} ou {last}"
    return context


def french(error: dict) -> dict:
    kind = error.get("type", "")
    loc = list(error.get("loc", []))
    template = _messages().get(kind)
    message = error.get("msg", "")
    if loc[:1] == ["header"] and loc[-1:] == ["Idempotency-Key"] and kind != "missing":
        message = _(
            "Clé d’idempotence invalide : de 1 à 200 caractères ASCII visibles, sans espace (un UUID convient)."
        )
    elif template:
        try:
            message = template % _context(error)
        except (KeyError, TypeError, ValueError):
            message = template.split(" :")[0] + "."
    elif kind in PYDANTIC_TYPES:
        # An English message from pydantic that has no French wording here yet.
        message = _("Valeur invalide.")
    return {"loc": loc, "msg": message, "type": kind}


def body_too_big_message() -> str:
    limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    if limit is None:
        return _("Le corps de la requête est trop volumineux.")
    return _("Le corps de la requête dépasse la taille maximale acceptée (%(limit)s).") % {
        "limit": filesizeformat(limit)
    }


class UnsupportedMediaType(Exception):
    pass


class JsonOnlyParser(Parser):
    """Bodies are JSON, declared as such: another Content-Type gets a 415, not a guess."""

    def parse_body(self, request: HttpRequest):
        media_type = (request.content_type or "").lower()
        if media_type not in JSON_MEDIA_TYPES and not media_type.endswith("+json"):
            raise UnsupportedMediaType(media_type)
        return super().parse_body(request)


def _status_messages() -> dict[int, str]:
    return {
        400: _("Requête incorrecte."),
        401: _("Clé d’API absente, inconnue ou révoquée."),
        403: _("Accès refusé."),
        404: _("Introuvable : aucune opération de l’API ne répond à cette adresse."),
        413: body_too_big_message(),
        500: _("Erreur interne du serveur. Réessayez plus tard ; si elle persiste, prévenez l’équipe de Halte."),
    }


def error_response(status: int, detail: str, **headers: str) -> JsonResponse:
    response = JsonResponse({"detail": detail}, status=status, json_dumps_params={"ensure_ascii": False})
    for name, value in headers.items():
        response[name] = value
    return response


class ApiErrorsMiddleware:
    """Under ``/api/``, every error is JSON in French, whoever produced it.

    django-ninja answers its operations' errors itself (handlers below). Before or outside an
    operation, Django answers in HTML (the child's 404 page, the 400 page, the 500 page) and ninja
    in English plain text (405): those answers are replaced. A body over the size limit met outside
    an operation is a 413 here too.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if not request.path.startswith(API_PREFIX) or response.status_code < 400:
            return response
        if response.get("Content-Type", "").split(";")[0].strip() == "application/json":
            return response
        return self._french(request, response)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if request.path.startswith(API_PREFIX) and isinstance(exception, TOO_BIG):
            return error_response(413, body_too_big_message())
        return None

    def _french(self, request: HttpRequest, response: HttpResponse) -> HttpResponse:
        status = response.status_code
        if status == 405:
            allowed = response.get("Allow", "")
            detail = _("Méthode %(method)s non acceptée à cette adresse. Méthodes possibles : %(allowed)s.") % {
                "method": request.method,
                "allowed": allowed,
            }
            return error_response(405, detail, Allow=allowed)
        detail = _status_messages().get(status, _("Erreur %(status)s.") % {"status": status})
        return error_response(status, detail)


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
            cause = exc.__cause__
            if isinstance(cause, TOO_BIG):
                return api.create_response(request, {"detail": body_too_big_message()}, status=413)
            if isinstance(cause, UnsupportedMediaType):
                detail = _(
                    "Le corps de la requête doit être du JSON, envoyé avec l’en-tête Content-Type: application/json."
                )
                return api.create_response(request, {"detail": detail}, status=415)
            message = _("Le corps de la requête n’est pas un JSON valide.")
        return api.create_response(request, {"detail": english.get(message, message)}, status=exc.status_code)

    @api.exception_handler(RequestDataTooBig)
    def too_big(request: HttpRequest, exc: Exception):
        return api.create_response(request, {"detail": body_too_big_message()}, status=413)

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
