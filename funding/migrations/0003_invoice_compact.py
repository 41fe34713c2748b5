"""Invoices store their relationship's compact, so the 11.2 scan reads one compact's invoices through
partial indexes. Existing invoices take their relationship's compact."""

import django.db.models.deletion
from django.db import migrations, models

FILL_COMPACT = """
UPDATE funding_invoice SET compact_id = (
    SELECT r.compact_id FROM funding_fundingrelationship r WHERE r.id = funding_invoice.relationship_id
)
"""


class Migration(migrations.Migration):
    dependencies = [
        ("commitments", "0006_compliance_flags"),
        ("funding", "0002_decision_late_index"),
    ]

    operations = [
        migrations.AddField(
            model_name="invoice",
            name="compact",
            field=models.ForeignKey(
                editable=False,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="invoices",
                to="commitments.compact",
            ),
        ),
        # Elidable: it only fixes rows that already exist, so a squash (run on empty databases) leaves it out.
        migrations.RunSQL(FILL_COMPACT, reverse_sql=migrations.RunSQL.noop, elidable=True),
        migrations.AlterField(
            model_name="invoice",
            name="compact",
            field=models.ForeignKey(
                editable=False,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="invoices",
                to="commitments.compact",
            ),
        ),
        migrations.AddField(
            model_name="historicalinvoice",
            name="compact",
            field=models.ForeignKey(
                blank=True,
                db_constraint=False,
                editable=False,
                null=True,
                on_delete=django.db.models.deletion.DO_NOTHING,
                related_name="+",
                to="commitments.compact",
            ),
        ),
        migrations.AddIndex(
            model_name="invoice",
            index=models.Index(
                condition=models.Q(("paid_date__isnull", True)), fields=["compact", "pay_by"], name="invoice_unpaid"
            ),
        ),
        migrations.AddIndex(
            model_name="invoice",
            index=models.Index(
                condition=models.Q(("paid_date__gt", models.F("pay_by"))),
                fields=["compact", "pay_by"],
                name="invoice_paid_late",
            ),
        ),
        migrations.AddIndex(
            model_name="invoice",
            index=models.Index(fields=["compact", "paid_date"], name="funding_inv_compact_5dbd6a_idx"),
        ),
    ]
