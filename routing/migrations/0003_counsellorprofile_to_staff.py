# The counsellor profile is staff's now (staff 0001). Only routing's claim to it goes:
# the table routing_counsellorprofile and its rows stay, and staff uses them.

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ("routing", "0002_phone"),
        ("staff", "0001_initial"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[],
            state_operations=[migrations.DeleteModel(name="CounsellorProfile")],
        ),
    ]
