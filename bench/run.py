"""`make bench`: speed and memory figures, each beside its baseline measured in the same run.

Writes docs/benchmarks.md. Uses a throwaway SQLite database (or DATABASE_URL if set).
Figures are medians on a shared machine: compare the ratios, not the absolute times.
"""

from __future__ import annotations

import gc
import multiprocessing
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("SCHOOLCONDUCT_ENV", "development")
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "schoolconduct.settings")
_tmp = tempfile.mkdtemp(prefix="schoolconduct-bench-")
os.environ.setdefault("DATABASE_URL", f"sqlite:///{_tmp}/bench.sqlite3")
os.environ.setdefault("PRIVATE_MEDIA_ROOT", f"{_tmp}/private")
os.environ.setdefault("MEDIA_ROOT", f"{_tmp}/media")
os.environ["LOG_LEVEL"] = "WARNING"

import django  # noqa: E402

django.setup()

CASES = int(os.environ.get("BENCH_CASES", "100000"))
LETTERS = int(os.environ.get("BENCH_LETTERS", "200"))
lines: list[str] = []


def say(text: str = "") -> None:
    print(text, flush=True)
    lines.append(text)


def median_ms(fn, runs: int) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def rss_mb() -> float:
    with open("/proc/self/statm") as f:
        pages = int(f.read().split()[1])
    return pages * os.sysconf("SC_PAGE_SIZE") / 1024 / 1024


# --- data -----------------------------------------------------------------------------------


def setup_data():
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    call_command("demo_data", verbosity=0)
    from django.contrib.auth import get_user_model

    from incidents import workflow
    from incidents.models import Person
    from schools.models import School

    school = School.objects.get(slug="willow-park")
    head = get_user_model().objects.get(username="head")
    case = school.cases.order_by("pk").first()
    if case.status == "new":
        workflow.case_triage(
            case,
            head,
            severity="medium",
            nature="abusive",
            targets=["staff"],
            safeguarding_screen="none",
            lead=head,
            rules=list(school.rules.all()[:2]),
        )
        person = Person.objects.create(
            school=school,
            full_name="Mr Jason Turner",
            address="14 Orchard Close\nAshford Green",
            postcode="AG1 4TT",
        )
        workflow.case_person_add(case, head, person=person)
    return school, head, case


DETAILS = {
    "conduct_summary": "A message described a named member of staff as “useless” and "
    "encouraged other parents to complain about them.",
    "impact": "The member of staff was distressed; about forty parents saw the message.",
    "change_required": "Please remove the message and raise concerns with the school.",
    "response_deadline": "5 December 2026",
}


def sample_letter(case, head):
    from letters import services

    person = case.persons.first()
    return services.letter_draft(
        case=case,
        kind="warning",
        actor=head,
        details=DETAILS,
        delivery_method="post",
        person=person,
    )


# --- letters --------------------------------------------------------------------------------


def bench_letter_render(case, head) -> None:
    from weasyprint import HTML
    from weasyprint.text.fonts import FontConfiguration

    from letters import rendering

    letter = sample_letter(case, head)
    html, assets = rendering.letter_html(letter)
    bare_config, bare_cache = FontConfiguration(), {}

    def bare():
        HTML(
            string=html, base_url=rendering.ASSET_PREFIX, url_fetcher=rendering.make_fetcher(assets)
        ).write_pdf(font_config=bare_config, cache=bare_cache, pdf_tags=True)

    def ours():
        rendering.letter_pdf(letter)

    bare(), ours()  # warm both
    runs = 30
    bare_ms, ours_ms = median_ms(bare, runs), median_ms(ours, runs)
    say("## One letter (warm, same HTML, same process)")
    say()
    say("| | median | target |")
    say("|---|---|---|")
    say(f"| bare WeasyPrint, shared FontConfiguration | {bare_ms:.0f} ms | baseline |")
    say(
        f"| `letters.rendering.letter_pdf` | {ours_ms:.0f} ms | ≤ 1.3 × baseline: "
        f"**{ours_ms / bare_ms:.2f} ×** |"
    )
    say()

    gc.collect()
    before = rss_mb()
    for _ in range(300):
        rendering.letter_pdf(letter)
    gc.collect()
    growth = rss_mb() - before
    say("## Memory over 300 letters in one worker")
    say()
    say(
        f"RSS before {before:.0f} MB, after {before + growth:.0f} MB: growth "
        f"**{growth:.1f} MB** (target ≤ 10 MB)."
    )
    say()
    return letter


