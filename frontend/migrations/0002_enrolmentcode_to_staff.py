# The enrolment code is staff's now (staff 0001). Only frontend's claim to it goes: the
# table frontend_enrolmentcode and its rows stay, and staff uses them.

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ("frontend", "0001_initial"),
        ("staff", "0001_initial"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[],
            state_operations=[migrations.DeleteModel(name="EnrolmentCode")],
        ),
    ]
