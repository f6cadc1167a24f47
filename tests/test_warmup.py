"""A new web worker loads at start-up what its first requests would otherwise load while a
parent or a member of staff waits (schoolconduct.warmup), and opens no connection doing so."""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
from pathlib import Path

from schoolconduct import warmup

ROOT = Path(__file__).resolve().parent.parent

PROBE = """
import json, sys
import schoolconduct.wsgi
from django.db import connections
from django.core.cache import caches
wanted = ["incidents.public_views", "letters.views", "oversight.views", "PIL.JpegImagePlugin",
          "PIL.PngImagePlugin", "PIL.WebPImagePlugin", "redis", "kombu.transport.redis",
          "incidents.tasks", "letters.tasks", "celery.app.amqp", "django.template.loaders.cached"]
print(json.dumps({
    "loaded": {name: name in sys.modules for name in wanted},
    "database_connections": [c.alias for c in connections.all(initialized_only=True)
                             if c.connection is not None],
}))
"""


def test_the_wsgi_application_loads_the_views_tasks_and_image_plugins_without_connecting():
    env = {k: v for k, v in os.environ.items() if k != "DJANGO_ALLOW_ASYNC_UNSAFE"}
    env.setdefault("DJANGO_SETTINGS_MODULE", "schoolconduct.settings_test")
    result = subprocess.run(
        [sys.executable, "-c", PROBE],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    found = json.loads(result.stdout.strip().splitlines()[-1])
    assert all(found["loaded"].values()), found["loaded"]
    # Safe before gunicorn forks (--preload): no connection to share between workers.
    assert found["database_connections"] == []


def test_a_library_that_fails_to_load_is_logged_and_the_app_still_starts(monkeypatch, caplog):
    monkeypatch.setattr(warmup, "MODULES", (*warmup.MODULES, "schoolconduct_no_such_module"))
    logger = logging.getLogger("schoolconduct.warmup")
    logger.addHandler(caplog.handler)  # the project's logging may not propagate to the root
    try:
        warmup.warm_up()  # does not raise
    finally:
        logger.removeHandler(caplog.handler)
    assert "warm-up did not finish" in caplog.text
