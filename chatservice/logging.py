"""A logging filter that keeps client data out of every log record.

Django attaches the request (with REMOTE_ADDR, headers and body) to error records, and
libraries sometimes put an address into the message itself. The filter drops the
request and masks anything that looks like an IP address, a phone number or a Twilio
SID (a call's CallSid names the call record that holds the caller's number) before any
handler formats the record.
"""

from __future__ import annotations

import logging
import re

_IPV4 = re.compile(r"\b(?:\d{1,3}\.){3}\d{1,3}\b")
# Long hex-and-colon runs (IPv6), but not clock times like 12:30:45.
_IPV6 = re.compile(r"\b(?:[0-9a-fA-F]{0,4}:){2,7}[0-9a-fA-F]{0,4}\b(?<!\d\d:\d\d:\d\d)")
_PHONE = re.compile(r"(?<![\w.])\+?\d[\d \-]{6,}\d\b")
# Twilio's SIDs: two capital letters and 32 hex digits (CA… a call, AC… the account).
# Not only at word boundaries: a URL path ends one as "CA….json" or "AC…/Calls".
_TWILIO_SID = re.compile(r"(?<![A-Za-z0-9])[A-Z]{2}[0-9a-fA-F]{32}(?![0-9a-fA-F])")


def scrub(text: str) -> str:
    text = _TWILIO_SID.sub("[sid]", text)
    text = _IPV4.sub("[addr]", text)
    text = _IPV6.sub(lambda m: "[addr]" if m.group(0).count(":") >= 3 else m.group(0), text)
    return _PHONE.sub("[number]", text)


class NoClientDataFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        if hasattr(record, "request"):
            record.request = None
        # Formatting here, once, means no handler can later expand args that carry data.
        message = record.getMessage()
        record.msg = scrub(message)
        record.args = ()
        if record.exc_info and record.exc_info[1] is not None:
            # Tracebacks stay (they are what an operator needs), locals never were in them;
            # the exception's own text may carry input, so it is scrubbed as well.
            record.exc_text = scrub(logging.Formatter().formatException(record.exc_info))
            record.exc_info = None
        return True
