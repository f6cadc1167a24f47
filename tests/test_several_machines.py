"""More than one machine: two web processes (gunicorn, on two ports) and a Celery worker, each
with its OWN local folders, sharing one PostgreSQL database, one Redis and one S3-compatible
object store (moto's server, started by the tests). A parent's report with a photo goes to web
1; staff sign in on web 2 and see the clean copy the worker made; a letter rendered by the
worker is downloaded from web 1 and web 2 and read back; no file is on any local folder.

Needs PostgreSQL and Redis (the production configuration of .ci/run): on SQLite it is skipped
with the reason (CI deselects it there, as every PostgreSQL-only test)."""

from __future__ import annotations

import io
import json
import os
import re
import secrets
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlparse

import pytest
from PIL import Image
from pypdf import PdfReader

from tests.helpers import (
    HttpSession,
    S3Bucket,
    free_port,
    redis_available,
    require_service,
    wait_for_port,
)
from tests.images import jpeg_with_gps_and_rotation

pytestmark = pytest.mark.postgres

ROOT = Path(__file__).resolve().parent.parent
PASSWORD = "correct horse battery staple"

SETUP = """
import json
from tests.factories import GroupFactory, MembershipFactory, RuleFactory, SchoolFactory
from tests.factories import UserFactory, report_form_data
school = SchoolFactory(name="Willow Park Primary", slug="willow-park", reference_prefix="WPS")
RuleFactory(school=school)
GroupFactory(school=school)
head = UserFactory(username="head", first_name="Helen", last_name="Carter")
MembershipFactory(user=head, school=school, role="slt", is_head_teacher=True)
print(json.dumps(report_form_data(school)))
"""

LETTER = """
from incidents.models import Case
from letters import services
from schools.models import School
from tests.factories import PersonFactory, triage
from tests.factories import LETTER_DETAILS as DETAILS
from django.contrib.auth import get_user_model
head = get_user_model().objects.get(username="head")
case = Case.objects.get()
parent = PersonFactory(school=case.school, full_name="Mr Jason Turner", address="14 Orchard Close")
triage(case, head, person=parent)
letter = services.letter_draft(case=case, kind="reminder", actor=head, details=DETAILS,
                               delivery_method="post", person=parent)
services.letter_approve(letter=letter, actor=head)  # the PDF: queued for the worker
print(letter.pk)
"""


def _database_urls() -> tuple[str, str]:
    """This run's own database on the suite's PostgreSQL server, and the server's admin DB."""
    url = urlparse(os.environ.get("DATABASE_URL", ""))
    name = f"{url.path.lstrip('/') or 'schoolconduct'}_mp"
    return url._replace(path=f"/{name}").geturl(), url._replace(path="/postgres").geturl()


def _redis_url() -> str:
    """The suite's Redis, one database number up: the pytest process's own queued tasks must
    not reach this worker (MULTI_MACHINE_REDIS_URL overrides)."""
    if os.environ.get("MULTI_MACHINE_REDIS_URL"):
        return os.environ["MULTI_MACHINE_REDIS_URL"]
    url = urlparse(os.environ.get("CELERY_BROKER_URL", "redis://127.0.0.1:6379/0"))
    number = int(url.path.lstrip("/") or 0)
    return url._replace(path=f"/{(number + 1) % 16}").geturl()


