from django.db import migrations
from django.utils.text import slugify

# The subjects local consultations are usually about; administrators can add more in the admin.
POLICY_AREAS = [
    "Adult social care",
    "Children and young people",
    "Community safety",
    "Culture, leisure and sport",
    "Economy, skills and employment",
    "Environment and climate",
    "Equalities and inclusion",
    "Health and wellbeing",
    "Housing and homelessness",
    "Planning and regeneration",
    "Council budget and funding",
    "Transport",
    "Voluntary and community sector",
]


def add_policy_areas(apps, schema_editor):
    PolicyArea = apps.get_model("consultations", "PolicyArea")
    for name in POLICY_AREAS:
        PolicyArea.objects.get_or_create(slug=slugify(name), defaults={"name": name})


class Migration(migrations.Migration):
    dependencies = [("consultations", "0001_initial")]

    operations = [migrations.RunPython(add_policy_areas, migrations.RunPython.noop)]
