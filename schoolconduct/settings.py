"""SchoolConduct settings: one module, configured only through environment variables.

`SCHOOLCONDUCT_ENV` says where the app runs (`production` unless told). Production refuses to
start without a secret key and allowed hosts; development (what `make run` sets) gets safe,
zero-setup defaults: SQLite, tasks run in-process, emails printed to the console.
Every variable read here is listed in `.env.example` (a test keeps the two in step).
"""

from __future__ import annotations

from pathlib import Path

import environ
from celery.schedules import crontab
from csp.constants import NONCE, NONE, SELF
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

SCHOOLCONDUCT_ENV = env.str("SCHOOLCONDUCT_ENV", default="production")
if SCHOOLCONDUCT_ENV not in {"development", "production"}:
    raise ImproperlyConfigured("SCHOOLCONDUCT_ENV must be 'development' or 'production'.")
IS_PRODUCTION = SCHOOLCONDUCT_ENV == "production"

DEBUG = env.bool("DEBUG", default=False)
if IS_PRODUCTION and DEBUG:
    raise ImproperlyConfigured("DEBUG cannot be switched on in production.")

if IS_PRODUCTION:
    SECRET_KEY = env.str("SECRET_KEY", default="")
    if len(SECRET_KEY) < 50:
        raise ImproperlyConfigured(
            "SECRET_KEY must be set to a random string of at least 50 characters in production."
        )
    ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=[])
    if not ALLOWED_HOSTS:
        raise ImproperlyConfigured("ALLOWED_HOSTS must name this site's host(s) in production.")
else:
    SECRET_KEY = env.str("SECRET_KEY", default="development-only-insecure-key-" + "x" * 40)
    ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "[::1]"])

# Old secret keys still accepted for signatures (sessions, reset links) while rotating.
SECRET_KEY_FALLBACKS = env.list("SECRET_KEY_FALLBACKS", default=[])
# The follow-up codes' own HMAC key, so rotating SECRET_KEY does not void parents' codes. Unset:
# the key derived from SECRET_KEY that earlier versions used (`check --deploy` asks for one).
# When rotating it, put the old value in the fallbacks: old codes keep working and are
# re-hashed with the new key when used. Codes made before this setting existed are always
# checked against the old derivation from SECRET_KEY and SECRET_KEY_FALLBACKS too.
FOLLOW_UP_CODE_KEY = env.str("FOLLOW_UP_CODE_KEY", default="")
FOLLOW_UP_CODE_KEY_FALLBACKS = env.list("FOLLOW_UP_CODE_KEY_FALLBACKS", default=[])

# The public address of the site, used in links inside emails (no request at hand there).
SITE_URL = env.str("SITE_URL", default="" if IS_PRODUCTION else "http://127.0.0.1:8000").rstrip("/")
if IS_PRODUCTION and not SITE_URL.startswith("https://"):
    raise ImproperlyConfigured("SITE_URL must be the https:// address of the site in production.")
CSRF_TRUSTED_ORIGINS = [SITE_URL] if SITE_URL else []

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    # allauth's passkey list template loads humanize (without it the page is a 500).
    "django.contrib.humanize",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "crispy_forms",
    "crispy_bootstrap5",
    "django_filters",
    "axes",
    "auditlog",
    "csp",
    # After axes: it replaces axes' admin for failed sign-ins with a recorded unlock.
    "security",
    # Staff sign-in: allauth's accounts, second factors (TOTP, recovery codes, passkeys) and
    # the schools' own OpenID Connect sign-in (Microsoft 365, Google Workspace).
    "allauth",
    "allauth.account",
    "allauth.mfa",
    "allauth.socialaccount",
    "allauth.socialaccount.providers.openid_connect",
    "schoolconduct",
    "schools",
    "incidents",
    "casetasks",
    "measures",
    "letters",
    "oversight",
    "records",
    "staffauth",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # Outermost after security, so it marks every response, the lockout page included.
    "schoolconduct.middleware.PrivateCacheMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    # Parents' sessions end when the browser closes; staff keep SESSION_COOKIE_AGE.
    "schoolconduct.middleware.VisitorSessionMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    # Signs staff out after the idle timeout or the absolute limit (after messages: it says so).
    "security.middleware.SessionTimeoutMiddleware",
    # Tells django-auditlog who is making a change (and from which real address).
    "security.middleware.AuditlogMiddleware",
    # A member of staff without a second factor reaches no staff page until they set one up.
    "staffauth.middleware.SecondFactorRequiredMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    # Before any view reads the body; after CSP and messages so its 413 page renders normally.
    "schoolconduct.middleware.RequestBodyLimitMiddleware",
    # Last, as django-axes asks: it turns a locked-out sign-in into its lockout response.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "schoolconduct.urls"
