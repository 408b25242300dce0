"""SQL helpers of the statistics: durations in seconds, and medians / percentiles computed by the database.

Percentiles
-----------
On PostgreSQL, medians and 90th percentiles are computed by the database with the ordered-set
aggregate ``percentile_cont`` (linear interpolation between the two nearest values), all delays of a
table in **one** query: the ORM builds one row per case (its start and milestones, each computed
once), held in a ``MATERIALIZED`` common table expression, and ``percentile_cont`` runs over it. The
per-case query is a grouped join (a case's first report is ``MIN(received_at)`` of its reports), never a
correlated subquery: inlined into a dozen aggregates, one such subquery ran a dozen times per case.

SQLite has no percentile function. There, each delay costs one query that returns the case
durations already sorted by the database, and :func:`percentile` interpolates exactly as
``percentile_cont`` does, so both backends give the same figures. SQLite is the embedded development
database; production runs PostgreSQL (``docs/architecture.md``), where no case row reaches Python.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from django.db import connections
from django.db.models import DurationField, ExpressionWrapper, F, FloatField, Func, QuerySet


class Seconds(Func):
    """A duration expression as a number of seconds (float), the same on every backend."""

    # Backends without an interval type (SQLite) compute datetime differences in microseconds.
    template = "((%(expressions)s) / 1000000.0)"
    output_field = FloatField()
    arity = 1

    def as_postgresql(self, compiler, connection, **extra_context):
        template = "EXTRACT(EPOCH FROM (%(expressions)s))::double precision"
        return super().as_sql(compiler, connection, template=template, **extra_context)


def percentile(values: Sequence[float], fraction: float) -> float | None:
    """The percentile of sorted values, by linear interpolation (PostgreSQL's ``percentile_cont``)."""
    if not values:
        return None
    position = fraction * (len(values) - 1)
    lower = math.floor(position)
    upper = min(lower + 1, len(values) - 1)
    return values[lower] + (values[upper] - values[lower]) * (position - lower)


@dataclass(frozen=True)
class Spread:
    """How one delay is spread: over ``n`` cases, its median and 90th percentile in seconds."""

    n: int
    median: float | None
    p90: float | None


def spreads(per_case: QuerySet, durations: dict[str, tuple[str, str]]) -> dict[str, Spread]:
    """Median and 90th percentile of durations between two datetime columns of ``per_case``.

    ``durations`` maps a name to ``(end, start)`` field or annotation names; a NULL end (a milestone
    not reached yet) is left out, and so are negative durations (a milestone dated before the report,
    a typing error). One query on PostgreSQL, where each column of ``per_case`` (an aggregate over a
    join, say) is computed once per case; one query per duration elsewhere (see module doc).
    """
    connection = connections[per_case.db]
    if connection.vendor == "postgresql":
        fields = sorted({field for pair in durations.values() for field in pair})
        inner_sql, params = per_case.values(*fields).query.get_compiler(using=per_case.db).as_sql()
        selects = []
        for end, start in durations.values():
            seconds = (
                f"EXTRACT(EPOCH FROM ({connection.ops.quote_name(end)} - {connection.ops.quote_name(start)}))"
                "::double precision"
            )
            kept = f"FILTER (WHERE {seconds} >= 0)"
            selects += [
                f"COUNT({seconds}) {kept}",
                f"percentile_cont(0.5) WITHIN GROUP (ORDER BY {seconds}) {kept}",
                f"percentile_cont(0.9) WITHIN GROUP (ORDER BY {seconds}) {kept}",
            ]
        # MATERIALIZED: the rows of ``per_case`` are computed once, whatever the planner would inline.
        sql = f"WITH per_case AS MATERIALIZED ({inner_sql}) SELECT {', '.join(selects)} FROM per_case"  # noqa: S608
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            row = cursor.fetchone()
        return {
            name: Spread(n=row[3 * i], median=row[3 * i + 1], p90=row[3 * i + 2]) for i, name in enumerate(durations)
        }
    result = {}
    for name, (end, start) in durations.items():
        duration = Seconds(ExpressionWrapper(F(end) - F(start), output_field=DurationField()))
        values = list(
            per_case.annotate(seconds=duration)
            .filter(seconds__gte=0)
            .order_by("seconds")
            .values_list("seconds", flat=True)
        )
        result[name] = Spread(n=len(values), median=percentile(values, 0.5), p90=percentile(values, 0.9))
    return result
