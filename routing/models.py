"""No models: the counsellor profile moved to staff/models.py.

This module stays because routing/migrations/0001_initial.py, which must never change,
names these three callables by their old path; they are staff's, re-exported here."""

from staff.models import default_languages as default_languages
from staff.models import validate_languages as validate_languages
from staff.models import validate_skills as validate_skills