@pytest.fixture(scope="module")
def machines(s3_server, tmp_path_factory):
    import psycopg
    import redis

    if not os.environ.get("DATABASE_URL", "").startswith("postgres"):
        pytest.skip("needs PostgreSQL: set DATABASE_URL")
    broker = _redis_url()
    require_service("Redis", redis_available(broker), f"nothing answers at {broker}")
    redis.Redis.from_url(broker).flushdb()  # this run's own queue, empty
    database, admin = _database_urls()
    name = urlparse(database).path.lstrip("/")
    with psycopg.connect(admin, autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        connection.execute(f'CREATE DATABASE "{name}"')
    bucket = S3Bucket.create(s3_server)
    shared = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("DJANGO_", "CELERY_", "CACHE_", "DATABASE_", "STORAGE_"))
        and k not in {"DEBUG", "SECRET_KEY", "MEDIA_ROOT", "PRIVATE_MEDIA_ROOT"}
    }
    shared.update(
        DJANGO_SETTINGS_MODULE="schoolconduct.settings",
        SCHOOLCONDUCT_ENV="development",
        DEBUG="false",
        SECRET_KEY=secrets.token_urlsafe(64),  # one key for every machine
        DATABASE_URL=database,
        CELERY_BROKER_URL=broker,
        STORAGE_S3_BUCKET=bucket.name,
        STORAGE_S3_ENDPOINT_URL=bucket.endpoint,
        STORAGE_S3_ACCESS_KEY_ID="test",
        STORAGE_S3_SECRET_ACCESS_KEY="test",
        STORAGE_S3_REGION="eu-west-2",
        STORAGE_S3_ADDRESSING_STYLE="path",
        LOG_LEVEL="WARNING",
        EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend",
    )
    roots = {}

    def env_for(machine: str) -> dict[str, str]:
        root = tmp_path_factory.mktemp(machine)
        roots[machine] = root
        return {
            **shared,
            "MEDIA_ROOT": str(root / "media"),
            "PRIVATE_MEDIA_ROOT": str(root / "private"),
        }

    def manage(machine_env, *args: str) -> str:
        result = subprocess.run(
            [sys.executable, "manage.py", *args],
            cwd=ROOT,
            env=machine_env,
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert result.returncode == 0, result.stderr[-3000:]
        return result.stdout

    admin_env = env_for("admin")  # the one-off commands: migrate, the fixtures, the letter
    manage(admin_env, "migrate", "--noinput", "-v0")
    form = json.loads(manage(admin_env, "shell", "-c", SETUP).strip().splitlines()[-1])
    processes = []
    ports = []
    logs = tmp_path_factory.mktemp("logs")
    for machine in ("web1", "web2"):
        port = free_port()
        ports.append(port)
        command = [sys.executable, "-m", "gunicorn", "schoolconduct.wsgi:application"]
        command += ["--bind", f"127.0.0.1:{port}", "--workers", "1", "--timeout", "60"]
        command += ["--no-control-socket"]  # several gunicorns on one machine
        processes.append(_start(command, env_for(machine), logs / f"{machine}.log"))
    worker = [sys.executable, "-m", "celery", "-A", "schoolconduct", "worker"]
    worker += ["--pool", "solo", "--loglevel", "WARNING", "--without-gossip", "--without-mingle"]
    processes.append(_start(worker, env_for("worker"), logs / "worker.log"))
    try:
        for port in ports:
            wait_for_port(port, 60)
        yield {
            "web1": ports[0],
            "web2": ports[1],
            "form": form,
            "bucket": bucket,
            "roots": roots,
            "letter": lambda: int(manage(admin_env, "shell", "-c", LETTER).split()[-1]),
            "logs": logs,
        }
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
        with psycopg.connect(admin, autocommit=True) as connection:
            connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _start(command: list[str], env: dict[str, str], log: Path) -> subprocess.Popen:
    handle = log.open("wb")
    return subprocess.Popen(command, cwd=ROOT, env=env, stdout=handle, stderr=subprocess.STDOUT)


def _until(what, seconds: float = 90):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        value = what()
        if value:
            return value
        time.sleep(0.5)
    raise AssertionError("timed out")


def test_a_report_on_one_machine_is_seen_on_another_and_letters_come_from_the_worker(machines):
    photo = jpeg_with_gps_and_rotation()
    form = machines["form"]

    # A parent sends a report with a photo to web 1.
    parent = HttpSession(machines["web1"])
    page = parent.get("/s/willow-park/report/")
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text)[1]
    response = parent.post_multipart(
        "/s/willow-park/report/",
        {**form, "csrfmiddlewaretoken": token},
        files={"screenshots": ("IMG_0001.JPG", "image/jpeg", photo)},
    )
    assert response.status == 302, response.text[:2000]

    # Staff sign in on web 2: the case is there, and the worker's clean copy shows.
    head = HttpSession(machines["web2"])
    assert head.sign_in("head", PASSWORD).status == 302
    cases = head.get("/staff/cases/").text
    reference = re.search(r"WPS-\d{4}-\d{4}", cases)[0]

    def case_page_with_picture():
        text = head.get(f"/staff/cases/{reference}/").text
        return None if 'data-evidence-status="processing"' in text else text

    text = _until(case_page_with_picture)
    evidence = re.search(r'src="/staff/evidence/(\d+)/"', text)[1]
    clean = head.get(f"/staff/evidence/{evidence}/")
    assert clean.status == 200 and clean.headers["Content-Type"] == "image/jpeg"
    with Image.open(io.BytesIO(clean.body)) as picture:
        assert picture.size == (100, 300) and not picture.getexif()  # upright, no GPS
    assert head.get(f"/staff/evidence/{evidence}/original/").body == photo

    # A letter: approved in a one-off command, its PDF rendered by the worker, downloaded
    # from either web process.
    letter = machines["letter"]()
    web1 = HttpSession(machines["web1"])
    assert web1.sign_in("head", PASSWORD).status == 302
    pdf_url = f"/staff/letters/{letter}/pdf/"
    first = _until(lambda: (r := web1.get(pdf_url)).status == 200 and r)
    second = head.get(pdf_url)
    assert second.status == 200 and second.body == first.body
    text = " ".join(page.extract_text() for page in PdfReader(io.BytesIO(first.body)).pages)
    assert "Mr Jason Turner" in " ".join(text.split())

    # Every file is in the bucket, and none on any machine's own folders.
    keys = machines["bucket"].keys()
    assert sum(k.startswith("private/evidence/original/") for k in keys) == 1
    assert sum(k.startswith("private/evidence/clean/") for k in keys) == 1
    assert sum(k.startswith("private/letters/") for k in keys) == 1
    for machine, root in machines["roots"].items():
        assert [p for p in root.rglob("*") if p.is_file()] == [], machine