WSGI_APPLICATION = "schoolconduct.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "csp.context_processors.nonce",
                "schools.context_processors.staff_roles",
            ],
        },
    },
]

# --- Data -----------------------------------------------------------------------------------
DATABASES = {
    "default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'var' / 'db.sqlite3'}")
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # IMMEDIATE takes the write lock at BEGIN, so concurrent writers queue instead of failing
    # with "database is locked" half-way through a transaction.
    DATABASES["default"].setdefault("OPTIONS", {})["transaction_mode"] = "IMMEDIATE"
else:
    # Re-using connections doubles list-page throughput on PostgreSQL (≈ 150 req/s against ≈ 75
    # with a new connection per request, measured on a 2-core machine).
    DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=60)
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
    # Behind a transaction-mode pooler (pgbouncer) a connection's server-side state does not
    # last: no server-side cursors (Django) and no prepared case-page query (incidents.frozen_sql).
    DATABASES["default"]["DISABLE_SERVER_SIDE_CURSORS"] = env.bool(
        "DATABASE_TRANSACTION_POOLER", default=False
    )
    if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
        # jit=off: our queries are short (an index range, 50 rows); JIT compiling them costs
        # more than it saves. random_page_cost=1.1: the data sits on SSD or in cache, so an
        # index lookup is nearly as cheap as a sequential read; at the default (4) the planner
        # scans every case for a search that matches a few hundred (docs/decisions.md).
        options = DATABASES["default"].setdefault("OPTIONS", {})
        options.setdefault("options", "-c jit=off -c random_page_cost=1.1")
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default="")
# The cache holds rate-limit counters and the staff pages' caches (`schools.versions`). Several
# web processes must share it (Redis); with no Redis configured it falls back to the broker's
# Redis, then to local memory, which suits the single-process development server.
CACHE_URL = env.str(
    "CACHE_URL", default=CELERY_BROKER_URL if CELERY_BROKER_URL.startswith("redis") else ""
)
if CACHE_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": CACHE_URL,
            "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1},
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
# Whether the cache is one every process shares (Redis). The page caches kept "until the data
# changes" (`schools.versions`) rely on it: a token in one process's memory knows nothing of a
# change made in another gunicorn worker or in Celery. Without it they count every time.
CACHE_SHARED = bool(CACHE_URL)
# Sessions live in the database, never only in the cache: a cache restart must not sign
# everybody out or lose a parent's follow-up session.
SESSION_ENGINE = "django.contrib.sessions.backends.db"

# --- Files ----------------------------------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = Path(env.str("STATIC_ROOT", default=str(BASE_DIR / "staticfiles")))
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_URL = "/media/"
MEDIA_ROOT = Path(env.str("MEDIA_ROOT", default=str(BASE_DIR / "var" / "media")))
# Evidence and other private files: never under MEDIA_URL, only served by permission-checked
# views (schoolconduct.storage). One box: local folders. Several web and worker machines:
# S3-compatible object storage (STORAGE_S3_BUCKET), which then holds every uploaded file — the
# schools' logos too, under their own prefix, since the worker draws them into letters.
PRIVATE_MEDIA_ROOT = Path(env.str("PRIVATE_MEDIA_ROOT", default=str(BASE_DIR / "var" / "private")))
STORAGE_S3_BUCKET = env.str("STORAGE_S3_BUCKET", default="")
if STORAGE_S3_BUCKET:
    from .storage import s3_options

    _s3 = {
        "bucket": STORAGE_S3_BUCKET,
        "endpoint_url": env.str("STORAGE_S3_ENDPOINT_URL", default=""),
        "access_key": env.str("STORAGE_S3_ACCESS_KEY_ID", default=""),
        "secret_key": env.str("STORAGE_S3_SECRET_ACCESS_KEY", default=""),
        "region": env.str("STORAGE_S3_REGION", default=""),
        "addressing_style": env.str("STORAGE_S3_ADDRESSING_STYLE", default=""),
    }
    _prefix = env.str("STORAGE_S3_PREFIX", default="").strip("/")
    _FILES = {
        # Logos: private objects too; the admin's link to one is a URL signed for a minute.
        "default": {
            "BACKEND": "storages.backends.s3.S3Storage",
            "OPTIONS": s3_options(**_s3, prefix=f"{_prefix}/media".lstrip("/")),
        },
        "private": {
            "BACKEND": "schoolconduct.storage.PrivateS3Storage",
            "OPTIONS": s3_options(**_s3, prefix=f"{_prefix}/private".lstrip("/")),
        },
    }
