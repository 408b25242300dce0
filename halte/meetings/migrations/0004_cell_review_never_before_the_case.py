"""A case's « examen en cellule » milestone was set to the start of a meeting recorded after the fact even
when that meeting began before the case was opened (a negative delay in its clocks and the statistics).
Such a milestone becomes the first meeting with minutes on the case that began once it was opened, or
nothing: the clock runs again, as it should."""

from django.db import migrations
from django.db.models import F, Min


def move_early_reviews(apps, schema_editor):
    Case = apps.get_model("cases", "Case")
    AgendaItem = apps.get_model("meetings", "AgendaItem")
    for case in Case.objects.filter(cell_meeting_at__lt=F("opened_at")).only("pk", "opened_at").iterator():
        first = AgendaItem.objects.filter(
            case_id=case.pk, minutes_at__isnull=False, meeting__starts_at__gte=case.opened_at
        ).aggregate(first=Min("meeting__starts_at"))["first"]
        Case.objects.filter(pk=case.pk).update(cell_meeting_at=first)


class Migration(migrations.Migration):
    dependencies = [
        ("cases", "0013_deadline_indexes"),
        ("meetings", "0003_attendance_words_about_the_person"),
    ]

    operations = [migrations.RunPython(move_early_reviews, migrations.RunPython.noop, elidable=False)]
