"""The report form with five 4 MB photos, against a bare multipart POST of the same files.

Both go to the same gunicorn (one sync worker, production middleware) and are timed in turn,
interleaved, over loopback: the bare view exists only here (a URLconf written to a temporary
folder, never in production URLs), reads the files and answers. The parent's POST checks each
photo (type, size, pixels, hidden markup, the container's end; no decode), seals and stores the
originals and queues the re-encoding on Redis (no worker runs: its time is not the parent's).
Target: ≤ 1.5×.

Before each round (not timed) the disk is given time to write what the round before stored
(`os.sync`), as a school's server has between two reports. Back to back, rounds of 22 MB
soon leave a few hundred megabytes the disk has not written yet, and from there the kernel
holds every writer to the disk's own speed (on the machine of docs/benchmarks.md, after
≈ 200 MB, at ≈ 250 MB/s: the originals' writes then took ≈ 80 ms instead of ≈ 6) — a cost
the bare POST never pays, as its temporary files are deleted before they reach the disk, and
one that a school's handful of reports a day never meets.

Run alone (`python bench/report_post.py`, exits 1 when the target is missed) or from
bench/run.py through `measure()`. Needs Redis: CELERY_BROKER_URL, else BENCH_REDIS_URL, else
redis://127.0.0.1:6379/14 (its queue is emptied after).
"""

from __future__ import annotations

import http.client
import io
import os
import random
import re
import secrets
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.helpers import free_port, wait_for_port  # noqa: E402

TARGET = 1.5
PHOTOS = int(os.environ.get("BENCH_REPORT_PHOTOS", "5"))

URLS = '''
from django.http import HttpResponse
from django.urls import path
from django.views.decorators.csrf import csrf_exempt

from schoolconduct.urls import urlpatterns as project


@csrf_exempt
def bare(request):
    """Read every uploaded file, as the report form does, and do nothing with them."""
    size = sum(len(f.read()) for f in request.FILES.getlist("screenshots"))
    return HttpResponse(str(size), status=302)


urlpatterns = [path("bench/bare-upload/", bare), *project]
'''

SETTINGS = """
from schoolconduct.settings import *  # noqa: F403

ROOT_URLCONF = "bench_report_urls"
"""

SETUP = """
from tests.factories import GroupFactory, RuleFactory, SchoolFactory
school = SchoolFactory(name="Bench Primary", slug="bench", reference_prefix="BEN")
RuleFactory(school=school)
GroupFactory(school=school)
print(school.groups.first().pk, school.rules.first().pk)
"""


def photo(seed: int) -> bytes:
    """A deterministic photo-like JPEG of about 4 MB (12 megapixels of smooth noise)."""
    from PIL import Image

    noise = random.Random(seed).randbytes(1000 * 750 * 3)
    image = Image.frombytes("RGB", (1000, 750), noise).resize((4000, 3000), Image.BILINEAR)
    out = io.BytesIO()
    image.save(out, format="JPEG", quality=85)
    return out.getvalue()


def multipart(fields: dict[str, str], files: list[tuple[str, bytes]]) -> tuple[bytes, str]:
    boundary = uuid.uuid4().hex
    parts = [
        f'--{boundary}\r\nContent-Disposition: form-data; name="{k}"\r\n\r\n{v}\r\n'.encode()
        for k, v in fields.items()
    ]
    for name, data in files:
        parts.append(
            f'--{boundary}\r\nContent-Disposition: form-data; name="screenshots"; '
            f'filename="{name}"\r\nContent-Type: image/jpeg\r\n\r\n'.encode()
            + data
            + b"\r\n"
        )
    return b"".join(parts) + f"--{boundary}--\r\n".encode(), boundary


def _redis_url() -> str:
    return (
        os.environ.get("CELERY_BROKER_URL")
        or os.environ.get("BENCH_REDIS_URL")
        or "redis://127.0.0.1:6379/14"
    )


