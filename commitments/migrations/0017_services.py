"""The kinds of service organisations can say they offer, so the directory can be filtered by them."""

from django.db import migrations
from django.utils.text import slugify

SERVICES = [
    "Advice and information", "Advocacy", "Arts and culture", "Befriending", "Community development",
    "Counselling and mental health support", "Education and training", "Employment and skills", "Environment",
    "Faith-based support", "Food support", "Health and social care", "Housing and homelessness",
    "Infrastructure support for groups", "Sport and physical activity", "Transport", "Volunteering",
    "Youth work",
]


def add_services(apps, schema_editor):
    Service = apps.get_model("commitments", "Service")
    for name in SERVICES:
        Service.objects.get_or_create(slug=slugify(name), defaults={"name": name})


class Migration(migrations.Migration):
    dependencies = [("commitments", "0016_monitoring_and_directory_entries")]
    operations = [migrations.RunPython(add_services, migrations.RunPython.noop)]
