"""Test settings: the real settings in development mode, with fast, isolated overrides.

`DATABASE_URL` and `CELERY_BROKER_URL` still come from the environment, so `.ci/run` runs the
same suite against PostgreSQL and Redis.
"""

import os
import tempfile
from pathlib import Path

os.environ.setdefault("SCHOOLCONDUCT_ENV", "development")

from .settings import *  # noqa: F403
from .settings import STORAGES

# Argon2 on every persona makes the suite slow; production keeps Argon2 (a test checks).
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
SITE_URL = "http://testserver"
_tmp = tempfile.mkdtemp(prefix="schoolconduct-test-")
MEDIA_ROOT = Path(_tmp) / "media"
PRIVATE_MEDIA_ROOT = Path(_tmp) / "private"
STORAGES = {
    **STORAGES,
    "private": {
        "BACKEND": "schoolconduct.storage.PrivateFileSystemStorage",
        "OPTIONS": {"location": PRIVATE_MEDIA_ROOT},
    },
}
# Tests use their own cache so rate-limit counters never leak between runs through Redis.
CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
# The tests run in one process, so the in-memory cache is shared by all they run: the page
# caches (`schools.versions`) are used, as in production with Redis.
CACHE_SHARED = True
AXES_ENABLED = True
AXES_VERBOSE = False
# With tasks in-process, OCR reads screenshots inline rather than in a background thread, so
# tests see its result deterministically (a test covers the thread).
OCR_THREAD_WHEN_EAGER = False
# Most tests sign in with force_login, which proves no second factor; the enforcement tests
# (tests/staffauth/) switch it on.
REQUIRE_TWO_FACTOR = False
