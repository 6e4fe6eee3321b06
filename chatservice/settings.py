"""Settings for the chat and phone contact service, read from the environment.

With no environment at all the service runs on the *embedded default*: SQLite, an
in-process state store and an in-process channel layer, one process, no Redis. In
production (``ENVIRONMENT=production``) PostgreSQL and Redis are required and
``chatservice.checks`` refuses to start on an unsafe configuration.
"""

from __future__ import annotations

import secrets
from pathlib import Path
from typing import Any

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

from chatservice.env import envbool, envint, envlist, envstr
from chatservice.redis_hosts import host_config

BASE_DIR = Path(__file__).resolve().parent.parent

ENVIRONMENT = envstr("ENVIRONMENT", "development")
if ENVIRONMENT not in {"development", "production"}:
    raise ImproperlyConfigured(f"ENVIRONMENT={ENVIRONMENT!r} must be development or production")
PRODUCTION = ENVIRONMENT == "production"

DEBUG = envbool("DEBUG", False)

# A development process without a key gets a random one: sessions then last one run,
# which is what a demo wants. Production must set it (see chatservice/checks.py).
SECRET_KEY = envstr("SECRET_KEY") or ("" if PRODUCTION else secrets.token_urlsafe(50))
if PRODUCTION and not SECRET_KEY:
    # Django itself would fail later with a less helpful traceback.
    raise ImproperlyConfigured("SECRET_KEY (or SECRET_KEY_FILE) must be set in production")

# Key for keyed hashes of identifiers (the visitors' resumption tokens), so a Redis dump
# hands out no session. Never stored in Redis or the database. Development gets a
# per-process random key.
STATE_KEY = envstr("STATE_KEY") or ("" if PRODUCTION else secrets.token_hex(32))
# During a key rotation: the old key, still accepted for reading what was written with
# it (wrapped conversation keys, resumption tokens), never used for writing.
STATE_KEY_PREVIOUS = envstr("STATE_KEY_PREVIOUS")

ALLOWED_HOSTS = envlist("ALLOWED_HOSTS", "" if PRODUCTION else "localhost,127.0.0.1,[::1]")
CSRF_TRUSTED_ORIGINS = envlist("CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "daphne",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "channels",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "chatservice",
    "contacts",
    "routing",
    # After contacts: its post-migrate gives supervisors contacts' permissions, which
    # contacts' own post-migrate must have created first.
    "staff",
    "stats",
    "frontend",
    "audit",
    "centres",
]

MIDDLEWARE = [
    # Probes are answered before the host check (chatservice/health.py).
    "chatservice.health.HealthCheckMiddleware",
    "django.middleware.security.SecurityMiddleware",
    # Serves /static/ itself (compressed, cached) so the embedded default needs no web
    # server; behind nginx it is a harmless fallback.
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "chatservice.middleware.PrivacyHeadersMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "chatservice.urls"
ASGI_APPLICATION = "chatservice.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

DATABASE_URL = envstr("DATABASE_URL")
if DATABASE_URL:
    try:
        DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=60)}
    except ValueError as exc:
        raise ImproperlyConfigured(f"DATABASE_URL cannot be parsed: {exc}") from None
