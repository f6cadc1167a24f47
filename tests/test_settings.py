"""Settings are safe by default and production passes `check --deploy` without silencing."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from tests.helpers import PROD_ENV, ROOT, run_django, settings_value


def test_production_is_the_default_and_needs_a_secret_key():
    result = run_django("pass", {})
    assert result.returncode != 0
    assert "SECRET_KEY must be set" in result.stderr


def test_production_needs_allowed_hosts():
    env = {**PROD_ENV, "ALLOWED_HOSTS": ""}
    result = run_django("pass", env)
    assert "ALLOWED_HOSTS must name" in result.stderr


def test_production_refuses_debug():
    result = run_django("pass", {**PROD_ENV, "DEBUG": "true"})
    assert "DEBUG cannot be switched on in production" in result.stderr


def test_debug_is_off_unless_asked():
    assert settings_value("DEBUG", {"SCHOOLCONDUCT_ENV": "development"}) == "False"
    assert settings_value("DEBUG", {"SCHOOLCONDUCT_ENV": "development", "DEBUG": "true"}) == "True"


def test_development_defaults_need_no_servers():
    env = {"SCHOOLCONDUCT_ENV": "development"}
    assert "sqlite3" in settings_value("DATABASES['default']['ENGINE']", env)
    assert settings_value("CELERY_TASK_ALWAYS_EAGER", env) == "True"
    assert "console" in settings_value("EMAIL_BACKEND", env)


def test_broker_configured_means_real_tasks():
    env = {"SCHOOLCONDUCT_ENV": "development", "CELERY_BROKER_URL": "redis://127.0.0.1:6379/0"}
    assert settings_value("CELERY_TASK_ALWAYS_EAGER", env) == "False"
    assert "RedisCache" in settings_value("CACHES['default']['BACKEND']", env)


def test_a_transaction_pooler_turns_off_server_side_state():
    env = {"SCHOOLCONDUCT_ENV": "development", "DATABASE_URL": "postgres://u@127.0.0.1:5432/d"}
    key = "DATABASES['default']['DISABLE_SERVER_SIDE_CURSORS']"
    assert settings_value(key, env) == "False"
    assert settings_value(key, {**env, "DATABASE_TRANSACTION_POOLER": "true"}) == "True"


def test_production_uses_argon2_and_secure_cookies():
    assert "Argon2" in settings_value("PASSWORD_HASHERS[0]", PROD_ENV)
    assert settings_value("SESSION_COOKIE_SECURE", PROD_ENV) == "True"
    assert settings_value("CSRF_COOKIE_SECURE", PROD_ENV) == "True"
    assert settings_value("SESSION_ENGINE", PROD_ENV) == "'django.contrib.sessions.backends.db'"


def deploy_check(env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env={
            **{
                k: v
                for k, v in os.environ.items()
                if k not in ("DJANGO_SETTINGS_MODULE", "DJANGO_ALLOW_ASYNC_UNSAFE")
            },
            **env,
        },
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_check_deploy_is_clean_in_production():
    result = deploy_check(PROD_ENV)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues (0 silenced)" in result.stdout


@pytest.mark.parametrize(
    "key, warning",
    [("", "security.W001"), ("short", "security.W002"), (PROD_ENV["SECRET_KEY"], "security.W002")],
)
def test_check_deploy_asks_for_a_follow_up_code_key_of_its_own(key, warning):
    result = deploy_check({**PROD_ENV, "FOLLOW_UP_CODE_KEY": key})
    assert result.returncode != 0
    assert warning in result.stdout + result.stderr


@pytest.mark.parametrize("name", ["SILENCED_SYSTEM_CHECKS"])
def test_nothing_is_silenced(name):
    assert settings_value(name, PROD_ENV) == "[]"
