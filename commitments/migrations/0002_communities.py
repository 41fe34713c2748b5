"""The communities organisations can say they serve.

The nine protected characteristics of the Equality Act 2010 are marked, because commitment 19.5
(Portsmouth) asks for a reallocation assessment when a strategic grant to an organisation serving
people with one of them is withdrawn.
"""

from django.db import migrations
from django.utils.text import slugify

PROTECTED = [
    "Age", "Disability", "Gender reassignment", "Marriage and civil partnership", "Pregnancy and maternity",
    "Race", "Religion or belief", "Sex", "Sexual orientation",
]
OTHER = [
    "Carers", "Children and young people", "Older people", "Families", "Homeless people", "Refugees and asylum seekers",
    "People on low incomes", "People with mental health needs", "Rural communities", "Veterans", "Volunteers",
]


def add_communities(apps, schema_editor):
    Community = apps.get_model("commitments", "Community")
    for names, protected in ((PROTECTED, True), (OTHER, False)):
        for name in names:
            Community.objects.get_or_create(
                slug=slugify(name), defaults={"name": name, "protected_characteristic": protected}
            )


class Migration(migrations.Migration):
    dependencies = [("commitments", "0001_initial")]
    operations = [migrations.RunPython(add_communities, migrations.RunPython.noop)]