else:
    SQLITE_PATH = envstr("SQLITE_PATH", str(BASE_DIR / "var" / "chatservice.sqlite3"))
    if SQLITE_PATH != ":memory:" and not SQLITE_PATH.startswith("file:"):
        # SQLite creates the file but not its folder: a fresh checkout's first
        # `manage.py migrate` failed with "unable to open database file". Any path, not
        # just the default, so a SQLITE_PATH outside the checkout works the same way;
        # owner-only, since the file holds the staff's password hashes.
        Path(SQLITE_PATH).parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": SQLITE_PATH,
            # Kept open, as for PostgreSQL: every counter and every page otherwise opened
            # the file again on the one database thread.
            "CONN_MAX_AGE": 60,
            "OPTIONS": {
                # WAL: a reader (a management command, a report) never waits for the
                # service's writes; NORMAL: a commit does not wait for an fsync (a power
                # cut may lose the last counters, never corrupt the file). IMMEDIATE:
                # a write takes its lock at the start, so two never deadlock midway.
                "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
                "transaction_mode": "IMMEDIATE",
            },
        }
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REDIS_URL = envstr("REDIS_URL")
# redis-py caps a pool at 100 connections by default; a burst of visitors connecting at
# once then fails handshakes with HTTP 500. One pool per process, sized for bursts.
REDIS_MAX_CONNECTIONS = envint("REDIS_MAX_CONNECTIONS", 1000, minimum=10)
REDIS_PREFIX = envstr("REDIS_PREFIX", "cs")
# Sentinel: the master of REDIS_SENTINEL_MASTER, found through these sentinels, instead
# of REDIS_URL's host (whose user, password and database still apply). Every Redis
# client of the service follows a failover (chatservice/redis_hosts.py).
REDIS_SENTINELS = envlist("REDIS_SENTINELS")
REDIS_SENTINEL_MASTER = envstr("REDIS_SENTINEL_MASTER", "chatservice")
REDIS_SENTINEL_PASSWORD = envstr("REDIS_SENTINEL_PASSWORD")
REDIS_HOST: dict[str, Any] = (
    host_config(REDIS_URL, REDIS_SENTINELS, REDIS_SENTINEL_MASTER, REDIS_SENTINEL_PASSWORD, REDIS_MAX_CONNECTIONS)
    if REDIS_URL
    else {}
)

# The cache holds only login-failure counts (keyed by a hash of the name tried). With
# several processes they must share it, so production keeps it in Redis.
CACHES: dict[str, Any] = (
    {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": f"{REDIS_PREFIX}:cache",
            "OPTIONS": {"pool_class": "chatservice.redis_hosts.SentinelCachePool"} if REDIS_SENTINELS else {},
        }
    }
    if REDIS_URL
    else {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
)

# Prometheus scrapes /metrics with "Authorization: Bearer <token>"; unset, /metrics
# answers 404. Aggregate figures only (chatservice/metrics.py).
METRICS_TOKEN = envstr("METRICS_TOKEN")

CHANNEL_LAYERS: dict[str, Any]
# Which Redis channel layer carries the nudges between processes: "pubsub" (default) or
# "core". Delivery is at-most-once with either; the service never relies on an event
# arriving (events are nudges, the store holds the truth, clients ack and replay), so
# the faster one is the default. bench/run.py --layers measures both.
CHANNEL_LAYER = envstr("CHANNEL_LAYER", "pubsub")
if CHANNEL_LAYER not in {"pubsub", "core"}:
    raise ImproperlyConfigured(f"CHANNEL_LAYER={CHANNEL_LAYER!r} must be pubsub or core")
# Core layer only: a consumer's inbox holds CHANNEL_CAPACITY events before new ones are
# dropped, and an undelivered event or a group membership expires after these seconds.
# A nudge older than a minute is worthless (clients sync by then); a group membership
# must outlive the longest conversation, which keeps its own TTL in the store.
CHANNEL_CAPACITY = envint("CHANNEL_CAPACITY", 500, minimum=10)
CHANNEL_EXPIRY_SECONDS = envint("CHANNEL_EXPIRY_SECONDS", 60, minimum=5)
CHANNEL_GROUP_EXPIRY_SECONDS = envint("CHANNEL_GROUP_EXPIRY_SECONDS", 86400, minimum=60)
if REDIS_URL and CHANNEL_LAYER == "pubsub":
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.pubsub.RedisPubSubChannelLayer",
            "CONFIG": {
                "hosts": [REDIS_HOST],
                "prefix": f"{REDIS_PREFIX}:layer",
            },
        }
    }
elif REDIS_URL:
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.core.RedisChannelLayer",
            "CONFIG": {
                "hosts": [REDIS_HOST],
                "prefix": f"{REDIS_PREFIX}:layer",
                "capacity": CHANNEL_CAPACITY,
                "expiry": CHANNEL_EXPIRY_SECONDS,
                "group_expiry": CHANNEL_GROUP_EXPIRY_SECONDS,
            },
        }
    }
