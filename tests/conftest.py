"""Personas and service fixtures shared by the whole suite (helpers are in tests/helpers.py)."""

from __future__ import annotations

import contextlib
import os

import pytest
from django.core.cache import cache

from schools.models import Role

from .factories import (
    GroupFactory,
    RuleFactory,
    SchoolFactory,
    TrustFactory,
    TrustMembershipFactory,
    UserFactory,
    staff_member,
)
from .helpers import IN_CI, redis_available, redis_url, require_service


def pytest_collection_modifyitems(config, items):
    """PostgreSQL-only tests: on another database, CI deselects them (its PostgreSQL run
    has them) and a developer's run skips them with the reason."""
    from django.db import connection

    if connection.vendor == "postgresql":
        return
    keep, dropped = [], []
    for item in items:
        (dropped if item.get_closest_marker("postgres") else keep).append(item)
    if IN_CI:
        config.hook.pytest_deselected(items=dropped)
        items[:] = keep
    else:
        for item in dropped:
            item.add_marker(pytest.mark.skip(reason="needs PostgreSQL: set DATABASE_URL"))


@pytest.fixture(autouse=True)
def _clear_cache():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def trust(db):
    return TrustFactory(name="Riverside Learning Trust", slug="riverside")


@pytest.fixture
def school(trust):
    school = SchoolFactory(
        trust=trust, name="Willow Park Primary", slug="willow-park", reference_prefix="WPS"
    )
    for order, title in enumerate(
        [
            "No abusive or personal comments",
            "Nothing defamatory",
            "No threats, intimidation or bad language",
        ]
    ):
        RuleFactory(school=school, title=title, order=order)
    GroupFactory(school=school, name="Year 3 parents")
    return school


@pytest.fixture
def other_school(db):
    school = SchoolFactory(name="Elsewhere Academy", slug="elsewhere", reference_prefix="ELS")
    RuleFactory(school=school, title="Be kind")
    GroupFactory(school=school, name="Year 9 parents")
    return school


@pytest.fixture
def head(school):
    return staff_member(school, Role.SLT, "head", "Helen Carter", is_head_teacher=True)


@pytest.fixture
def slt(school):
    return staff_member(school, Role.SLT, "deputy", "Dan Deputy")


@pytest.fixture
def dsl(school):
    return staff_member(school, Role.DSL, "dsl", "David Okafor")


@pytest.fixture
def office(school):
    return staff_member(school, Role.OFFICE, "office", "Olivia Price")


@pytest.fixture
def trust_exec(trust):
    user = UserFactory(username="trust", first_name="Tom", last_name="Ashworth")
    TrustMembershipFactory(user=user, trust=trust)
    return user


@pytest.fixture
def other_head(other_school):
    return staff_member(other_school, Role.SLT, "otherhead", "Olga Other", is_head_teacher=True)


@pytest.fixture
def personas(head, dsl, office, trust_exec, other_head):
    """Every role by the name the access matrices use (anonymous is None)."""
    return {
        "anon": None,
        "slt": head,
        "dsl": dsl,
        "office": office,
        "trust": trust_exec,
        "other": other_head,
    }


def _reset_pools(app) -> None:
    """Forget broker connections, so a changed broker_url takes effect."""
    from kombu import pools

    pools.reset()  # closes and forgets kombu's global pools, keyed by connection
    app._pool = None
    app.amqp._producer_pool = None


@pytest.fixture
def eager_tasks():
    """Run Celery tasks in-process for this test, whatever broker the settings name."""
    from schoolconduct.celery import app

    saved = app.conf.task_always_eager
    app.conf.task_always_eager = True
    yield app
    app.conf.task_always_eager = saved


@pytest.fixture
def broker_down(monkeypatch):
    """Point Celery at a broker that refuses connections (Redis is down)."""
    from schoolconduct.celery import app

    saved = (app.conf.task_always_eager, app.conf.broker_url)
    app.conf.task_always_eager = False
    # Celery reads CELERY_BROKER_URL from the environment before its own configuration.
    monkeypatch.setenv("CELERY_BROKER_URL", "redis://127.0.0.1:1/0")
    app.conf.broker_url = "redis://127.0.0.1:1/0"
    _reset_pools(app)
    yield app
    app.conf.task_always_eager, app.conf.broker_url = saved
    _reset_pools(app)


@contextlib.contextmanager
def _celery_on_redis(monkeypatch):
    """Celery publishing to the test Redis (not in-process), its queue emptied first: tasks
    left by earlier runs or tests must not run against this database. Yields the URL."""
    from schoolconduct.celery import app

    url = os.environ.get("CELERY_BROKER_URL") or redis_url()
    require_service("Redis", redis_available(url), f"nothing answers at {url}")
    saved = (app.conf.task_always_eager, app.conf.broker_url)
    app.conf.task_always_eager = False
    monkeypatch.setenv("CELERY_BROKER_URL", url)
    app.conf.broker_url = url
    _reset_pools(app)
    app.control.purge()
    try:
        yield url
    finally:
        app.conf.task_always_eager, app.conf.broker_url = saved
        _reset_pools(app)


@pytest.fixture
def celery_worker_on_redis(monkeypatch):
    """A real Celery worker, in this process (so it sees the test database), on real Redis."""
    from celery.contrib.testing.worker import start_worker

    from schoolconduct.celery import app

    with (
        _celery_on_redis(monkeypatch),
        start_worker(
            app, perform_ping_check=False, pool="solo", loglevel="WARNING", shutdown_timeout=10
        ),
    ):
        yield app


@pytest.fixture
def broker_on_redis(monkeypatch):
    """Celery publishing to real Redis with no worker: yields a client of that Redis database,
    whose "celery" list holds what was published (emptied before and after)."""
    import redis

    from schoolconduct.celery import app

    with _celery_on_redis(monkeypatch) as url:
        client = redis.Redis.from_url(url)
        yield client
        app.control.purge()
        client.close()


@pytest.fixture(scope="session")
def s3_server():
    """A local S3-compatible server (moto's), on a free port, for the whole run."""
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


@pytest.fixture
def s3_storage(s3_server, settings):
    """Every stored file on a fresh bucket of the local S3 server, as STORAGE_S3_BUCKET
    configures production: private_storage(), default storage and every FileField. Yields
    the bucket (tests.helpers.S3Bucket) to look inside it."""
    from django.apps import apps
    from django.db.models import FileField

    from schoolconduct.storage import s3_options

    from .helpers import S3Bucket

    bucket = S3Bucket.create(s3_server)
    options = {**bucket.options(), "addressing_style": "path"}
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "storages.backends.s3.S3Storage",
            "OPTIONS": s3_options(**options, prefix="media"),
        },
        "private": {
            "BACKEND": "schoolconduct.storage.PrivateS3Storage",
            "OPTIONS": s3_options(**options, prefix="private"),
        },
    }
    # A FileField given a callable storage called it once, at import: point it at the bucket.
    swapped = []
    for model in apps.get_models():
        for field in model._meta.local_fields:
            if isinstance(field, FileField) and getattr(field, "_storage_callable", None):
                swapped.append((field, field.storage))
                field.storage = field._storage_callable()
    yield bucket
    for field, storage in swapped:
        field.storage = storage
