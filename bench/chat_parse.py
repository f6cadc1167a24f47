"""Time to read a 50,000-message WhatsApp export, against the report form's budget.

A small script on its own so `make bench` (bench/run.py) can call it — `measure()` returns the
figures, or run it directly: `.venv/bin/python bench/chat_parse.py`. Pure Python: the parser
(incidents/whatsapp.py) needs no Django, so neither does this. Medians on a shared machine;
compare the figure with the budget measured in the same run, not with another day's.
"""

from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from incidents import whatsapp  # noqa: E402
from tests.chat_samples import big_export  # noqa: E402

MESSAGES = 50_000
RUNS = 5


def measure(messages: int = MESSAGES, runs: int = RUNS) -> dict[str, float]:
    """Median seconds (wall clock, and this process's CPU time) to parse an Android and an iOS
    export of `messages` messages."""
    figures: dict[str, float] = {"budget_s": whatsapp.PARSE_BUDGET_SECONDS}
    for platform, ios in (("android", False), ("ios", True)):
        data = big_export(messages, ios=ios)
        times, cpu = [], []
        for _ in range(runs):
            started, started_cpu = time.perf_counter(), time.process_time()
            export = whatsapp.read_export(data, f"{platform}.txt")
            times.append(time.perf_counter() - started)
            cpu.append(time.process_time() - started_cpu)
        assert len(export.messages) == messages + 1
        figures[f"{platform}_s"] = statistics.median(times)
        figures[f"{platform}_cpu_s"] = statistics.median(cpu)
        figures[f"{platform}_mb"] = len(data) / 1e6
    return figures


def report_lines(figures: dict[str, float]) -> list[str]:
    """Markdown lines for docs/benchmarks.md."""
    return [
        f"## WhatsApp export parsing ({MESSAGES:,} messages)",
        "",
        "| export | size | median parse time | CPU time | form budget |",
        "|---|---|---|---|---|",
        *(
            f"| {p} | {figures[f'{p}_mb']:.1f} MB | {figures[f'{p}_s'] * 1000:.0f} ms "
            f"| {figures[f'{p}_cpu_s'] * 1000:.0f} ms | {figures['budget_s'] * 1000:.0f} ms |"
            for p in ("android", "ios")
        ),
    ]


if __name__ == "__main__":
    print("\n".join(report_lines(measure())))