else:
    CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 12}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
# Staff log in with a password and a code from an authenticator app (staff/login.py).
# Production refuses to run without it.
STAFF_2FA = envbool("STAFF_2FA", PRODUCTION)
# Failed staff log-ins from one source address (known only by a keyed hash, kept in the
# cache for 15 minutes) before that source is refused for the rest of those 15 minutes,
# whatever account it tries; 0 turns it off. Each account name is locked after five.
STAFF_LOGIN_FAILURES_PER_SOURCE = envint("STAFF_LOGIN_FAILURES_PER_SOURCE", 30, minimum=0)
# The first set-up of a staff member's authenticator needs a one-time code from an
# administrator (staff/enrolment.py), so a stolen password cannot enrol one.
STAFF_ENROL_CODE_REQUIRED = envbool("STAFF_ENROL_CODE_REQUIRED", PRODUCTION)
# Every open console or dashboard re-checks its session this often, and closes once the
# password changed, the session was deleted, or the account lost its group
# (staff/revocation.py); signals make most changes take effect at once.
STAFF_RECHECK_SECONDS = envint("STAFF_RECHECK_SECONDS", 5, minimum=1, maximum=60)
OTP_TOTP_ISSUER = envstr("OTP_TOTP_ISSUER", "Nexus chat")
LOGIN_URL = "/accounts/login/"
LOGIN_REDIRECT_URL = "/console/"
LOGOUT_REDIRECT_URL = "/accounts/login/"

# Swedish first; English and Arabic complete. A new language is one entry here plus a
# translation file in locale/.
LANGUAGE_CODE = "sv"
LANGUAGES = [("sv", _("Swedish")), ("en", _("English")), ("ar", _("Arabic"))]
# Easy-read variants (lättläst) of a page language: code -> (the language it simplifies,
# its name in the menu). The visitor page offers each right after its language, with
# its own catalog (locale/sv_LL: a gettext locale Django falls back from to Swedish),
# and a visitor who picks one is routed and counted in that language, the counsellor
# told to write simply. Not in LANGUAGES: staff pages, the admin's texts per language
# and routing know real languages only.
EASY_READ = {"sv-ll": ("sv", "Lättläst svenska")}
# Languages a counsellor may speak and a contact may be routed by; wider than the page
# translations so that a phone contact or a transfer can ask for them already.
CONTACT_LANGUAGES = [
    ("sv", "Svenska"),
    ("en", "English"),
    ("ar", "العربية"),
    ("fa", "فارسی / دری"),
    ("so", "Soomaali"),
    ("ti", "ትግርኛ"),
    ("ku", "Kurdî"),
    ("uk", "Українська"),
]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Europe/Stockholm"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = envstr("STATIC_ROOT", str(BASE_DIR / "staticfiles")) if PRODUCTION else None
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if PRODUCTION
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}
# Development serves straight from the app folders: no collectstatic step to forget.
WHITENOISE_USE_FINDERS = not PRODUCTION
WHITENOISE_AUTOREFRESH = DEBUG

SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_SECURE = PRODUCTION
CSRF_COOKIE_SECURE = PRODUCTION
SECURE_CONTENT_TYPE_NOSNIFF = True
# Staff pages need the Origin header on their form posts for CSRF checks, which
# "no-referrer" would turn into "Origin: null"; visitor pages get "no-referrer"
# (chatservice.middleware), since they post no forms.
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if envbool("BEHIND_TLS_PROXY", PRODUCTION) else None
SECURE_HSTS_SECONDS = envint("HSTS_SECONDS", 31536000 if PRODUCTION else 0)
SECURE_SSL_REDIRECT = envbool("SSL_REDIRECT", False)
# The service's own host name only has subdomains it controls: safe by default.
SECURE_HSTS_INCLUDE_SUBDOMAINS = envbool("HSTS_INCLUDE_SUBDOMAINS", PRODUCTION)
SECURE_HSTS_PRELOAD = envbool("HSTS_PRELOAD", False)
# Preloading is a commitment the owner of the whole domain makes (the municipality's IT),
# not something this application can decide; so its reminder is silenced.
SILENCED_SYSTEM_CHECKS = ["security.W021"]

