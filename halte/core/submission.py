"""One post, one creation: the submission token of every form that creates something.

A form that mixes in :class:`SubmissionTokenMixin` carries a hidden random token. The view spends it
with :func:`once` **in the transaction that creates the object**: the token's row is unique, so a
second post of the same form (a double click, a page sent again) cannot spend it — on PostgreSQL it
waits for the first transaction, then fails — and gets :class:`AlreadySubmitted` with the address of
what the first post created. A transaction that rolls back gives its token back.

    try:
        with submission.once(form.cleaned_data[submission.FIELD], user=request.user) as spent:
            thing = actions.create_thing(…)
            spent.leads_to(thing_url)
    except submission.AlreadySubmitted as already:
        return submission.already_done(request, already)

Spent tokens are deleted by the periodic pass after `KEEP`.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from typing import Any

from django import forms
from django.contrib import messages
from django.db import IntegrityError, transaction
from django.shortcuts import redirect
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from .models import SubmissionToken

FIELD = "submission_token"
KEEP = timedelta(days=2)
_SHAPE = re.compile(r"^[A-Za-z0-9_-]{32,64}$")

EXPIRED = gettext_lazy("Ce formulaire n’est plus valable : rechargez la page, puis envoyez-le de nouveau.")


def new_token() -> str:
    return secrets.token_urlsafe(32)


class SubmissionTokenMixin:
    """Adds the hidden one-time token to a form; a missing or malformed token is a form error."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields[FIELD] = forms.CharField(  # type: ignore[attr-defined]
            widget=forms.HiddenInput,
            initial=new_token(),
            required=True,
            max_length=64,
            # Whatever is wrong with it, the page is to reload: one message, wherever the form shows it.
            error_messages={"required": EXPIRED, "max_length": EXPIRED},
        )

    def clean_submission_token(self) -> str:
        value = self.cleaned_data.get(FIELD, "")  # type: ignore[attr-defined]
        if not _SHAPE.match(value):
            raise forms.ValidationError(EXPIRED)
        return value

    def full_clean(self) -> None:
        super().full_clean()  # type: ignore[misc]
        errors = getattr(self, "_errors", None)
        if errors and FIELD in errors:  # a hidden field's error must be read: say it at the top
            errors.pop(FIELD)
            self.add_error(None, str(EXPIRED))  # type: ignore[attr-defined]


class AlreadySubmitted(Exception):
    def __init__(self, target_url: str):
        super().__init__(target_url)
        self.target_url = target_url
        self.message = _("Déjà enregistré : ce formulaire avait déjà été envoyé, voici ce qu’il a créé.")


class Spent:
    def __init__(self, row: SubmissionToken):
        self.row = row

    def leads_to(self, url: str) -> None:
        """Where a second post of the same form is sent (the object the first one created)."""
        SubmissionToken.objects.filter(pk=self.row.pk).update(target_url=url[:255])


def spend(token: str, *, user: Any = None, leads_to: str = "") -> Spent:
    """Spend `token` in the current transaction (a savepoint guards the insert); raise
    AlreadySubmitted if it was spent. For work that owns its transaction (``submit_report``'s
    ``alongside``), so that the token commits, or not, with what it created."""
    try:
        with transaction.atomic():
            row = SubmissionToken.objects.create(
                token=token, user=user if user and user.pk else None, target_url=leads_to[:255]
            )
    except IntegrityError:
        previous = SubmissionToken.objects.filter(token=token).first()
        mine = previous is not None and (previous.user_id is None or user is None or previous.user_id == user.pk)
        raise AlreadySubmitted(previous.target_url if mine and previous else "") from None
    return Spent(row)


@contextmanager
def once(token: str, *, user: Any = None, leads_to: str = "") -> Iterator[Spent]:
    """Spend `token` in a transaction that also holds the block's work; raise AlreadySubmitted if spent.
    `leads_to`: where a second post goes, when known before the work (else `Spent.leads_to`)."""
    with transaction.atomic():
        yield spend(token, user=user, leads_to=leads_to)


def fields(form: Any) -> dict[str, Any]:
    """A form's cleaned data without its token: the keyword arguments of the action it calls."""
    return {name: value for name, value in form.cleaned_data.items() if name != FIELD}


def already_done(request: Any, already: AlreadySubmitted, fallback: str = "www:staff_home") -> Any:
    """The answer to a second post: the first one's result, with « déjà enregistré »."""
    messages.info(request, already.message)
    return redirect(already.target_url or fallback)


def purge(now: datetime | None = None) -> int:
    return SubmissionToken.objects.filter(created_at__lt=(now or timezone.now()) - KEEP).delete()[0]
