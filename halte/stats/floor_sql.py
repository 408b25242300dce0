"""A few steering figures written by hand in PostgreSQL, independently of :mod:`halte.stats.figures`.

Two uses: the tests check that the figures of the dashboard equal these (the ORM's queries and these
share no code), and a benchmark compares the dashboard's cost with these, the floor of what the same
figures cost on the same database. Whole territory, no filter but the period; raw figures, before
disclosure control (:mod:`halte.stats.suppression`), which these functions never bypass for a reader:
nothing here is shown on a page.

Each function runs one query and returns plain numbers. PostgreSQL only (``percentile_cont``).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db import connection

PRIORITIES = """
SELECT c.priority, COUNT(*)
FROM cases_case AS c
WHERE c.merged_into_id IS NULL AND c.opened_at >= %(starts_at)s AND c.opened_at < %(ends_at)s
GROUP BY c.priority
"""

# Delays from the first report's reception (else the opening) to each milestone, in seconds.
DELAYS = """
WITH chosen AS MATERIALIZED (
    SELECT c.id, c.opened_at, c.taken_in_charge_at, c.first_measure_at, c.cell_meeting_at, c.closed_at
    FROM cases_case AS c
    WHERE c.merged_into_id IS NULL AND c.opened_at >= %(starts_at)s AND c.opened_at < %(ends_at)s
),
first_report AS MATERIALIZED (
    SELECT r.case_id, MIN(r.received_at) AS received_at
    FROM reports_report AS r
    WHERE r.case_id IN (SELECT id FROM chosen)
    GROUP BY r.case_id
),
seconds AS MATERIALIZED (
    SELECT
        EXTRACT(EPOCH FROM ch.taken_in_charge_at - s.start_at)::double precision AS take_charge,
        EXTRACT(EPOCH FROM ch.first_measure_at - s.start_at)::double precision AS first_measure,
        EXTRACT(EPOCH FROM ch.cell_meeting_at - s.start_at)::double precision AS cell_meeting,
        EXTRACT(EPOCH FROM ch.closed_at - s.start_at)::double precision AS closure
    FROM chosen AS ch
    LEFT JOIN first_report AS fr ON fr.case_id = ch.id
    CROSS JOIN LATERAL (SELECT COALESCE(fr.received_at, ch.opened_at) AS start_at) AS s
)
SELECT
    COUNT(*) FILTER (WHERE take_charge >= 0),
    percentile_cont(0.5) WITHIN GROUP (ORDER BY take_charge) FILTER (WHERE take_charge >= 0),
    percentile_cont(0.9) WITHIN GROUP (ORDER BY take_charge) FILTER (WHERE take_charge >= 0),
    COUNT(*) FILTER (WHERE first_measure >= 0),
    percentile_cont(0.5) WITHIN GROUP (ORDER BY first_measure) FILTER (WHERE first_measure >= 0),
    percentile_cont(0.9) WITHIN GROUP (ORDER BY first_measure) FILTER (WHERE first_measure >= 0),
    COUNT(*) FILTER (WHERE cell_meeting >= 0),
    percentile_cont(0.5) WITHIN GROUP (ORDER BY cell_meeting) FILTER (WHERE cell_meeting >= 0),
    percentile_cont(0.9) WITHIN GROUP (ORDER BY cell_meeting) FILTER (WHERE cell_meeting >= 0),
    COUNT(*) FILTER (WHERE closure >= 0),
    percentile_cont(0.5) WITHIN GROUP (ORDER BY closure) FILTER (WHERE closure >= 0),
    percentile_cont(0.9) WITHIN GROUP (ORDER BY closure) FILTER (WHERE closure >= 0)