else:
    _FILES = {
        "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
        "private": {
            "BACKEND": "schoolconduct.storage.PrivateFileSystemStorage",
            "OPTIONS": {"location": PRIVATE_MEDIA_ROOT},
        },
    }
STORAGES = {
    **_FILES,
    "staticfiles": {
        "BACKEND": (
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if IS_PRODUCTION
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}
FILE_UPLOAD_PERMISSIONS = 0o640
FILE_UPLOAD_DIRECTORY_PERMISSIONS = 0o750
# Request bodies are capped from their Content-Length before anything reads them
# (schoolconduct.middleware.RequestBodyLimitMiddleware, 413 page): the largest form is the
# report form's five 10 MB screenshots (incidents.evidence.MAX_FILES × MAX_BYTES) plus 1 MB
# for the text and the multipart framing. The production proxy has the same cap
# (deploy/nginx.conf `client_max_body_size`). Pages with no uploads have their own smaller cap.
UPLOAD_FILE_MAX_BYTES = 10 * 1024 * 1024
REQUEST_BODY_MAX_BYTES = 5 * UPLOAD_FILE_MAX_BYTES + 1024 * 1024
REQUEST_BODY_LIMITS = {
    "reports:follow-up": 64 * 1024,  # reference and code
    "reports:follow-up-finish": 64 * 1024,
    "staff:login": 64 * 1024,
}
# Django's own limits apply inside the cap: form fields other than files (2.5 MB is ample for
# a letter template), how many files one request may carry, and files above 2 MB are spooled
# to a temporary file rather than held in memory.
DATA_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024 // 2
DATA_UPLOAD_MAX_NUMBER_FILES = 20
FILE_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024
WHITENOISE_USE_FINDERS = not IS_PRODUCTION
WHITENOISE_AUTOREFRESH = not IS_PRODUCTION

# --- Authentication -------------------------------------------------------------------------
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
    # Restores the user after allauth's second-factor step (and after a school sign-in).
    "allauth.account.auth_backends.AuthenticationBackend",
]
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 12},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "staff:login"
LOGIN_REDIRECT_URL = "staff:dashboard"
LOGOUT_REDIRECT_URL = "staff:login"

# Two factors for every member of staff (staffauth, django-allauth's mfa): an authenticator
# app (TOTP) with recovery codes, or a passkey. Production always enforces it; the demo may
# switch it off (REQUIRE_TWO_FACTOR=false) and says so on the sign-in page.
REQUIRE_TWO_FACTOR = env.bool("REQUIRE_TWO_FACTOR", default=IS_PRODUCTION)
if IS_PRODUCTION and not REQUIRE_TWO_FACTOR:
    raise ImproperlyConfigured("REQUIRE_TWO_FACTOR cannot be switched off in production.")
