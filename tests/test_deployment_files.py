"""docker-compose.yml, .env.example and the settings agree (Docker can't run here: we read it)."""

from __future__ import annotations

import re
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
COMPOSE_ONLY = {"POSTGRES_PASSWORD", "REDIS_PASSWORD"}


def compose() -> dict:
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())


def env_example_names() -> set[str]:
    names = set()
    for line in (ROOT / ".env.example").read_text().splitlines():
        if line and not line.startswith("#"):
            names.add(line.split("=", 1)[0])
    return names


def settings_names() -> set[str]:
    text = (ROOT / "schoolconduct" / "settings.py").read_text()
    return set(re.findall(r'env(?:\.\w+)?\(\s*"([A-Z0-9_]+)"', text))


def test_compose_has_the_production_services():
    services = compose()["services"]
    assert set(services) == {"web", "worker", "beat", "db", "redis"}
    assert "gunicorn" in services["web"]["command"]
    assert "worker" in services["worker"]["command"]
    assert "beat" in services["beat"]["command"]


def test_only_web_is_exposed_and_only_on_localhost():
    services = compose()["services"]
    for name, service in services.items():
        if name == "web":
            assert service["ports"] == ["127.0.0.1:8000:8000"]
        else:
            assert "ports" not in service, f"{name} must not publish a port"


def test_redis_has_a_password_and_the_app_uses_it():
    services = compose()["services"]
    assert "--requirepass ${REDIS_PASSWORD" in services["redis"]["command"]
    for name in ("web", "worker", "beat"):
        env = services[name]["environment"]
        assert env["CELERY_BROKER_URL"].startswith("redis://:${REDIS_PASSWORD")
        assert env["DATABASE_URL"].startswith("postgres://")
        assert env["SCHOOLCONDUCT_ENV"] == "production"


def test_every_variable_is_documented_and_read():
    documented = env_example_names()
    read = settings_names()
    assert read - documented == set(), "settings read variables .env.example does not list"
    assert documented - read - COMPOSE_ONLY == set(), ".env.example lists unused variables"
    services = compose()["services"]
    for name in ("web", "worker", "beat"):
        assert set(services[name]["environment"]) <= documented
    raw = (ROOT / "docker-compose.yml").read_text()
    for var in re.findall(r"\$\{([A-Z0-9_]+)", raw):
        assert var in documented


def test_beat_schedule_is_in_code():
    from django.conf import settings

    tasks = {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}
    assert "schoolconduct.tasks.sweep_notifications" in tasks
