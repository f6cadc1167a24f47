"""docker-compose.yml, .env.example and the settings agree (Docker can't run here: we read it)."""

from __future__ import annotations

import re
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
COMPOSE_ONLY = {"POSTGRES_PASSWORD", "REDIS_PASSWORD", "MINIO_ROOT_USER", "MINIO_ROOT_PASSWORD"}


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
    assert set(services) == {
        *("proxy", "migrate", "web", "worker", "beat", "db", "redis", "minio", "minio-init")
    }
    assert "gunicorn" in services["web"]["command"]
    assert "worker" in services["worker"]["command"]
    assert "beat" in services["beat"]["command"]


def test_compose_shows_the_scaled_layout():
    """Two web containers behind the proxy, one beat, the schema migrated once before any web
    starts, and every file in the object store: no app container shares a folder."""
    services = compose()["services"]
    assert services["web"]["deploy"]["replicas"] == 2
    assert "deploy" not in services["beat"]  # exactly one beat, ever
    assert nginx_upstream() == ["web:8000"]  # the proxy resolves web to every container
    assert (
        "migrate" in services["migrate"]["command"] and "migrate" not in services["web"]["command"]
    )
    assert services["migrate"]["restart"] == "no"
    assert services["web"]["depends_on"] == {
        "migrate": {"condition": "service_completed_successfully"}
    }
    assert services["migrate"]["depends_on"]["minio-init"] == {
        "condition": "service_completed_successfully"
    }
    for name in ("migrate", "web", "worker", "beat"):
        service = services[name]
        assert "volumes" not in service, f"{name} keeps files of its own"
        env = service["environment"]
        assert env["STORAGE_S3_BUCKET"] == "schoolconduct"
        assert env["STORAGE_S3_ENDPOINT_URL"] == "http://minio:9000"
        assert (
            env["STORAGE_S3_SECRET_ACCESS_KEY"] == "${MINIO_ROOT_PASSWORD:?set MINIO_ROOT_PASSWORD}"
        )
    minio = services["minio"]
    assert "ports" not in minio and minio["volumes"] == ["objects:/data"]
    assert minio["environment"]["MINIO_ROOT_PASSWORD"].startswith("${MINIO_ROOT_PASSWORD:?")
    bucket = services["minio-init"]["entrypoint"]
    assert "mc mb --ignore-existing store/schoolconduct" in bucket
    assert "mc anonymous set none store/schoolconduct" in bucket  # never a public bucket


def test_only_the_proxy_publishes_ports_and_web_trusts_exactly_it():
    services = compose()["services"]
    for name, service in services.items():
        if name == "proxy":
            assert service["ports"] == ["80:80", "443:443"]
        else:
            assert "ports" not in service, f"{name} must not publish a port"
    assert services["web"]["expose"] == ["8000"]
    assert services["web"]["environment"]["TRUSTED_PROXY_COUNT"] == "1"
    assert "./deploy/nginx.conf:/etc/nginx/conf.d/default.conf:ro" in services["proxy"]["volumes"]


def nginx_conf() -> str:
    text = (ROOT / "deploy" / "nginx.conf").read_text()
    return "\n".join(line.split("#", 1)[0] for line in text.splitlines())  # drop comments


def nginx_upstream() -> list[str]:
    block = re.search(r"upstream schoolconduct_web \{([^}]*)\}", nginx_conf())[1]
    return re.findall(r"^\s*server\s+(\S+?)[;\s]", block, re.MULTILINE)


def nginx_directives(name: str) -> list[str]:
    return re.findall(rf"^\s*{name}\s+([^;]+);", nginx_conf(), re.MULTILINE)


def test_the_proxy_caps_bodies_like_the_app():
    from django.conf import settings

    from schoolconduct.middleware import body_limit_for

    caps = nginx_directives("client_max_body_size")
    site_cap = caps[0]
    assert site_cap.endswith("m") and int(site_cap[:-1]) * 1024 * 1024 == (
        settings.REQUEST_BODY_MAX_BYTES
    )
    assert body_limit_for("/s/any-school/report/") == settings.REQUEST_BODY_MAX_BYTES
    # The small sign-in forms have the app's small cap at the proxy too.
    for path in ("/follow-up/", "/staff/sign-in/"):
        block = re.search(rf"location = {re.escape(path)} \{{([^}}]*)\}}", nginx_conf())
        assert block, path
        [cap] = re.findall(r"client_max_body_size\s+(\d+)k;", block[1])
        assert int(cap) * 1024 == body_limit_for(path)
    assert nginx_directives("proxy_request_buffering") == ["on"]
    assert nginx_directives("error_page") == ["413 /static/errors/413.html"]
    assert (ROOT / "static" / "errors" / "413.html").exists()


def test_the_proxy_replaces_the_forwarded_address_and_says_https():
    headers = nginx_directives("proxy_set_header")
    assert "X-Forwarded-For $remote_addr" in headers  # a client's own header is dropped
    assert "X-Forwarded-Proto https" in headers
    assert "Host $host" in headers
    assert "proxy_add_x_forwarded_for" not in nginx_conf()
    assert nginx_directives("ssl_protocols") == ["TLSv1.2 TLSv1.3"]


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


def test_every_location_that_sets_headers_repeats_the_proxy_headers():
    """nginx drops the server's proxy_set_header lines in a location that sets any of its own:
    the app would then see the upstream's name as Host (a 400) and the proxy as the client."""
    for block in re.findall(r"location [^{]*\{([^}]*)\}", nginx_conf()):
        headers = re.findall(r"proxy_set_header\s+([^;]+);", block)
        if headers:
            assert {"Host $host", "X-Forwarded-For $remote_addr", "X-Forwarded-Proto https"} <= set(
                headers
            ), block
