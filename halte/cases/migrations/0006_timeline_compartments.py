"""Put the timeline lines written before the access policy decided their compartment where they belong.

Shares and generated documents were written in the core compartment whatever they revealed: a school
read « Partagé avec la police … (article 40 du code de procédure pénale) ». Each such line now goes to
the most restricted compartment of what it reveals (the rules of ``access.timeline``, frozen here as
they were when this was written); a line whose share or document cannot be found goes to the judicial
compartment (refusing is safer than guessing). The critical alert said « … et au parquet » in the core:
the core line now says « à la coordination », and a judicial line says the parquet was told.
Lines only ever move to a more restricted compartment.
"""

from django.db import migrations

CORE, HEALTH, JUDICIAL = "core", "health", "judicial"
ORDER = (JUDICIAL, HEALTH, CORE)
LEGAL_BASIS = {"art40": JUDICIAL, "ip": HEALTH, "secret_partage": HEALTH, "convention": CORE}
ORGANISATION = {"parquet": JUDICIAL, "police": JUDICIAL, "gendarmerie": JUDICIAL, "departement": HEALTH}
DOCUMENT_KIND = {"art40": JUDICIAL, "ip": HEALTH}
OLD_ALERT = "Alerte critique envoyée à la coordination et au parquet."
NEW_ALERT = "Alerte critique envoyée à la coordination."
PARQUET_ALERT = "Alerte critique transmise aux magistrats du parquet."


def most_restricted(revealed) -> str:
    for compartment in ORDER:
        if compartment in revealed:
            return compartment
    return CORE


def share_compartment(share) -> str:
    return most_restricted(
        {
            *share.compartments,
            LEGAL_BASIS.get(share.legal_basis, JUDICIAL),
            ORGANISATION.get(share.organisation.kind, CORE),
        }
    )


def stricter(current: str, decided: str) -> str:
    return most_restricted({current, decided})


def place(apps, schema_editor):
    Event = apps.get_model("cases", "Event")
    Share = apps.get_model("cases", "Share")
    Document = apps.get_model("documents", "Document")
    for event in Event.objects.filter(kind__in=["shared", "share_revoked"]):
        shares = [
            s for s in Share.objects.filter(case_id=event.case_id).select_related("organisation") if s.organisation.name
        ]
        named = [s for s in shares if s.organisation.name in event.text]
        decided = most_restricted({share_compartment(s) for s in named}) if named else JUDICIAL
        moved = stricter(event.compartment, decided)
        if moved != event.compartment:
            Event.objects.filter(pk=event.pk).update(compartment=moved)
    for event in Event.objects.filter(kind="document_generated"):
        documents = list(Document.objects.filter(case_id=event.case_id, generated_at=event.at))
        if documents:
            decided = most_restricted(
                {c for d in documents for c in (*d.compartments, DOCUMENT_KIND.get(d.kind, CORE))}
            )
        else:
            decided = JUDICIAL
        moved = stricter(event.compartment, decided)
        if moved != event.compartment:
            Event.objects.filter(pk=event.pk).update(compartment=moved)
    for event in Event.objects.filter(kind="critical_alert", text=OLD_ALERT):
        Event.objects.filter(pk=event.pk).update(text=NEW_ALERT)
        Event.objects.create(
            case_id=event.case_id,
            kind="critical_alert_parquet",
            compartment=JUDICIAL,
            text=PARQUET_ALERT,
            actor_id=event.actor_id,
            at=event.at,
        )


class Migration(migrations.Migration):
    dependencies = [
        ("cases", "0005_event_kinds"),
        ("documents", "0002_statistics_indexes"),
    ]

    operations = [migrations.RunPython(place, migrations.RunPython.noop)]