# --- The service's own behaviour (docs/configuration.md) ---
CHAT: dict[str, Any] = {
    # How long a visitor may be gone (lost network, a phone that slept) and come back with
    # the resumption token before the conversation ends. The token lives in page memory
    # only, so a reload or a closed tab cannot come back: the chat ends after this time.
    "GRACE_SECONDS": envint("CHAT_GRACE_SECONDS", 120, minimum=5),
    # Silence is not leaving: after this long without a word from a connected visitor,
    # the counsellor's card offers a gentle "are you still there?" and the visitor's page
    # says the counsellor is waiting. Nothing ends a conversation for silence.
    "IDLE_PROMPT_SECONDS": envint("CHAT_IDLE_PROMPT_SECONDS", 180, minimum=5),
    # How long a counsellor's console may be gone before their conversations go back to
    # the front of the queue.
    # At least twice the console's 15 s keep-alive, so a live console is never taken for gone.
    "COUNSELLOR_GRACE_SECONDS": envint("COUNSELLOR_GRACE_SECONDS", 60, minimum=30),
    "OFFER_TIMEOUT_SECONDS": envint("OFFER_TIMEOUT_SECONDS", 30, minimum=5),
    # After this long in the queue a contact may be offered to any available counsellor,
    # whatever their languages.
    "OVERFLOW_SECONDS": envint("OVERFLOW_SECONDS", 180, minimum=0),
    "MAX_MESSAGE_CHARS": envint("MAX_MESSAGE_CHARS", 4000, minimum=100),
    "MAX_FRAME_BYTES": envint("MAX_FRAME_BYTES", 32768, minimum=1024),
    # Upper bound on any live key's life: a contact that nobody ends is gone after this.
    "STATE_TTL_SECONDS": envint("STATE_TTL_SECONDS", 6 * 3600, minimum=600),
    # Mean handling time used for the first wait estimates, before any conversation ended.
    "DEFAULT_HANDLE_SECONDS": envint("DEFAULT_HANDLE_SECONDS", 900, minimum=60),
    "TICK_SECONDS": envint("TICK_SECONDS", 1, minimum=1, maximum=30),
    "QUICK_EXIT_URL": envstr("QUICK_EXIT_URL", "https://www.smhi.se/"),
    # Floods: frames per second per socket (a burst of three seconds' worth is allowed;
    # a socket that keeps going is closed), open sockets per source address per process,
    # and how long a counsellor's block of a source lasts.
    "FRAMES_PER_SECOND": envint("FRAMES_PER_SECOND", 5, minimum=1),
    "CONNECTIONS_PER_SOURCE": envint("CONNECTIONS_PER_SOURCE", 30, minimum=1),
    # An hour by default: a block turns away everyone behind the same address (a school,
    # a shelter, a mobile operator's NAT), so it should outlast an abuser's patience,
    # not a day of other people's need. Someone who says they are in danger gets through.
    "BLOCK_SECONDS": envint("BLOCK_SECONDS", 3600, minimum=60),
    # Contacts one source may start per window, shared by every process (the store
    # counts them under a keyed hash of the address, for the window only). A school or
    # a shelter behind one address starts a few a minute; a flood starts dozens a second.
    "STARTS_PER_SOURCE": envint("STARTS_PER_SOURCE", 6, minimum=1),
    "START_WINDOW_SECONDS": envint("START_WINDOW_SECONDS", 60, minimum=1),
    # Seconds of hold between the caller's queue announcements (docs/telephony.md).
    "PHONE_HOLD_SECONDS": envint("PHONE_HOLD_SECONDS", 10, minimum=3, maximum=60),
    "PHONE_DIAL_TIMEOUT_SECONDS": envint("PHONE_DIAL_TIMEOUT_SECONDS", 20, minimum=5, maximum=60),
    # Reports never show a count below this (docs/statistics.md).
    "STATS_MIN_COUNT": envint("STATS_MIN_COUNT", 5, minimum=3),
    # The supervisor dashboard draws attention past these.
    "ALERT_WAIT_SECONDS": envint("ALERT_WAIT_SECONDS", 600, minimum=0),
    "ALERT_QUEUE_LENGTH": envint("ALERT_QUEUE_LENGTH", 5, minimum=0),
}

