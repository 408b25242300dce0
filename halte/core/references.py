"""Human references such as ``SIG-2026-000042``: readable on the phone, unique, in order, gap-free.

A number is taken from the counter row of its name and year with one atomic statement (an upsert
that increments and returns the new value). The row stays locked until the caller's transaction
ends, so a rolled-back transaction gives its number back and the numbers have no gaps: whoever
takes a number must do it as late as possible in its transaction, because every other transaction
that wants a number of the same name waits from that statement until the commit.

``next_reference`` takes the number where it is called. Intake, which is the busiest writer, uses
``placeholder`` and ``settle`` instead: its rows are written with a unique placeholder of the same
length as a reference, and ``settle`` takes the number at the very end and puts it in place of the
placeholder in every row that carries it, in one statement on PostgreSQL.
"""

import re
import secrets
from collections.abc import Iterable, Sequence
from typing import Any

from django.db import connection, transaction
from django.db.models import Field, Model
from django.utils import timezone

from .models import Counter

_TAKE = (
    "INSERT INTO {table} (name, year, value) VALUES (%s, %s, 1) "
    "ON CONFLICT (name, year) DO UPDATE SET value = {table}.value + 1 RETURNING value"
)


def _require_transaction() -> None:
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("A reference must be taken inside the transaction that uses it.")


def _field(model: type[Model] | Model, name: str) -> Field:
    found = model._meta.get_field(name)
    if not isinstance(found, Field):
        raise TypeError(f"{name} is not a column.")
    return found


def _format(prefix: str, year: int, value: int, digits: int) -> str:
    return f"{prefix}-{year}-{value:0{digits}d}"


_TYPED = re.compile(r"(?P<prefix>[A-Z]+)[\s./-]*(?P<year>\d{4})[\s./-]*(?P<number>\d{1,9})")


def typed(text: str, *, digits: int = 6) -> str:
    """A reference as people type it (« hs 2026 1 », « HS2026000001 », « HS-2026-1 ») in its own form
    (« HS-2026-000001 »); anything else comes back trimmed and upper-cased, to be found or not as it is."""
    cleaned = text.strip().upper()
    match = _TYPED.fullmatch(cleaned)
    if match is None or len(match["number"].lstrip("0")) > digits:
        return cleaned
    return _format(match["prefix"], int(match["year"]), int(match["number"]), digits)


def next_reference(name: str, prefix: str, *, digits: int = 6) -> str:
    """Take the next number now (one statement); the counter stays locked until the commit."""
    _require_transaction()
    year = timezone.localdate().year
    with connection.cursor() as cursor:
        cursor.execute(_TAKE.format(table=connection.ops.quote_name(Counter._meta.db_table)), [name, year])
        (value,) = cursor.fetchone()
    return _format(prefix, year, value, digits)


def placeholder(prefix: str, *, digits: int = 6) -> str:
    """A unique stand-in, as long as the reference it stands for (so that titles cut to their
    column's length are cut the same way), that no reference can be mistaken for."""
    length = len(_format(prefix, timezone.localdate().year, 0, digits))
    return "~" + secrets.token_hex(length)[: length - 1]


def settle(
    *,
    name: str,
    prefix: str,
    stand_in: str,
    owner: Model,
    field: str = "reference",
    texts: Iterable[tuple[type[Model], Sequence[str], Iterable[int]]] = (),
    digits: int = 6,
) -> str:
    """Take the next number and write its reference over ``stand_in``: in ``owner.field``, and in
    the text columns ``texts`` lists as (model, columns, primary keys), one entry per model. Call it last in the
    transaction: from here to the commit, intake of the same name waits.

    On PostgreSQL, one statement takes the number and rewrites every row, so no round trip of the
    application happens while the counter row is locked. Only quoted names from the models' metadata
    are written into the SQL; every value is a parameter. Elsewhere (SQLite, which has one writer
    at a time anyway) the same work is a few statements."""
    _require_transaction()
    year = timezone.localdate().year
    quote = connection.ops.quote_name
    counter_table = quote(Counter._meta.db_table)
    owner_table = quote(owner._meta.db_table)
    owner_column = quote(_field(owner, field).column)
    owner_pk = quote(owner._meta.pk.column)
    rewrites = [(model, list(columns), list(pks)) for model, columns, pks in texts]
    rewrites = [(model, columns, pks) for model, columns, pks in rewrites if pks]
    fmt = f"%s::text || '-' || %s::text || '-' || lpad(c.value::text, {int(digits)}, '0')"
    if connection.vendor == "postgresql":
        parts = [f"c AS ({_TAKE.format(table=counter_table)})"]
        params: list[Any] = [name, year]
        parts.append(f"r AS (SELECT {fmt} AS reference FROM c)")  # noqa: S608
        params += [prefix, str(year)]
        parts.append(
            f"o AS (UPDATE {owner_table} SET {owner_column} = r.reference FROM r "  # noqa: S608
            f"WHERE {owner_table}.{owner_pk} = %s RETURNING r.reference)"
        )
        params.append(owner.pk)
        for index, (model, columns, pks) in enumerate(rewrites):
            table, pk = quote(model._meta.db_table), quote(model._meta.pk.column)
            sets = []
            for column in columns:
                target = f"replace({table}.{quote(column)}::text, %s, r.reference)"
                if _field(model, column).get_internal_type() == "JSONField":
                    target = f"({target})::jsonb"
                sets.append(f"{quote(column)} = {target}")
                params.append(stand_in)
            # One UPDATE per table: PostgreSQL applies only one change to a row per statement.
            parts.append(f"t{index} AS (UPDATE {table} SET {', '.join(sets)} FROM r WHERE {table}.{pk} = ANY(%s))")  # noqa: S608
            params.append(pks)
        with connection.cursor() as cursor:
            cursor.execute("WITH " + ", ".join(parts) + " SELECT reference FROM o", params)  # noqa: S608
            (reference,) = cursor.fetchone()
    else:
        reference = next_reference(name, prefix, digits=digits)
        with connection.cursor() as cursor:
            sql = f"UPDATE {owner_table} SET {owner_column} = %s WHERE {owner_pk} = %s"  # noqa: S608
            cursor.execute(sql, [reference, owner.pk])
            for model, columns, pks in rewrites:
                table, pk = quote(model._meta.db_table), quote(model._meta.pk.column)
                assignments = ", ".join(f"{quote(column)} = replace({quote(column)}, %s, %s)" for column in columns)
                marks = ", ".join(["%s"] * len(pks))
                values: list[Any] = [value for _ in columns for value in (stand_in, reference)]
                cursor.execute(
                    f"UPDATE {table} SET {assignments} WHERE {pk} IN ({marks})",  # noqa: S608
                    values + pks,
                )
    setattr(owner, field, reference)
    return reference
