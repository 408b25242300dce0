"""Writing the timeline of a case: the one way to add a line (``write``). Its compartment is not the
writer's choice: the access policy decides it from the kind of line (``access.timeline``), and refuses
a kind it has no decision for."""

from django.utils import timezone

from halte.access.timeline import event_compartment

from .models import Case, Event


def write(case: Case, actor, kind: str, text: str, *, subject: str | None = None, at=None) -> Event:
    """Add a line of ``kind`` to the timeline of ``case``. ``subject`` is the compartment of what the
    line records, for the kinds whose compartment depends on it (a note, an action, a share…)."""
    compartment = event_compartment(kind, subject)
    return Event.objects.create(
        case=case, kind=kind, text=text, actor=actor, compartment=compartment, at=at or timezone.now()
    )


def write_many(lines, *, batch_size: int = 5_000) -> list[Event]:
    """Add many lines at once (the benchmark's synthetic population): each line is ``(case, actor, kind,
    text, at)`` or ``(case, actor, kind, text, at, subject)``, its compartment decided as by ``write``."""
    events = []
    for case, actor, kind, text, at, *subject in lines:
        compartment = event_compartment(kind, subject[0] if subject else None)
        events.append(Event(case=case, kind=kind, text=text, actor=actor, compartment=compartment, at=at))
    return Event.objects.bulk_create(events, batch_size=batch_size)


def row(case_id: int, actor_id: int | None, kind: str, text: str, at, subject: str | None = None) -> dict:
    """A line as a plain row, for the benchmark's ``COPY`` loader (``halte.bench.rows``), its compartment
    decided as by ``write``."""
    compartment = event_compartment(kind, subject)
    return {"case_id": case_id, "kind": kind, "compartment": compartment, "text": text, "actor_id": actor_id, "at": at}