# --- Twilio (docs/telephony.md) ---
TWILIO_ACCOUNT_SID = envstr("TWILIO_ACCOUNT_SID")
TWILIO_AUTH_TOKEN = envstr("TWILIO_AUTH_TOKEN")
# The service's own number: the counsellor's phone shows this, never the caller's.
TWILIO_CALLER_ID = envstr("TWILIO_CALLER_ID")
# The public https address Twilio calls; signatures are checked against it, not against
# the request's Host header, so they hold behind a proxy.
PUBLIC_BASE_URL = envstr("PUBLIC_BASE_URL").rstrip("/")
# After a call, ask Twilio to delete its call record (which holds the caller's number).
TWILIO_DELETE_CALLS = envbool("TWILIO_DELETE_CALLS", False)
# Where the REST API for those deletions is: Twilio's own, unless a test (or an egress
# proxy the operator runs) stands in for it. Production accepts only https, or http to
# the loopback interface (chatservice/checks.py).
TWILIO_API_URL = envstr("TWILIO_API_URL", "https://api.twilio.com").rstrip("/")

# Libraries that log URLs, SQL with its parameters, socket addresses or frames at INFO
# or DEBUG: twilio logs every REST request's URL (the CallSid and AccountSid of each
# deleted call), urllib3/requests/httpx the same URL at DEBUG, django.db.backends SQL
# with parameters, asyncio and daphne/twisted/autobahn transports with peer addresses,
# websockets and redis frames. They are capped at WARNING whatever LOG_LEVEL says, so
# LOG_LEVEL=DEBUG debugs the service's own code; what a warning still carries passes the
# filter, which masks addresses, numbers and Twilio SIDs (chatservice/logging.py).
QUIET_LOGGERS = [
    "twilio",
    "urllib3",
    "requests",
    "httpx",
    "httpcore",
    "aiohttp",
    "aiohttp_retry",
    "asyncio",
    "daphne",
    "twisted",
    "autobahn",
    "websockets",
    "redis",
    "channels",
    "channels_redis",
    "django.channels",
    "django.db.backends",
]

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"no_client_data": {"()": "chatservice.logging.NoClientDataFilter"}},
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "filters": ["no_client_data"],
            "formatter": "plain",
        }
    },
    "root": {"handlers": ["console"], "level": envstr("LOG_LEVEL", "INFO")},
    "loggers": {
        # Replaces Django's default handlers for "django", which include AdminEmailHandler:
        # error mails would carry the request. Nothing here ever mails anything.
        "django": {"handlers": ["console"], "level": "INFO", "propagate": False},
        # Request logs carry paths and, on errors, the request itself; daphne's access log
        # carries the client address. Neither is wanted.
        "django.request": {"level": "ERROR", "handlers": ["console"], "propagate": False},
        "django.server": {"level": "ERROR", "handlers": ["console"], "propagate": False},
        **{name: {"level": "WARNING"} for name in QUIET_LOGGERS},
    },
}
# The staff audit log (audit/): who logged in, changed duty, paused intake, blocked,
# changed roles or exported, and when; rows older than this are deleted.
AUDIT_RETENTION_DAYS = envint("AUDIT_RETENTION_DAYS", 180, minimum=1)

# No AdminEmailHandler: it would mail request details of every error.
ADMINS: list[tuple[str, str]] = []
