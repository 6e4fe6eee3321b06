"""The closed vocabularies the whole service speaks, as codes, in one place.

Plain tuples with no Django, so the pure routing code can use them too. The labels
people read live beside the code that translates them (stats/vocab.py, the pages'
catalogs in frontend/strings.py); a label list is checked against these codes by
tests/test_vocabulary.py, so a code added here and forgotten there fails a test.
"""

from __future__ import annotations

CHANNELS = ("chat", "phone")
# Who the visitor says they are; "" (not said) is allowed on the wire.
VISITOR_KINDS = ("self", "relative", "professional")
# Special skills a counsellor may have and a transfer may ask for.
SKILLS = ("nurse", "police", "professional")
# Did the chat help? The visitor's one optional answer at the end.
FEEDBACK_ANSWERS = ("yes", "somewhat", "no")
# The states a counsellor may choose on the console ("away" is only ever set for them).
CHOSEN_DUTY_STATES = ("available", "break", "off")
DUTY_STATES = ("available", "break", "away", "off")
# What a transfer may name as its target.
TRANSFER_TARGETS = ("counsellor", "language", "skill")
# How long a conversation lasted, in the statistics.
CONVERSATION_BANDS = ("0-5m", "5-15m", "15-30m", "30-60m", "60m+")

# Staff roles, as Django group names (created by staff/roles.py after migrate).
COUNSELLOR_GROUP = "counsellor"
SUPERVISOR_GROUP = "supervisor"
# Funders' representatives: they read the statistics reports (/stats/ and its CSV) and
# nothing else; no console, no dashboard, no admin.
PARTNER_GROUP = "partner"
# A supervisor for every centre at once, who sees the load of all of them and never
# content: no joining a conversation, no intake or block controls (those are a centre's).
NATIONAL_GROUP = "national supervisor"
