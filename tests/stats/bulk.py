"""Many cases at once, written by the database itself (PostgreSQL ``generate_series``): the statistics at
scale. Every row goes through the project's tables with plain ``INSERT … SELECT``, so tens of thousands
of cases cost a few seconds, not the minutes the factories would take.

The population is deterministic (a function of the case number ``i``) and covers what the figures
read: cases over about 13 months (so the current school year and the one before), the four priorities,
milestones reached or not, a few negative delays (a milestone typed before the report), cases without
report, cases with two reports, merged cases, closures with and without a reopening, people cited in
one or several cases in the same role, follow-ups, held and cancelled meetings.

Django's field defaults are Python's, not the database's: a new column without NULL on one of these tables
must be given a value here (the tests at scale fail on the INSERT until it is).
"""

from __future__ import annotations

from datetime import datetime

from django.db import connection

# Each statement takes %(n)s (cases), %(now)s, %(schools)s (an array of school ids), %(actor)s (a membership id).
STATEMENTS = (
    # Cases: opened up to 400 days back; one in 11 has no school.
    """
    INSERT INTO cases_case (public_id, reference, state, priority, qualification, summary, opened_at,
        taken_in_charge_at, first_measure_at, cell_meeting_at, closed_at, closure_outcome,
        do_not_disclose_to_family, version, updated_at, school_id)
    SELECT gen_random_uuid(), 'HS-B-' || lpad(i::text, 7, '0'),
        CASE WHEN i %% 4 = 0 THEN 'closed' ELSE 'in_intervention' END,
        'P' || (1 + i %% 4), 'bullying', '', o.opened_at,
        CASE WHEN i %% 5 <> 0 THEN o.opened_at + make_interval(hours => i %% 50) END,
        CASE WHEN i %% 3 <> 0 THEN o.opened_at + make_interval(hours => (i %% 97) - 3) END,
        CASE WHEN i %% 7 = 0 THEN o.opened_at + make_interval(hours => i %% 200) END,
        CASE WHEN i %% 4 = 0 THEN o.opened_at + make_interval(days => i %% 60) END,
        CASE WHEN i %% 4 = 0 THEN (ARRAY['stopped', 'not_established', 'redirected'])[1 + i %% 3] ELSE '' END,
        false, 0, %(now)s,
        CASE WHEN i %% 11 = 0 THEN NULL ELSE (%(schools)s::bigint[])[1 + i %% cardinality(%(schools)s::bigint[])] END
    FROM generate_series(1, %(n)s) AS i,
        LATERAL (SELECT %(now)s::timestamptz - make_interval(hours => (i * 37) %% (24 * 400)) AS opened_at) AS o
    """,
    # Merged duplicates: one case in 53 is merged into the next one.
    """
    UPDATE cases_case AS c SET merged_into_id = t.id
    FROM cases_case AS t
    WHERE c.reference LIKE 'HS-B-%%'
      AND substr(c.reference, 6)::int %% 53 = 0
      AND t.reference = 'HS-B-' || lpad((substr(c.reference, 6)::int + 1)::text, 7, '0')
    """,
    # Reports: one per case but one in 13 (received up to 30 hours before the opening, or 2 hours after it
    # for one in 17: a negative delay), a second later one for one case in 6, and unattached reports.
    """
    INSERT INTO reports_report (public_id, reference, channel, received_at, status, reporter_kind,
        is_anonymous, reporter_name, reporter_email, reporter_phone, consent_to_contact, school_text, forms,
        platforms, since, frequency, places, description, distress_signs, immediate_danger, is_worrying, flags,
        faits_etablissement_id, parquet_number, stop_harcelement_id, crip_id, receipt_hash, receipt_key_id,
        flag_hits, proposed_priority, school_id, case_id)
    SELECT gen_random_uuid(), 'SIG-B-' || lpad(r.k::text, 8, '0'),
        (ARRAY['public_form', 'phone', 'email', 'school'])[1 + r.k %% 4], r.received_at, 'received',
        (ARRAY['victim', 'parent', 'witness', 'school_staff', 'other'])[1 + r.k %% 5],
        false, '', '', '', false, '',
        CASE WHEN r.k %% 3 = 0 THEN '["cyber", "verbal"]'::jsonb ELSE '["physical"]'::jsonb END,
        '[]', '', '', '[]', 'Récit.', '[]', false, false, '[]', '', '', '', '', '', '', '[]',
        'P' || (1 + r.k %% 4), r.school_id, r.case_id
    FROM (
        SELECT 2 * s.i AS k, c.id AS case_id, c.school_id,
            c.opened_at - make_interval(hours => CASE WHEN s.i %% 17 = 0 THEN -2 ELSE s.i %% 30 END) AS received_at
        FROM generate_series(1, %(n)s) AS s(i)
        JOIN cases_case AS c ON c.reference = 'HS-B-' || lpad(s.i::text, 7, '0')
        WHERE s.i %% 13 <> 0
        UNION ALL
        SELECT 2 * s.i + 1, c.id, c.school_id, c.opened_at + make_interval(hours => 5 + s.i %% 70)
        FROM generate_series(1, %(n)s) AS s(i)
        JOIN cases_case AS c ON c.reference = 'HS-B-' || lpad(s.i::text, 7, '0')
        WHERE s.i %% 6 = 0
        UNION ALL
        SELECT 2 * (%(n)s + s.i), NULL, (%(schools)s::bigint[])[1 + s.i %% cardinality(%(schools)s::bigint[])],
            %(now)s::timestamptz - make_interval(hours => (s.i * 53) %% (24 * 400))
        FROM generate_series(1, %(n)s / 10) AS s(i)
    ) AS r
    """,
    # People: victims cited in one case in general, a few in two; alleged authors often in several cases.
    """
    INSERT INTO cases_person (public_id, kind, last_name, first_name, class_name, email, phone, address,
        name_key, created_at)
    SELECT gen_random_uuid(), 'pupil', 'Bulk', 'Élève ' || i, '', '', '', '', 'bulk eleve ' || i, %(now)s
    FROM generate_series(1, %(n)s + %(n)s / 3 + 1) AS i
    """,
    """
    INSERT INTO cases_involvement (role, added_at, case_id, person_id)
    SELECT inv.role, %(now)s, c.id, p.id
    FROM generate_series(1, %(n)s) AS s(i)
    JOIN cases_case AS c ON c.reference = 'HS-B-' || lpad(s.i::text, 7, '0')
    CROSS JOIN LATERAL (VALUES
        ('victim', CASE WHEN s.i %% 9 = 0 THEN s.i - 1 ELSE s.i END),
        ('alleged_author', %(n)s + 1 + (s.i * 7) %% (%(n)s / 3 + 1))
    ) AS inv(role, person)
    JOIN cases_person AS p ON p.name_key = 'bulk eleve ' || inv.person
    WHERE inv.person >= 1
    ON CONFLICT DO NOTHING
    """,
    # Closures, and a reopening after 1 in 3 of them (within 6 months, 6 to 12 months, or later).
    """
    INSERT INTO cases_transition (name, from_state, to_state, reason, at, actor_id, case_id)
    SELECT 'close', 'in_intervention', 'closed', '', c.closed_at, %(actor)s, c.id
    FROM cases_case AS c WHERE c.reference LIKE 'HS-B-%%' AND c.closed_at IS NOT NULL
    UNION ALL
    SELECT 'reopen', 'closed', 'reopened', '', c.closed_at + make_interval(days => ((c.id %% 3) * 150 + 20)::int),
        %(actor)s, c.id
    FROM cases_case AS c WHERE c.reference LIKE 'HS-B-%%' AND c.closed_at IS NOT NULL AND c.id %% 3 = 0
    """,
    """
    INSERT INTO cases_followup (public_id, day, due_on, done_at, victim_view, decision, note, case_id)
    SELECT gen_random_uuid(), 30, (c.opened_at + interval '30 days')::date, c.opened_at + interval '31 days',
        (ARRAY['better', 'same', 'worse'])[1 + c.id %% 3], '', '', c.id
    FROM cases_case AS c WHERE c.reference LIKE 'HS-B-%%' AND c.id %% 2 = 0
    """,
    # A meeting every 4 days, one in 10 cancelled, each examining the cases opened in the days before it.
    """
    INSERT INTO meetings_meeting (public_id, title, starts_at, duration_minutes, place, status, sequence,
        created_at, cancelled_reason, organiser_id, mode)
    SELECT gen_random_uuid(), 'Cellule B' || d, %(now)s::timestamptz - make_interval(days => d),
        60, '', CASE WHEN d %% 40 = 0 THEN 'cancelled' ELSE 'held' END, 0, %(now)s, '', %(actor)s, 'in_person'
    FROM generate_series(0, 400, 4) AS d
    """,
    """
    INSERT INTO meetings_agendaitem (public_id, position, reason, minutes, case_id, meeting_id)
    SELECT gen_random_uuid(), 0, 'added', '', c.id, m.id
    FROM cases_case AS c
    JOIN meetings_meeting AS m ON m.title LIKE 'Cellule B%%'
        AND m.starts_at > c.opened_at AND m.starts_at <= c.opened_at + interval '4 days'
    WHERE c.reference LIKE 'HS-B-%%' AND c.id %% 5 = 0
    """,
)


def populate(n: int, *, now: datetime, school_ids: list[int], actor_id: int) -> None:
    """Write ``n`` cases and what hangs on them (PostgreSQL only)."""
    assert connection.vendor == "postgresql"
    params = {"n": n, "now": now, "schools": school_ids, "actor": actor_id}
    with connection.cursor() as cursor:
        for statement in STATEMENTS:
            cursor.execute(statement, params)
        cursor.execute("ANALYZE")
