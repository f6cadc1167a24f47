"""Load at start-up what the first requests would otherwise load while a person waits.

A fresh gunicorn worker imports the URLconf (every app's views, the charts, the two-factor
libraries), the Redis client, Celery's message machinery and Pillow's image plugins on its
first requests: about half a second of the first parent's report POST and of the first staff
page after every deploy or worker restart (and gunicorn restarts workers after
`--max-requests`). `warm_up` does those imports when the WSGI application is created instead.

It only imports and registers: it opens no connection to PostgreSQL, Redis or the object
store, so it is also safe before gunicorn forks its workers (`--preload`), where a connection
would be shared between processes.
"""

from __future__ import annotations

import importlib
import logging

logger = logging.getLogger(__name__)

# Imported lazily by the libraries on first use (seen with `sys.modules` before and after a
# report POST and a staff page in a fresh process).
MODULES = (
    "_strptime",  # the first date parsed from a form
    "django.core.cache.backends.redis",
    "redis",
    "kombu.transport.redis",
    "celery.app.amqp",
    "celery.app.routes",
    "celery.canvas",
    "celery.result",
    "celery.contrib.django.task",
    "celery.app.events",
    "celery.events.dispatcher",
    "celery.backends.base",
    "kombu.mixins",
    "kombu.utils.limits",
)


def warm_up() -> None:
    """Import the URLconf, every app's tasks, the lazily loaded libraries and Pillow's image
    plugins. Never raises: a library that can't be imported here fails where it is used,
    with that request's own error, as it would have without this."""
    from django.urls import get_resolver

    try:
        get_resolver().url_patterns  # noqa: B018 (imports the URLconf and every view)
        from PIL import Image

        Image.init()  # every format's plugin, which Image.open would load on first use
        from schoolconduct.celery import app

        app.loader.import_default_modules()  # each app's tasks.py
        for name in MODULES:
            importlib.import_module(name)
        _warm_templates_and_formats()
    except Exception:  # warming is an optimisation; the app must start without it
        logger.warning("Start-up warm-up did not finish", exc_info=True)


def _warm_templates_and_formats() -> None:
    """The template loaders and context processors, the message and session classes, and the
    date formats of the site's language, as the first page would load them."""
    from django.conf import settings
    from django.template import engines
    from django.utils import formats
    from django.utils.module_loading import import_string

    for engine in engines.all():
        inner = getattr(engine, "engine", None)
        if inner is not None:
            inner.template_loaders  # noqa: B018 (cached: imports each loader)
            inner.template_context_processors  # noqa: B018 (cached: imports each one)
    import_string(settings.MESSAGE_STORAGE)
    import_string(settings.SESSION_SERIALIZER)
    formats.get_format_modules(lang=settings.LANGUAGE_CODE)