FROM seconds
"""
DELAY_STEPS = ("take_charge", "first_measure", "cell_meeting", "closure")

# People cited (as alleged author, as victim) in a case opened in the period, and how many of them are
# cited in the same role in at least two unmerged cases, whenever opened.
REPEATED_PEOPLE = """
WITH cited AS MATERIALIZED (
    SELECT DISTINCT i.person_id, i.role
    FROM cases_involvement AS i
    JOIN cases_case AS c ON c.id = i.case_id
    WHERE c.merged_into_id IS NULL AND c.opened_at >= %(starts_at)s AND c.opened_at < %(ends_at)s
      AND i.role IN ('alleged_author', 'victim')
),
per_person AS MATERIALIZED (
    SELECT cited.person_id, cited.role, COUNT(DISTINCT i.case_id) AS cases
    FROM cited
    JOIN cases_involvement AS i ON i.person_id = cited.person_id AND i.role = cited.role
    JOIN cases_case AS c ON c.id = i.case_id AND c.merged_into_id IS NULL
    GROUP BY cited.person_id, cited.role
)
SELECT role, COUNT(*), COUNT(*) FILTER (WHERE cases >= 2)
FROM per_person
GROUP BY role
"""

# Closings of the period old enough to be observed over a window, and those followed by a reopening
# of the same case within it.
REOPENINGS = """
WITH closings AS MATERIALIZED (
    SELECT t.id, t.case_id, t.at
    FROM cases_transition AS t
    JOIN cases_case AS c ON c.id = t.case_id
    WHERE t.name = 'close' AND t.at >= %(starts_at)s AND t.at < %(ends_at)s AND c.merged_into_id IS NULL
),
next_reopening AS MATERIALIZED (
    SELECT cl.id, MIN(r.at) AS at
    FROM closings AS cl
    JOIN cases_transition AS r ON r.case_id = cl.case_id AND r.name = 'reopen' AND r.at > cl.at
    GROUP BY cl.id
)
SELECT
    COUNT(*) FILTER (WHERE cl.at <= %(now)s - %(short)s),
    COUNT(*) FILTER (WHERE cl.at <= %(now)s - %(short)s AND nr.at - cl.at <= %(short)s),
    COUNT(*) FILTER (WHERE cl.at <= %(now)s - %(long)s),
    COUNT(*) FILTER (WHERE cl.at <= %(now)s - %(long)s AND nr.at - cl.at <= %(long)s)
FROM closings AS cl
LEFT JOIN next_reopening AS nr ON nr.id = cl.id
"""


def _run(sql: str, params: dict) -> list[tuple]:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def priorities(starts_at: datetime, ends_at: datetime) -> dict[str, int]:
    """Cases opened in the period, by priority."""
    return dict(_run(PRIORITIES, {"starts_at": starts_at, "ends_at": ends_at}))


def delays(starts_at: datetime, ends_at: datetime) -> dict[str, tuple[int, float | None, float | None]]:
    """Per step: (cases, median, 90th percentile), in seconds."""
    (row,) = _run(DELAYS, {"starts_at": starts_at, "ends_at": ends_at})
    return {step: (row[3 * i], row[3 * i + 1], row[3 * i + 2]) for i, step in enumerate(DELAY_STEPS)}


def repeated_people(starts_at: datetime, ends_at: datetime) -> dict[str, tuple[int, int]]:
    """Per role: (people cited, cited in at least two cases)."""
    found = {role: (people, repeated) for role, people, repeated in _run(REPEATED_PEOPLE, locals())}
    return {role: found.get(role, (0, 0)) for role in ("alleged_author", "victim")}


def reopenings(
    starts_at: datetime, ends_at: datetime, now: datetime, windows: tuple[timedelta, timedelta]
) -> tuple[int, int, int, int]:
    """(closings observable over the short window, reopened within it, the same for the long window)."""
    short, long = windows
    params = {"starts_at": starts_at, "ends_at": ends_at, "now": now, "short": short, "long": long}
    (row,) = _run(REOPENINGS, params)
    closed_short, reopened_short, closed_long, reopened_long = row
    return closed_short, reopened_short, closed_long, reopened_long