ACCOUNT_ADAPTER = "staffauth.adapters.StaffAccountAdapter"
SOCIALACCOUNT_ADAPTER = "staffauth.adapters.StaffSocialAccountAdapter"
ACCOUNT_LOGIN_METHODS = {"username"}
ACCOUNT_SIGNUP_FIELDS = ["username*", "email*", "password1*", "password2*"]
ACCOUNT_EMAIL_VERIFICATION = "none"
# allauth's "login_failed" limit (5 wrong codes per user in 5 minutes) guards the second-factor
# step; the password step is django-axes' (our sign-in form is not allauth's).
ACCOUNT_LOGOUT_REDIRECT_URL = "staff:login"
ACCOUNT_REAUTHENTICATION_TIMEOUT = 5 * 60
MFA_ADAPTER = "staffauth.adapters.StaffMFAAdapter"
# Keys that encrypt authenticator-app secrets and recovery-code seeds in the database: the first
# encrypts, all decrypt. Unset: SECRET_KEY then SECRET_KEY_FALLBACKS, so rotating SECRET_KEY the
# usual way (the old one in the fallbacks) keeps every authenticator app working.
MFA_ENCRYPTION_KEYS = env.list("MFA_ENCRYPTION_KEYS", default=[]) or [
    SECRET_KEY,
    *SECRET_KEY_FALLBACKS,
]
MFA_SUPPORTED_TYPES = ["totp", "recovery_codes", "webauthn"]
MFA_PASSKEY_LOGIN_ENABLED = True
MFA_FORMS = {"add_webauthn": "staffauth.forms.AddPasskeyForm"}
MFA_TOTP_ISSUER = env.str("MFA_TOTP_ISSUER", default="SchoolConduct")
MFA_TRUST_ENABLED = False
# Browsers allow passkeys on http://localhost only; the demo and tests run there.
MFA_WEBAUTHN_ALLOW_INSECURE_ORIGIN = not IS_PRODUCTION
# School sign-in: only invited staff, matched by their verified address; never a new account.
SOCIALACCOUNT_AUTO_SIGNUP = False
SOCIALACCOUNT_EMAIL_AUTHENTICATION = False
SOCIALACCOUNT_LOGIN_ON_GET = False
SOCIALACCOUNT_OPENID_CONNECT_URL_PREFIX = "oidc"
SOCIALACCOUNT_STORE_TOKENS = False
SOCIALACCOUNT_EMAIL_VERIFICATION = "none"
SOCIALACCOUNT_REQUESTS_TIMEOUT = 10

# Lock a username + address pair after a few failures, for minutes, not forever.
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = env.float("AXES_COOLOFF_MINUTES", default=15) / 60  # hours
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
# The page says when to try again and how an administrator can unlock (security/lockout.py).
AXES_LOCKOUT_CALLABLE = "security.lockout.lockout_response"

# Configuration history (django-auditlog): who changed what, when, before and after, for the
# models administrators and senior leaders configure. Shown in the admin ("Log entries").
# Cases are not here: their chronology (CaseEvent) is their history.
AUDITLOG_INCLUDE_TRACKING_MODELS = (
    "schools.Trust",
    "schools.School",
    "schools.Rule",
    "schools.Group",
    {"model": "schools.Membership"},
    {"model": "schools.TrustMembership"},
    "schools.TermDate",
    "schools.InsetDay",
    "letters.LetterTemplate",
    "letters.Signature",
    {
        # Staff accounts: their names, roles in the admin and permissions — never the
        # password hash or sign-in times.
        "model": "auth.User",
        "include_fields": [
            "username",
            "first_name",
            "last_name",
            "email",
            "is_active",
            "is_staff",
            "is_superuser",
        ],
        "m2m_fields": ["groups", "user_permissions"],
    },
    {"model": "auth.Group", "m2m_fields": ["permissions"]},
)
AUDITLOG_STORE_JSON_CHANGES = True
# Retention (security.tasks.trim_security_logs, nightly): sign-in records one year, the
# configuration history and recorded unlocks six years (as long as a closed case's records).
SIGN_IN_LOG_DAYS = env.int("SIGN_IN_LOG_DAYS", default=365)
CONFIG_HISTORY_DAYS = env.int("CONFIG_HISTORY_DAYS", default=6 * 365 + 2)
AUDITLOG_DISABLE_ON_RAW_SAVE = True

# How many proxies in front of the app append to X-Forwarded-For (0: use REMOTE_ADDR).
TRUSTED_PROXY_COUNT = env.int("TRUSTED_PROXY_COUNT", default=0)
# The lockout counts the same client address as the rate limiter: behind the proxy,
# REMOTE_ADDR is the proxy's, and a pair (username, proxy address) would lock the head
# teacher out for everyone after a stranger's five guesses.
AXES_CLIENT_IP_CALLABLE = "schoolconduct.ratelimit.client_ip"

# Rate limits (requests, seconds) for the public form and the follow-up page. A pile-on comes
# from one school Wi-Fi, so the report limit is generous; guessing codes needs a tight one.
RATE_LIMIT_REPORT = (env.int("RATE_LIMIT_REPORT_PER_HOUR", default=30), 3600)
RATE_LIMIT_FOLLOWUP = (env.int("RATE_LIMIT_FOLLOWUP_PER_15_MIN", default=10), 900)

