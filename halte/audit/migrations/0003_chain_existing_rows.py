"""Chain the rows written before the chain existed: by day of their date (UTC), in order of date and id.

Their `digest` column stays empty (the append-only guard forbids filling it); `verify_journal`
recomputes every digest from the fields anyway, so these rows are checked like the others.
"""

from datetime import UTC

from django.db import migrations

from halte.audit import chain

BATCH = 2000


def chain_existing_rows(apps, schema_editor):
    AuditEvent = apps.get_model("audit", "AuditEvent")
    ChainLink = apps.get_model("audit", "ChainLink")
    heads: dict = {}
    batch = []
    rows = AuditEvent.objects.order_by("at", "id").values_list(
        "id", "at", "actor_id", "membership_id", "action", "target_type", "target_id", "target_label", "detail"
    )
    for row_id, at, actor_id, membership_id, action, target_type, target_id, target_label, detail in rows.iterator(
        chunk_size=BATCH
    ):
        day = at.astimezone(UTC).date()
        seq, previous = heads.get(day, (0, chain.genesis(day)))
        row_digest = chain.digest(
            at=at,
            actor_id=actor_id,
            membership_id=membership_id,
            action=action,
            target_type=target_type,
            target_id=target_id,
            target_label=target_label,
            detail=detail,
        )
        link = chain.step(previous, row_digest, row_id)
        heads[day] = (seq + 1, link)
        batch.append(ChainLink(event_id=row_id, day=day, seq=seq + 1, hash=link))
        if len(batch) >= BATCH:
            ChainLink.objects.bulk_create(batch)
            batch = []
    ChainLink.objects.bulk_create(batch)


class Migration(migrations.Migration):
    dependencies = [("audit", "0002_chain_links_and_row_digests")]

    operations = [migrations.RunPython(chain_existing_rows, migrations.RunPython.noop, elidable=False)]
