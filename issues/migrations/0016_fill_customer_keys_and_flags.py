"""Fill the matching keys of existing customers, the repeat flag of existing issues and the at-risk flag.

Existing duplicates are not merged: a manager merges them from the customer's
page. The rules are those of issues.models (email_key, phone_key) and
issues.services.customers, written out here as they stand today: on
PostgreSQL as a few set-based statements (a million issues in seconds),
elsewhere row by row.
"""

import re
from collections import defaultdict
from datetime import timedelta

from django.db import migrations

PHONE_KEY_MIN_DIGITS = 6
REPEAT_DAYS = 90
AT_RISK_SCORE = 2
AT_RISK_DAYS = 365

# The same rules in SQL (6 digits, 90 days, a score of 2, 365 days: the constants above).
POSTGRES_SQL = [
    """
    UPDATE issues_customer SET
        email_key = lower(btrim(email)),
        phone_key = CASE
            WHEN length(regexp_replace(phone, '[^0-9]', '', 'g')) < 6 THEN ''
            WHEN btrim(phone) LIKE '+%%' THEN '+' || regexp_replace(phone, '[^0-9]', '', 'g')
            ELSE regexp_replace(phone, '[^0-9]', '', 'g')
        END
    WHERE email <> '' OR phone <> ''
    """,
    """
    UPDATE issues_hotissue h SET is_repeat = TRUE
    FROM (
        SELECT id, created_at - lag(created_at) OVER (PARTITION BY customer_id ORDER BY created_at, id) AS gap
        FROM issues_hotissue WHERE customer_id IS NOT NULL
    ) s
    WHERE h.id = s.id AND s.gap <= interval '90 days'
    """,
    """
    UPDATE issues_customer SET at_risk = TRUE
    WHERE id IN (SELECT customer_id FROM issues_hotissue WHERE level = 5 AND customer_id IS NOT NULL)
       OR id IN (
        SELECT customer_id FROM (
            SELECT customer_id,
                   satisfaction_at - lag(satisfaction_at) OVER (PARTITION BY customer_id ORDER BY satisfaction_at) AS gap
            FROM issues_hotissue
            WHERE customer_id IS NOT NULL AND satisfaction <= 2 AND satisfaction_at IS NOT NULL
        ) low WHERE gap <= interval '365 days'
    )
    """,
]


def _phone_key(phone: str) -> str:
    text = (phone or "").strip()
    digits = re.sub(r"[^0-9]", "", text)
    if len(digits) < PHONE_KEY_MIN_DIGITS:
        return ""
    return f"+{digits}" if text.startswith("+") else digits


def fill(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        with schema_editor.connection.cursor() as cursor:
            for sql in POSTGRES_SQL:
                cursor.execute(sql)
        return
    Customer = apps.get_model("issues", "Customer")
    HotIssue = apps.get_model("issues", "HotIssue")
    changed = []
    for customer in Customer.objects.exclude(email="", phone="").only("email", "phone").iterator():
        customer.email_key = (customer.email or "").strip().lower()
        customer.phone_key = _phone_key(customer.phone)
        changed.append(customer)
    Customer.objects.bulk_update(changed, ["email_key", "phone_key"], batch_size=500)
    issues = defaultdict(list)
    rows = HotIssue.objects.exclude(customer=None).values_list(
        "customer_id", "id", "created_at", "level", "satisfaction", "satisfaction_at"
    )
    for customer_id, *row in rows:
        issues[customer_id].append(row)
    repeats, risky = [], []
    for customer_id, found in issues.items():
        found.sort(key=lambda row: (row[1], row[0]))
        for before, after in zip(found, found[1:], strict=False):
            if after[1] - before[1] <= timedelta(days=REPEAT_DAYS):
                repeats.append(after[0])
        low = sorted(row[4] for row in found if row[3] is not None and row[3] <= AT_RISK_SCORE and row[4])
        if any(row[2] == 5 for row in found) or any(
            b - a <= timedelta(days=AT_RISK_DAYS) for a, b in zip(low, low[1:], strict=False)
        ):
            risky.append(customer_id)
    HotIssue.objects.filter(pk__in=repeats).update(is_repeat=True)
    Customer.objects.filter(pk__in=risky).update(at_risk=True)


class Migration(migrations.Migration):
    dependencies = [("issues", "0015_customer_matching_and_merges")]

    operations = [migrations.RunPython(fill, migrations.RunPython.noop, elidable=True)]