def measure(runs: int = 7) -> dict:
    """Median milliseconds of the bare POST and of the report POST, and their ratio."""
    import redis

    broker = _redis_url()
    redis.Redis.from_url(broker).ping()  # raises if Redis is not there
    tmp = Path(tempfile.mkdtemp(prefix="schoolconduct-report-bench-"))
    (tmp / "bench_report_urls.py").write_text(URLS)
    (tmp / "bench_report_settings.py").write_text(SETTINGS)
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("DJANGO_", "CELERY_", "CACHE_", "STORAGE_"))
    }
    env.update(
        PYTHONPATH=f"{tmp}:{ROOT}",
        DJANGO_SETTINGS_MODULE="bench_report_settings",
        SCHOOLCONDUCT_ENV="development",
        DEBUG="false",
        SECRET_KEY=secrets.token_urlsafe(64),
        DATABASE_URL=os.environ.get("DATABASE_URL") or f"sqlite:///{tmp / 'bench.sqlite3'}",
        CELERY_BROKER_URL=broker,
        MEDIA_ROOT=str(tmp / "media"),
        PRIVATE_MEDIA_ROOT=str(tmp / "private"),
        RATE_LIMIT_REPORT_PER_HOUR="10000",
        LOG_LEVEL="WARNING",
    )
    # Our own interpreter and fixed arguments only (no input from outside).
    manage = [sys.executable, str(ROOT / "manage.py")]
    migrate = [*manage, "migrate", "--noinput", "-v0"]
    subprocess.run(migrate, env=env, check=True, cwd=ROOT)  # noqa: S603
    out = subprocess.run(  # noqa: S603
        [*manage, "shell", "-c", SETUP], env=env, check=True, cwd=ROOT, capture_output=True
    )
    group, rule = out.stdout.decode().split()[-2:]
    port = free_port()
    gunicorn = [sys.executable, "-m", "gunicorn", "schoolconduct.wsgi:application"]
    server = subprocess.Popen(  # noqa: S603
        [*gunicorn, "--bind", f"127.0.0.1:{port}", "--workers", "1", "--no-control-socket"],
        env=env,
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=(tmp / "gunicorn.log").open("wb"),
    )
    try:
        wait_for_port(port)
        files = [(f"IMG_{n:04d}.JPG", photo(n)) for n in range(PHOTOS)]
        bare, report = [], []
        for run in range(runs + 1):
            os.sync()  # not timed: see the module's docstring
            cookie, token = _form(port)
            fields = {
                "csrfmiddlewaretoken": token,
                "group": group,
                "posted_on": time.strftime("%Y-%m-%d", time.localtime(time.time() - 86400)),
                "content": "A parent called the Year 3 teacher useless.",
                "rules": rule,
                "poster_description": "A parent in the group",
                "child_at_risk": "no",
                "contact_preference": "follow_up",
            }
            body, boundary = multipart(fields, files)
            for path, times in (("/bench/bare-upload/", bare), ("/s/bench/report/", report)):
                elapsed, status, text = _post(port, path, body, boundary, cookie)
                if status != 302:
                    (tmp / "answer.html").write_text(text)
                    raise RuntimeError(f"{path} answered {status}: see {tmp}/answer.html")
                if run:  # the first round warms up
                    times.append(elapsed)
    finally:
        server.terminate()
        server.wait(timeout=30)
        redis.Redis.from_url(broker).flushdb()  # the queued clean copies: no worker here
    shutil.rmtree(tmp, ignore_errors=True)  # the rounds' stored photos (≈ 180 MB); kept on error
    bare_ms, report_ms = statistics.median(bare), statistics.median(report)
    return {
        "bare_ms": bare_ms,
        "report_ms": report_ms,
        "ratio": report_ms / bare_ms,
        "spread": (min(report) / bare_ms, max(report) / bare_ms),
        "megabytes": sum(len(d) for _, d in files) / 1e6,
    }


def _form(port: int) -> tuple[str, str]:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    connection.request("GET", "/s/bench/report/", headers={"Host": f"127.0.0.1:{port}"})
    response = connection.getresponse()
    page = response.read().decode()
    cookie = re.search(r"csrftoken=([^;]+)", response.headers["Set-Cookie"])[1]
    return cookie, re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)[1]


def _post(port: int, path: str, body: bytes, boundary: str, cookie: str):
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    headers = {
        "Host": f"127.0.0.1:{port}",
        "Content-Type": f"multipart/form-data; boundary={boundary}",
        "Cookie": f"csrftoken={cookie}",
        "Origin": f"http://127.0.0.1:{port}",
        "Referer": f"http://127.0.0.1:{port}/s/bench/report/",
    }
    started = time.perf_counter()
    connection.request("POST", path, body=body, headers=headers)
    response = connection.getresponse()
    text = response.read().decode(errors="replace")
    elapsed = (time.perf_counter() - started) * 1000
    connection.close()
    return elapsed, response.status, text


def main() -> int:
    result = measure()
    print(
        f"Report form, {PHOTOS} photos ({result['megabytes']:.1f} MB): "
        f"{result['report_ms']:.0f} ms against a bare multipart POST's {result['bare_ms']:.0f} ms"
        f" = {result['ratio']:.2f}× (spread {result['spread'][0]:.2f}–{result['spread'][1]:.2f}×;"
        f" target ≤ {TARGET}×)"
    )
    return 0 if result["ratio"] <= TARGET else 1


if __name__ == "__main__":
    sys.exit(main())
