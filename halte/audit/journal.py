"""Write to the audit journal. The only way rows get into :class:`~halte.audit.models.AuditEvent`."""

from typing import Any

from django.db import models

from .models import Action, AuditEvent


def record(
    action: Action,
    *,
    actor=None,
    membership=None,
    target: models.Model | None = None,
    detail: dict[str, Any] | None = None,
) -> AuditEvent:
    """Append one event. Call it inside the transaction of the change it describes."""
    event = AuditEvent(action=action, actor=actor, membership=membership, detail=detail or {})
    if target is not None:
        event.target_type = target._meta.label_lower
        event.target_id = str(getattr(target, "public_id", None) or target.pk)
        event.target_label = str(target)[:255]
    event.save(force_insert=True)
    return event


def record_request(action: Action, request, *, target=None, detail=None) -> AuditEvent:
    """Append one event for the person behind a request, under the membership they act as."""
    user = request.user if request.user.is_authenticated else None
    return record(
        action,
        actor=user,
        membership=getattr(request, "membership", None),
        target=target,
        detail=detail,
    )