def _render_many(args) -> float:
    letter_id, count, bare = args
    import django

    django.setup()
    from weasyprint import HTML
    from weasyprint.text.fonts import FontConfiguration

    from letters import rendering
    from letters.models import Letter

    letter = Letter.objects.select_related("case__school").get(pk=letter_id)
    html, assets = rendering.letter_html(letter)
    config, cache = FontConfiguration(), {}
    rendering.warm_up()
    start = time.perf_counter()
    for _ in range(count):
        if bare:
            HTML(
                string=html,
                base_url=rendering.ASSET_PREFIX,
                url_fetcher=rendering.make_fetcher(assets),
            ).write_pdf(font_config=config, cache=cache)
        else:
            rendering.letter_pdf(letter)
    return time.perf_counter() - start


def bench_two_workers(letter) -> None:
    ctx = multiprocessing.get_context("fork")
    half = LETTERS // 2
    from django.db import connections

    connections.close_all()
    with ctx.Pool(2) as pool:
        bare = max(pool.map(_render_many, [(letter.pk, half, True)] * 2))
    with ctx.Pool(2) as pool:
        ours = max(pool.map(_render_many, [(letter.pk, half, False)] * 2))
    say(f"## {LETTERS} letters on two worker processes")
    say()
    say("| | wall time | target |")
    say("|---|---|---|")
    say(f"| bare WeasyPrint, two processes of {half} | {bare:.1f} s | baseline |")
    say(
        f"| our renderer, two processes of {half} | {ours:.1f} s | about the baseline: "
        f"**{ours / bare:.2f} ×** |"
    )
    say()


def bench_print_batch(letter, head) -> None:
    from django.core.files.base import ContentFile

    from letters import rendering, services
    from letters.models import Letter, LetterStatus, PrintBatch

    # 200 approved letters with their own stored PDFs (rendered once, as the task would).
    pdf = rendering.letter_pdf(letter)
    created = []
    for i in range(LETTERS):
        copy = Letter.objects.create(
            case=letter.case,
            kind=letter.kind,
            title=letter.title,
            person=letter.person,
            recipient_name=f"{letter.recipient_name} {i}",
            delivery_method="post",
            # An approved letter's text is merged and frozen (a draft keeps its [[fields]]).
            body_html=services.letter_merged_body(letter).replace("useless", f"useless ({i})"),
            context=letter.context,
            signatory_name=letter.signatory_name,
            created_by=head,
            status=LetterStatus.APPROVED,
        )
        created.append(copy)
    per_letter = []
    for copy in created:
        data = rendering.letter_pdf(copy).data
        copy.pdf.save(f"bench-{copy.pk}.pdf", ContentFile(data), save=False)
        copy.pdf_sha256 = __import__("hashlib").sha256(data).hexdigest()
        copy.pdf_pages, copy.status = 1, LetterStatus.READY
        copy.save(update_fields=["pdf", "pdf_sha256", "pdf_pages", "status"])
        per_letter.append(len(data))
    batch = PrintBatch.objects.create(school=letter.case.school, created_by=head)
    Letter.objects.filter(pk__in=[c.pk for c in created]).update(batch=batch)
    start = time.perf_counter()
    assert services.batch_assemble(batch_id=batch.pk)
    seconds = time.perf_counter() - start
    batch.refresh_from_db()
    size = batch.pdf.size / 1024 / 1024
    say(f"## Print batch of {LETTERS} stored letters")
    say()
    say(
        f"One letter's PDF: {statistics.mean(per_letter) / 1024:.0f} KB on average "
        f"({sum(per_letter) / 1024 / 1024:.1f} MB for {LETTERS} separately; "
        f"{len(pdf.data) / 1024:.0f} KB for the sample)."
    )
    say()
    say("| | measured | target |")
    say("|---|---|---|")
    say(f"| assemble from stored PDFs (SHA-256 checked) | **{seconds:.2f} s** | < 2 s |")
    say(f"| batch file | **{size:.2f} MB** | < 3 MB |")
    say()


