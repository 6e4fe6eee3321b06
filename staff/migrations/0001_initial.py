# The counsellor profile (from routing/) and the enrolment code (from frontend/) become
# staff's. Their tables stay where they are (Meta.db_table), so this only records in
# Django's migration state that staff now owns them: nothing is created, copied or
# renamed in the database. routing 0003 and frontend 0002 then drop the old apps' claim.

import django.core.validators
import django.db.models.deletion
import staff.models
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    initial = True

    dependencies = [
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
        # The tables must exist (on a fresh install) before staff claims them.
        ("routing", "0002_phone"),
        ("frontend", "0001_initial"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[],
            state_operations=[
                migrations.CreateModel(
                    name='CounsellorProfile',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('display_name', models.CharField(help_text='A first name or a pseudonym. Visitors never see the account name.', max_length=40, verbose_name='name shown to visitors')),
                        ('languages', models.JSONField(default=staff.models.default_languages, validators=[staff.models.validate_languages], verbose_name='languages')),
                        ('skills', models.JSONField(blank=True, default=list, validators=[staff.models.validate_skills], verbose_name='skills')),
                        ('takes_calls', models.BooleanField(default=False, help_text='Phone contacts are offered only to counsellors who do.', verbose_name='takes phone calls')),
                        ('work_phone', models.CharField(blank=True, help_text='Calls are connected to this number. Callers never see it, and it never sees theirs.', max_length=20, validators=[django.core.validators.RegexValidator('^\\+[1-9]\\d{6,14}$', 'A number in international form, e.g. +4618123456.')], verbose_name='work phone')),
                        ('max_chats', models.PositiveSmallIntegerField(default=2, help_text='How many conversations at once, 1–6.', verbose_name='chats at the same time')),
                        ('user', models.OneToOneField(on_delete=django.db.models.deletion.CASCADE, related_name='counsellor', to=settings.AUTH_USER_MODEL)),
                    ],
                    options={
                        'verbose_name': 'counsellor profile',
                        'verbose_name_plural': 'counsellor profiles',
                        'db_table': 'routing_counsellorprofile',
                    },
                ),
                migrations.CreateModel(
                    name='EnrolmentCode',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('digest', models.CharField(max_length=64)),
                        ('expires', models.DateTimeField()),
                        ('user', models.OneToOneField(on_delete=django.db.models.deletion.CASCADE, related_name='enrolment_code', to=settings.AUTH_USER_MODEL)),
                    ],
                    options={
                        'db_table': 'frontend_enrolmentcode',
                    },
                ),
            ],
        ),
    ]
