# The concern form's one-time key moves to compact_portal's SubmissionKey, which every form that creates a record
# now uses: each concern's key is copied there (so a form sent before the move, sent again, still finds its
# concern), then the concern's own column goes.

from django.db import migrations


def copy_keys(apps, schema_editor):
    Concern = apps.get_model("disputes", "Concern")
    SubmissionKey = apps.get_model("compact_portal", "SubmissionKey")
    ContentType = apps.get_model("contenttypes", "ContentType")
    concerns = Concern.objects.exclude(submission_key=None).values_list("pk", "submission_key", "raised_by_id")
    if not concerns.exists():
        return
    content_type, _ = ContentType.objects.get_or_create(app_label="disputes", model="concern")
    SubmissionKey.objects.bulk_create(
        [
            SubmissionKey(key=key, content_type=content_type, object_id=pk, created_by_id=raised_by)
            for pk, key, raised_by in concerns.iterator()
        ],
        ignore_conflicts=True,
    )


def copy_keys_back(apps, schema_editor):
    Concern = apps.get_model("disputes", "Concern")
    SubmissionKey = apps.get_model("compact_portal", "SubmissionKey")
    for key, pk in SubmissionKey.objects.filter(
        content_type__app_label="disputes", content_type__model="concern"
    ).values_list("key", "object_id"):
        Concern.objects.filter(pk=pk).update(submission_key=key)


class Migration(migrations.Migration):
    dependencies = [
        ("disputes", "0004_concern_submission_key"),
        ("compact_portal", "0001_initial"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [
        # Elidable: it only fixes rows that already exist, so a squash (run on empty databases) leaves it out.
        migrations.RunPython(copy_keys, copy_keys_back, elidable=True),
        migrations.RemoveField(model_name="concern", name="submission_key"),
        migrations.RemoveField(model_name="historicalconcern", name="submission_key"),
    ]
