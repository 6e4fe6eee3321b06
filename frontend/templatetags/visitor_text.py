"""Template filters for the visitor page."""

from __future__ import annotations

from django import template
from django.utils.safestring import SafeString, mark_safe

from contacts.text import number_html

register = template.Library()


@register.filter
def ltr_numbers(value: object) -> SafeString:
    """Escape ``value`` and isolate its phone numbers and times left-to-right, so that an
    Arabic page shows "020-50 50 50", not "50 50 020-50"."""
    return mark_safe(number_html(str(value)))  # noqa: S308 - number_html escapes first
