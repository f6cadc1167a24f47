"""The markup check has two engines (incidents.evidence): Hyperscan where it is installed, and
Python's re otherwise. Both are built from the same tag lists and must give the same answer on
every input, through MarkupScan's chunks too; Hyperscan must leave the GIL to other threads
while it scans, which is why it is there."""

from __future__ import annotations

import io
import itertools
import os
import random
import signal
import sys
import threading

import pytest
from PIL import Image

from incidents import evidence

WHITESPACE = [b" ", b"\t", b"\n", b"\r", b"\x0b", b"\x0c"]
LETTERS = [bytes([c]) for c in b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"]
FILLER = b"\x00\x11\xfe" * 30

# One example of each pattern: every tag, "<svg" and "<img" with a byte that completes them,
# and "javascript:".
EXAMPLES = [
    *(f"<{tag}".encode() for tag in evidence._MARKUP_TAGS),
    b"<svg/",
    b"<img\x0c",
    b"javascript:",
]


@pytest.fixture
def hs():
    pytest.importorskip("hyperscan")
    return evidence._has_markup_hs


def _case_mixes(word: bytes):
    """Every mix of upper and lower case of the ASCII letters in `word`."""
    options = [
        (bytes([c]).lower(), bytes([c]).upper()) if chr(c).isalpha() else (bytes([c]),)
        for c in word
    ]
    for combo in itertools.product(*options):
        yield b"".join(combo)


def _agree(hs, data: bytes) -> bool:
    """Both engines' answer, which must be the same."""
    answer = evidence._has_markup_re(data)
    assert hs(data) is answer, data
    return answer


def test_hyperscan_is_the_engine_when_it_is_installed(hs):
    assert evidence._has_markup is evidence._has_markup_hs


def test_the_hyperscan_patterns_come_from_the_same_lists():
    assert len(evidence._HS_EXPRESSIONS) == (
        len(evidence._MARKUP_TAGS) + len(evidence._MARKUP_TAGS_SPACED) + 1
    )
    assert b"<\\?php" in evidence._HS_EXPRESSIONS and b"<svg[\\s/>]" in evidence._HS_EXPRESSIONS


@pytest.mark.parametrize("example", EXAMPLES, ids=lambda e: e.decode("latin-1"))
def test_every_pattern_in_every_case_mix(hs, example):
    for mixed in _case_mixes(example):
        assert _agree(hs, FILLER + mixed + FILLER), mixed
        assert _agree(hs, mixed), mixed  # at the very start and end too
    assert not _agree(hs, FILLER + example[:-1] + b"\x00" + FILLER)


def test_svg_then_whitespace_slash_or_angle_bracket_is_markup_and_then_a_letter_is_not(hs):
    for after in [*WHITESPACE, b"/", b">"]:
        for tag in _case_mixes(b"<svg"):
            assert _agree(hs, FILLER + tag + after + FILLER), (tag, after)
    for after in LETTERS:
        assert not _agree(hs, FILLER + b"<svg" + after + FILLER), after
        assert not _agree(hs, FILLER + b"<SVG" + after + FILLER), after


def test_img_then_whitespace_is_markup_and_then_a_slash_or_letter_is_not(hs):
    for after in WHITESPACE:
        for tag in _case_mixes(b"<img"):
            assert _agree(hs, FILLER + tag + after + FILLER), (tag, after)
    for after in [b"/", b">", *LETTERS]:
        assert not _agree(hs, FILLER + b"<img" + after + FILLER), after
        assert not _agree(hs, FILLER + b"<IMG" + after + FILLER), after


def test_every_byte_after_svg_and_img(hs):
    """All 256: Python's \\s on bytes and Hyperscan's are the same six bytes."""
    svg = {bytes([b]) for b in range(256) if _agree(hs, b"<svg" + bytes([b]))}
    img = {bytes([b]) for b in range(256) if _agree(hs, b"<img" + bytes([b]))}
    assert svg == {*WHITESPACE, b"/", b">"}
    assert img == set(WHITESPACE)


def test_every_byte_in_every_position_of_every_pattern(hs):
    """Each pattern with one byte changed to each of the 256: the same answer from both (no
    engine folds a byte above 127 to a letter, or misses a case the other finds)."""
    found = 0
    for example in EXAMPLES:
        for pos in range(len(example)):
            for byte in range(256):
                found += _agree(hs, example[:pos] + bytes([byte]) + example[pos + 1 :])
    assert found > 0


def _scan_in_chunks(chunks, engine, monkeypatch) -> bool:
    monkeypatch.setattr(evidence, "_has_markup", engine)
    scan = evidence.MarkupScan()
    for chunk in chunks:
        scan.feed(chunk)
    return scan.found


@pytest.mark.parametrize("example", [*EXAMPLES, b"<SvG\x0b", b"JaVaScRiPt:", b"<!DocType"])
def test_a_pattern_split_across_two_chunks_at_every_point(hs, monkeypatch, example):
    head, tail = b"\x00\x11" * 40, b"\x11\x00" * 40
    for cut in range(1, len(example)):
        chunks = [head + example[:cut], example[cut:] + tail]
        assert _scan_in_chunks(chunks, evidence._has_markup_re, monkeypatch), (example, cut)
        assert _scan_in_chunks(chunks, hs, monkeypatch), (example, cut)
        near_miss = [head + example[:cut], example[cut:-1] + b"\x00" + tail]
        assert not _scan_in_chunks(near_miss, evidence._has_markup_re, monkeypatch)
        assert not _scan_in_chunks(near_miss, hs, monkeypatch)


def test_random_binary_data(hs, monkeypatch):
    """200 random 64 KB chunks, some with a pattern (in a random case) or a near miss in them:
    the same answer for each chunk and for the stream through MarkupScan."""
    rng = random.Random(20261202)
    tokens = [*EXAMPLES, b"<svgx", b"<img/", b"javascript", b"<scrip", b"<?ph", b"<!doc"]
    chunks, answers = [], []
    for _ in range(200):
        chunk = bytearray(rng.randbytes(evidence.SCAN_CHUNK))
        if rng.random() < 0.5:
            token = bytes(
                c ^ 0x20 if chr(c).isalpha() and rng.random() < 0.5 else c
                for c in rng.choice(tokens)
            )
            at = rng.randrange(len(chunk) - len(token))
            chunk[at : at + len(token)] = token
        chunks.append(bytes(chunk))
        answers.append(_agree(hs, bytes(chunk)))
    assert 10 < sum(answers) < 190  # both answers were exercised
    clean = [chunk for chunk, found in zip(chunks, answers, strict=True) if not found]
    for stream, expected in [(chunks, True), (clean, False)]:
        assert _scan_in_chunks(stream, evidence._has_markup_re, monkeypatch) is expected
        assert _scan_in_chunks(stream, hs, monkeypatch) is expected


def test_a_real_jpeg_and_the_same_jpeg_with_a_script_appended(hs, monkeypatch):
    out = io.BytesIO()
    rng = random.Random(5)
    picture = Image.frombytes("RGB", (400, 300), rng.randbytes(400 * 300 * 3))
    picture.save(out, "JPEG", quality=90)
    photo = out.getvalue()
    assert not _agree(hs, photo)
    assert _agree(hs, photo + b"<script>alert(1)</script>")
    for engine in (evidence._has_markup_re, hs):
        monkeypatch.setattr(evidence, "_has_markup", engine)
        assert not evidence.scan(photo).markup
        assert evidence.scan(photo + b"<script>alert(1)</script>").markup


def test_empty_and_non_bytes_buffers(hs):
    assert not _agree(hs, b"")
    assert hs(memoryview(b"..<svg>..")) and hs(bytearray(b"..<svg>.."))


def test_threads_scanning_at_once_each_get_the_right_answer(hs):
    """Hyperscan's scratch space is per thread: concurrent scans neither fail nor mix up."""
    markup = random.Random(1).randbytes(256 * 1024).replace(b"<", b"(") + b"<Script"
    clean = markup[:-7]
    errors: list[BaseException] = []

    def run(n: int) -> None:
        try:
            for i in range(60):
                data, expected = (markup, True) if (i + n) % 2 else (clean, False)
                assert hs(data) is expected
        except BaseException as error:  # reported below
            errors.append(error)

    threads = [threading.Thread(target=run, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors


def _another_thread_ran_during(engine, data: bytes) -> bool:
    """Whether a thread waiting for the GIL got it while `engine(data)` ran. The switch interval
    is made long (1 s) so that this thread gives the GIL up only where C code releases it: a
    thread that keeps it (re) is never seen, however the machine is loaded."""
    interval = sys.getswitchinterval()
    sys.setswitchinterval(1.0)
    try:
        ran: list[bool] = []
        go = threading.Event()
        helper = threading.Thread(target=lambda: (go.wait(), ran.append(True)))
        helper.start()
        go.set()  # the helper now waits for the GIL
        engine(data)
        seen = bool(ran)
        helper.join()
        return seen
    finally:
        sys.setswitchinterval(interval)


def test_hyperscan_leaves_the_gil_to_other_threads_while_it_scans(hs):
    data = random.Random(3).randbytes(32 * 1024 * 1024).replace(b"<", b"(").replace(b":", b";")
    assert not hs(data)
    # The check itself: re keeps the GIL for the whole search, and is never seen to let go.
    assert not any(_another_thread_ran_during(evidence._has_markup_re, data) for _ in range(3))
    # Hyperscan lets go for the whole scan (~20 ms): the helper, waiting already, runs in it
    # (a few tries, in case the machine is too busy to wake it in time once).
    assert any(_another_thread_ran_during(hs, data) for _ in range(10))


def test_the_database_compiled_before_a_fork_works_in_the_child(hs):
    """As in gunicorn with a preloaded app: the child scans with its parent's database; and a
    child forked while the compile lock was held can still compile its own."""
    assert hs(b"<svg>") and not hs(b"<svgx")  # compiled here, before the fork
    with evidence._hs_lock:  # as if another thread were compiling at the fork
        pid = os.fork()
        if pid == 0:  # pragma: no cover - the child reports through its exit code
            code = 1
            try:
                signal.alarm(10)  # a lock left held would hang: fail instead
                ok = hs(b"..<IMG\n..") and not hs(b"..<img/..")
                evidence._hs_database = None  # compile again, which takes the lock
                ok = ok and hs(b"JavaScript:") and not hs(b"java script:")
                code = 0 if ok else 2
            finally:
                os._exit(code)
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0