# --- pages ----------------------------------------------------------------------------------


def bench_pages(school, head) -> None:
    import random

    from django.db import connection
    from django.test import Client
    from django.utils import timezone

    from incidents.models import Case, CaseEvent, CaseStatus

    existing = Case.objects.count()
    wanted = max(0, CASES - existing)
    start = time.perf_counter()
    year = timezone.localdate().year
    statuses = [s for s, _ in CaseStatus.choices]
    batch = []
    now = timezone.now()
    for i in range(wanted):
        batch.append(
            Case(
                school=school,
                reference=f"BEN-{year}-{i:06d}",
                status=random.choice(statuses),
                severity="low",
                opened_at=now - timezone.timedelta(minutes=i),
            )
        )
        if len(batch) == 5000:
            Case.objects.bulk_create(batch)
            batch = []
    Case.objects.bulk_create(batch)
    events = [
        CaseEvent(case_id=pk, kind="opened", summary="Case opened", to_status="new")
        for pk in Case.objects.filter(reference__startswith="BEN-").values_list("pk", flat=True)[
            :20000
        ]
    ]
    CaseEvent.objects.bulk_create(events, batch_size=5000)
    say(f"## Staff pages with {Case.objects.count():,} cases")
    say()
    say(f"(Made in {time.perf_counter() - start:.0f} s. Database: {connection.vendor}.)")
    say()
    client = Client(HTTP_HOST="127.0.0.1")
    client.force_login(head)
    case = school.cases.exclude(reference__startswith="BEN-").order_by("pk").first()
    pages = [
        ("hello-world baseline: /privacy/", "/privacy/"),
        ("dashboard", "/staff/"),
        ("case list, page 1", "/staff/cases/"),
        ("case list, filtered + search", "/staff/cases/?status=action&q=BEN-2026-0001"),
        ("case page", f"/staff/cases/{case.reference}/"),
    ]
    say("| page | median | queries |")
    say("|---|---|---|")
    for label, url in pages:
        assert client.get(url).status_code == 200, url
        queries: list[str] = []

        def count(execute, sql, *args, seen=queries):
            seen.append(sql)
            return execute(sql, *args)

        with connection.execute_wrapper(count):
            client.get(url)
        ms = median_ms(lambda u=url: client.get(u), 20)
        say(f"| {label} | {ms:.1f} ms | {len(queries)} |")
    say()


def bench_chat_parse() -> None:
    """A 50,000-message WhatsApp export, Android and iOS, against the report form's budget."""
    from bench.chat_parse import measure, report_lines

    for line in report_lines(measure()):
        say(line)
    say()


def main() -> None:
    school, head, case = setup_data()
    say("# Benchmarks")
    say()
    say(
        f"Measured by `make bench` on {time.strftime('%Y-%m-%d')}, "
        f"{os.cpu_count()} cores. Each figure is shown beside its baseline from the same run."
    )
    say()
    from weasyprint.text.ffi import harfbuzz_subset

    say(f"HarfBuzz subsetting: {'in use' if harfbuzz_subset is not None else 'MISSING'}.")
    say()
    letter = bench_letter_render(case, head)
    bench_two_workers(letter)
    bench_print_batch(letter, head)
    bench_pages(school, head)
    bench_chat_parse()
    out = ROOT / "docs" / "benchmarks.md"
    out.write_text("\n".join(lines) + "\n")
    print(f"Wrote {out}")


if __name__ == "__main__":
    main()