# --- Security headers -----------------------------------------------------------------------
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
# Staff are signed out after SESSION_IDLE_MINUTES without a request, and after
# SESSION_ABSOLUTE_HOURS whatever they do (security.middleware.SessionTimeoutMiddleware). Pages
# warn SESSION_WARNING_SECONDS before, with a "stay signed in" button, and long forms keep a
# draft in the browser tab so nothing typed is lost (static/js/session-timeout.js).
SESSION_IDLE_TIMEOUT = env.int("SESSION_IDLE_MINUTES", default=30) * 60
SESSION_ABSOLUTE_TIMEOUT = env.int("SESSION_ABSOLUTE_HOURS", default=8) * 60 * 60
SESSION_WARNING_SECONDS = 120
SESSION_COOKIE_AGE = SESSION_ABSOLUTE_TIMEOUT
CSRF_COOKIE_HTTPONLY = True
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
if IS_PRODUCTION:
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
    SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF, NONCE],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
        "base-uri": [SELF],
        "object-src": [NONE],
    }
}

# --- Celery ---------------------------------------------------------------------------------
# No broker configured: run tasks in-process, so `make run` needs no servers.
CELERY_TASK_ALWAYS_EAGER = not CELERY_BROKER_URL
CELERY_TASK_EAGER_PROPAGATES = False
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_TIME_LIMIT = 120
CELERY_TASK_SOFT_TIME_LIMIT = 90
CELERY_TASK_IGNORE_RESULT = True
CELERY_TIMEZONE = "Europe/London"
# A parent must never wait on a broker that is down: fail fast, the sweep catches up.
CELERY_BROKER_CONNECTION_TIMEOUT = 2
CELERY_BROKER_TRANSPORT_OPTIONS = {"socket_connect_timeout": 2, "socket_timeout": 5}
CELERY_TASK_PUBLISH_RETRY = False
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# Unsent notifications older than this are picked up by the sweep.
NOTIFICATION_SWEEP_AFTER_MINUTES = env.int("NOTIFICATION_SWEEP_AFTER_MINUTES", default=10)

# --- Email ----------------------------------------------------------------------------------
EMAIL_BACKEND = env.str(
    "EMAIL_BACKEND",
    default="django.core.mail.backends.console.EmailBackend"
    if not IS_PRODUCTION
    else "django.core.mail.backends.smtp.EmailBackend",
)
EMAIL_HOST = env.str("EMAIL_HOST", default="localhost")
EMAIL_PORT = env.int("EMAIL_PORT", default=587)
EMAIL_HOST_USER = env.str("EMAIL_HOST_USER", default="")
EMAIL_HOST_PASSWORD = env.str("EMAIL_HOST_PASSWORD", default="")
EMAIL_USE_TLS = env.bool("EMAIL_USE_TLS", default=True)
EMAIL_TIMEOUT = 20
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="SchoolConduct <noreply@localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# --- Internationalisation -------------------------------------------------------------------
LANGUAGE_CODE = "en-gb"
TIME_ZONE = "Europe/London"
USE_I18N = True
USE_TZ = True

CRISPY_ALLOWED_TEMPLATE_PACKS = "bootstrap5"
CRISPY_TEMPLATE_PACK = "bootstrap5"

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {"django.db.backends": {"level": "INFO"}},
}

# Beat: the schedule lives here, in code; docker-compose's beat service only runs it.
CELERY_BEAT_SCHEDULE = {
    "sweep-notifications": {
        "task": "schoolconduct.tasks.sweep_notifications",
        "schedule": 5 * 60,
    },
    "daily-reminders": {
        "task": "incidents.tasks.send_reminders",
        "schedule": crontab(hour=7, minute=0),
    },
    "nightly-security-log-trim": {
        "task": "security.tasks.trim_security_logs",
        "schedule": crontab(hour=2, minute=30),
    },
    "nightly-disposal-proposals": {
        "task": "records.tasks.propose_disposals",
        "schedule": crontab(hour=2, minute=45),
    },
    # Chat exports a parent uploaded but never picked from: deleted within the hour promised.
    "sweep-chat-uploads": {
        "task": "incidents.tasks.sweep_chat_uploads",
        "schedule": 10 * 60,
    },
    # Screenshots whose clean copy is still "processing" after ten minutes (a lost task).
    "sweep-evidence": {
        "task": "incidents.tasks.sweep_evidence",
        "schedule": 10 * 60,
    },
    # Built CSVs of the case list: deleted a day after they were asked for.
    "sweep-case-exports": {
        "task": "incidents.tasks.sweep_case_exports",
        "schedule": 60 * 60,
    },
    "governors-reports": {
        "task": "oversight.tasks.make_governors_reports",
        "schedule": crontab(hour=6, minute=30),
    },
}
