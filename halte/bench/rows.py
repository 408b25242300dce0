"""Rows written with PostgreSQL's ``COPY``: how the loader writes millions of rows in minutes.

Building a Django model instance and compiling its ``INSERT`` costs tens of microseconds a row, which
is most of an hour at a million cases. Here a row is a plain ``dict`` of attribute names (``school_id``,
not ``school``); a column it leaves out gets the model's default exactly as a new instance would get
it (``Field.get_default``: a fresh UUID, the current time, an empty string, ``None``), ``auto_now``
columns the current time, so the rows are those the application itself would write. A JSON column
takes a Python value, or a ``str`` already serialised (the loader serialises repeated values once). Row-level
triggers fire on ``COPY`` as on ``INSERT`` (the journal's hash chain links every row).

Ids come from the table's own sequence, reserved in one statement before the rows are written, so
rows of one batch point at each other (a report at its case) without reading anything back.
"""

import copy
import json as jsonlib
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.db import connection, models
from django.utils import timezone
from psycopg import sql
from psycopg.types.json import Jsonb

_MISSING = object()
_NOW = object()


class _Constant:
    """A default that is not callable, asked like a callable one (a fresh copy of a mutable default)."""

    def __init__(self, value: Any):
        self.value = value

    def __call__(self) -> Any:
        return copy.copy(self.value)


@dataclass
class _Shape:
    base: list[Any]
    fresh: list[tuple[int, Any, bool]]
    taken: list[tuple[int, str, bool]]


class Table:
    """One model's table: its columns in order, and how to fill those a row leaves out."""

    def __init__(self, model: type[models.Model]):
        meta = model._meta
        self.model = model
        self.name = meta.db_table
        self.pk = meta.pk
        self.fields = list(meta.concrete_fields)
        self.columns = [field.column for field in self.fields]
        json = {field.attname for field in self.fields if isinstance(field, models.JSONField)}
        # Per column: its name, whether it is JSON, and how to fill it when a row leaves it out.
        self._plan = [(field.attname, field.attname in json, self._filler(field)) for field in self.fields]
        self._sequence: str | None = None
        self._after: int | None = None
        self.written = 0

    def ids(self, count: int) -> range:
        """Reserve `count` consecutive ids from the table's sequence (the loader is alone on its database)."""
        if count <= 0:
            return range(0)
        if connection.vendor != "postgresql":
            return self._next_ids(count)
        with connection.cursor() as cursor:
            if self._sequence is None:
                cursor.execute("SELECT pg_get_serial_sequence(%s, %s)", [self.name, self.pk.column])
                self._sequence = cursor.fetchone()[0]
            cursor.execute("SELECT setval(%s, nextval(%s) + %s - 1)", [self._sequence, self._sequence, count])
            last = cursor.fetchone()[0]
        return range(last - count + 1, last + 1)

    @staticmethod
    def _filler(field: models.Field):
        """``_NOW`` for auto_now columns, a callable for callable defaults, else the default itself."""
        if getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False):
            return _NOW
        if field.has_default() and callable(field.default):
            return field.default
        return _Constant(field.get_default())

    def _shape(self, keys: tuple[str, ...], now) -> "_Shape":
        """How to turn a row with these keys into the table's columns: the loader writes thousands of
        rows with the same keys, so what is missing is worked out once per batch, not once per row."""
        given = set(keys)
        base: list[Any] = []
        fresh: list[tuple[int, Any, bool]] = []  # columns left out whose default is new for every row
        taken: list[tuple[int, str, bool]] = []  # columns the row gives: position, key, JSON
        for position, (name, json, filler) in enumerate(self._plan):
            if name in given:
                taken.append((position, name, json))
                base.append(None)
            elif filler is _NOW:
                base.append(now)
            elif (
                not json
                and isinstance(filler, _Constant)
                and isinstance(filler.value, str | int | float | bool | type(None))
            ):
                base.append(filler.value)
            else:
                base.append(None)
                fresh.append((position, filler, json))
        return _Shape(base, fresh, taken)

    def _values(self, row: dict[str, Any], shape: "_Shape") -> list[Any]:
        values = shape.base.copy()
        for position, filler, json in shape.fresh:
            value = filler()
            values[position] = Jsonb(value) if json and value is not None else value
        for position, key, json in shape.taken:
            value = row[key]
            if json and value is not None and not isinstance(value, str):
                value = Jsonb(value)
            values[position] = value
        return values

    def _next_ids(self, count: int) -> range:
        """Elsewhere than PostgreSQL (the loader's tests on SQLite): ids after the largest one."""
        if self._after is None:
            with connection.cursor() as cursor:
                cursor.execute(
                    sql_max.format(
                        column=connection.ops.quote_name(self.pk.column), table=connection.ops.quote_name(self.name)
                    )
                )
                self._after = cursor.fetchone()[0] or 0
        start = self._after + 1
        self._after += count
        return range(start, start + count)

    def write(self, rows: Iterable[dict[str, Any]]) -> int:
        """COPY the rows (each with its ``id``, from :meth:`ids`) into the table; returns how many.
        Elsewhere than PostgreSQL, the same rows through ``bulk_create``."""
        if connection.vendor != "postgresql":
            return self._bulk_create(rows)
        statement = sql.SQL("COPY {} ({}) FROM STDIN").format(
            sql.Identifier(self.name), sql.SQL(", ").join(sql.Identifier(c) for c in self.columns)
        )
        now = timezone.now()
        shapes: dict[tuple[str, ...], _Shape] = {}
        count = 0
        with connection.cursor() as cursor, cursor.cursor.copy(statement) as copy:
            for row in rows:
                keys = tuple(row)
                shape = shapes.get(keys) or shapes.setdefault(keys, self._shape(keys, now))
                copy.write_row(self._values(row, shape))
                count += 1
        self.written += count
        return count

    def _bulk_create(self, rows: Iterable[dict[str, Any]]) -> int:
        json = {name for name, is_json, _filler in self._plan if is_json}
        objects = [
            self.model(**{k: jsonlib.loads(v) if k in json and isinstance(v, str) else v for k, v in row.items()})
            for row in rows
        ]
        self.model._default_manager.bulk_create(objects, batch_size=5_000)
        self.written += len(objects)
        return len(objects)


sql_max = "SELECT MAX({column}) FROM {table}"


class Tables:
    """The loader's tables, one :class:`Table` per model, created on first use."""

    def __init__(self) -> None:
        self._tables: dict[type[models.Model], Table] = {}

    def __getitem__(self, model: type[models.Model]) -> Table:
        if model not in self._tables:
            self._tables[model] = Table(model)
        return self._tables[model]

    def counts(self) -> dict[str, int]:
        return {table.model._meta.model_name or table.name: table.written for table in self._tables.values()}
