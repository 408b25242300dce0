"""One spelling per email address: the key of an account for login, lockout and uniqueness.

``COORDINATION@…``, ``coordination@…`` with a trailing space, or the same letters typed in
full-width Unicode forms are one account, one lockout counter and one row. The normal form is
Unicode NFKC, without surrounding spaces, in lower case; the database refuses any other spelling
(``user_email_normalised``), and a data migration brought existing accounts to it.
"""

import unicodedata

from django import forms
from django.db.models import Func


def normalise_email(value: str | None) -> str:
    """The normal form of an address. Idempotent: NFKC again after lowering, since lowering can
    produce characters that NFKC would fold further."""
    text = unicodedata.normalize("NFKC", value or "").strip().lower()
    return unicodedata.normalize("NFKC", text)


class NormalisedEmailField(forms.EmailField):
    """An email field that normalises before validating, so every variant reaches the same account."""

    def to_python(self, value):
        return normalise_email(super().to_python(value))


class NFKC(Func):
    """PostgreSQL's ``normalize(text, NFKC)``; SQLite has no Unicode normalisation, so there the
    database check covers spaces and ASCII case only (the application always writes the normal form)."""

    function = "normalize"
    template = "%(function)s(%(expressions)s, NFKC)"

    def as_sqlite(self, compiler, connection, **extra_context):
        return compiler.compile(self.source_expressions[0])
