"""Generating a document: one function, one transaction for its row, its timeline line and its audit row.

The PDF is built first (outside any transaction: WeasyPrint takes a moment), from what the author reads
on the case at that time; then it is encrypted and written to its own directory, then its row, the
case's timeline event and the audit row are written together. If that transaction fails, the file is
removed: there is never a row without its file, and never a file left behind by a failed generation.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from halte.access.cases import compartments
from halte.access.partners import document_recipients
from halte.access.timeline import document_compartment
from halte.audit.journal import record
from halte.audit.models import Action as AuditAction
from halte.cases import timeline
from halte.cases.models import Case, Person
from halte.directory.models import Partner
from halte.interventions.common import lock_families
from halte.meetings.models import Meeting

from . import content, pdf, storage
from .content import ConvocationDetails, DocumentRefused
from .models import Document, DocumentKind

__all__ = ["ConvocationDetails", "DocumentRefused", "build", "generate"]

EVENT_KIND = "document_generated"


# Letters to a family: refused while the family is held back (``content.family_refusal``).
FAMILY_LETTERS = (DocumentKind.CONVOCATION, DocumentKind.CLOSURE_LETTER)


def _check_the_family_again(case: Case, kind: str, recipient, convocation) -> None:
    """The PDF was built from the holds read before it was rendered; an instruction, an exception or a
    guardian link written meanwhile would not stop it. Under the locks the family writes take (the case,
    then the households concerned), the refusal is checked again before the letter is kept."""
    pupil = convocation.pupil if convocation is not None else None
    people = content.family_letter_people(case, kind, recipient=recipient, pupil=pupil)
    lock_families(case, people)
    refusal = content.family_refusal(case, kind, recipient=recipient, pupil=pupil)
    if refusal:
        raise DocumentRefused(refusal)


def build(
    *,
    case: Case,
    author,
    kind: str,
    now: datetime,
    recipient: Person | None = None,
    meeting: Meeting | None = None,
    convocation: ConvocationDetails | None = None,
    partner: Partner | None = None,
) -> content.Built:
    """What the document of ``kind`` says when ``author`` generates it now (no file, no row)."""
    readable = compartments(author, case)
    recipients = document_recipients(author, case, kind)
    if kind == DocumentKind.ART_40:
        return content.art40(case, author=author, readable=readable, now=now, partner=partner, recipients=recipients)
    if kind == DocumentKind.INFORMATION_PREOCCUPANTE:
        return content.information_preoccupante(
            case, author=author, readable=readable, now=now, partner=partner, recipients=recipients
        )
    if kind == DocumentKind.CONVOCATION:
        if recipient is None or convocation is None:
            raise DocumentRefused(_("Indiquez le destinataire, la date, l’heure, le lieu et l’objet."))
        return content.convocation(
            case, author=author, readable=readable, now=now, recipient=recipient, details=convocation
        )
    if kind == DocumentKind.MINUTES:
        if meeting is None:
            raise DocumentRefused(_("Choisissez la réunion."))
        return content.minutes(case, author=author, readable=readable, now=now, meeting=meeting)
    if kind == DocumentKind.CLOSURE_LETTER:
        return content.closure_letter(case, author=author, readable=readable, now=now, recipient=recipient)
    raise DocumentRefused(_("Ce type de document n’existe pas."))


def generate(
    *,
    case: Case,
    actor,
    kind: str,
    recipient: Person | None = None,
    meeting: Meeting | None = None,
    convocation: ConvocationDetails | None = None,
    partner: Partner | None = None,
    now: datetime | None = None,
) -> Document:
    """Build, render, encrypt and keep one document of the case; journal it and note it on the timeline.

    The caller has checked ``halte.access.documents.can_generate``. Raises DocumentRefused (French
    message) when the case does not allow this document (not closed, no pupil, not on the agenda…).
    """
    now = now or timezone.now()
    built = build(
        case=case,
        author=actor,
        kind=kind,
        now=now,
        recipient=recipient,
        meeting=meeting,
        convocation=convocation,
        partner=partner,
    )
    data = pdf.render_pdf(built.template, built.context)
    public_id = uuid.uuid4()
    stored = storage.store(data, public_id=public_id, now=now)
    used = built.compartment_list()
    try:
        with transaction.atomic():
            if kind in FAMILY_LETTERS:
                _check_the_family_again(case, kind, recipient, convocation)
            document = Document.objects.create(
                public_id=public_id,
                case=case,
                kind=kind,
                title=built.title[:255],
                compartments=used,
                meeting=built.meeting,
                recipient=built.recipient,
                path=stored.path,
                key_id=stored.key_id,
                sha256=stored.sha256,
                size=stored.size,
                generated_by=actor,
                generated_at=now,
            )
            timeline.write(
                case,
                actor,
                EVENT_KIND,
                _("Document généré : %(title)s (SHA-256 %(sha)s).") % {"title": document.title, "sha": stored.sha256},
                subject=document_compartment(kind, used),
                at=now,
            )
            record(
                AuditAction.DOCUMENT_GENERATED,
                actor=actor.user,
                membership=actor,
                target=case,
                detail={
                    "document": str(public_id),
                    "kind": kind,
                    "compartments": used,
                    "sha256": stored.sha256,
                    "size": stored.size,
                    **({"addressed_to": str(partner.public_id)} if partner is not None else {}),
                },
            )
    except BaseException:
        storage.remove(stored.path)
        raise
    return document
