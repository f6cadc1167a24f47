"""Settings for `make bench` only: the project's settings plus the bench's own URLconf, which
adds the bare list baseline. Never used by the app itself."""

from schoolconduct.settings import *  # noqa: F403
from schoolconduct.settings import INSTALLED_APPS, RATE_LIMIT_REPORT, TEMPLATES

ROOT_URLCONF = "bench.urls"
INSTALLED_APPS = [*INSTALLED_APPS, "bench"]
TEMPLATES[0]["DIRS"] = [*TEMPLATES[0]["DIRS"]]
# The bench posts the report form hundreds of times from one address.
RATE_LIMIT_REPORT = (1_000_000, RATE_LIMIT_REPORT[1])
