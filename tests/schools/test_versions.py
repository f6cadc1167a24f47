"""`schools.versions`, the one "cached until the data changes" mechanism: a name's token is
replaced at once and again, once per transaction, on commit; a cache that is down or not
shared by every process is never used."""

from __future__ import annotations

import pytest
from django.core.cache import cache
from django.db import transaction

from schools import versions


def _token(name: str) -> str:
    found = versions.tokens([name])
    assert found is not None
    return found[name]


def test_a_name_keeps_its_token_until_it_changes():
    first = versions.tokens(["t:a", "t:b"])
    assert first is not None and set(first) == {"t:a", "t:b"} and all(first.values())
    assert versions.tokens(["t:b", "t:a"]) == first
    versions.changed("t:a")
    after = versions.tokens(["t:a", "t:b"])
    assert after is not None
    assert after["t:a"] != first["t:a"] and after["t:b"] == first["t:b"]


def test_a_missing_token_gets_a_new_one_never_used_before():
    old = _token("t:evicted")
    cache.delete(versions.PREFIX + "t:evicted")
    assert _token("t:evicted") != old


@pytest.mark.django_db
def test_a_change_gives_a_new_token_at_once_and_again_on_commit(
    django_capture_on_commit_callbacks,
):
    before = _token("t:at-once")
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        versions.changed("t:at-once")
        inside = _token("t:at-once")
        assert inside != before  # the rest of the transaction reads its own change
    assert _token("t:at-once") not in (before, inside)


@pytest.mark.django_db
def test_one_flush_per_transaction_for_all_its_names(
    monkeypatch, django_capture_on_commit_callbacks
):
    versions._flush()  # nothing left over from earlier tests' transactions
    replaced: list[set[str]] = []
    real = versions._replace
    monkeypatch.setattr(
        versions, "_replace", lambda names: replaced.append(set(names)) or real(names)
    )
    with django_capture_on_commit_callbacks() as callbacks, transaction.atomic():
        versions.changed("t:one", "t:two")
        versions.changed("t:two")
        versions.changed("t:three")
    assert len(replaced) == 3  # at once, each call
    replaced.clear()
    for callback in callbacks:
        callback()
    assert replaced == [{"t:one", "t:two", "t:three"}]


def test_outside_a_transaction_the_change_is_made_once(monkeypatch):
    replaced: list[set[str]] = []
    real = versions._replace
    monkeypatch.setattr(
        versions, "_replace", lambda names: replaced.append(set(names)) or real(names)
    )
    versions.changed("t:autocommit", "")
    assert replaced == [{"t:autocommit"}]


@pytest.mark.django_db
def test_a_cache_that_is_down_gives_none_and_a_change_does_not_raise(
    monkeypatch, caplog, django_capture_on_commit_callbacks
):
    def down(*args, **kwargs):
        raise ConnectionError("cache down")

    for method in ("get", "get_many", "set", "set_many", "add"):
        monkeypatch.setattr(cache, method, down)
    assert versions.tokens(["t:down"]) is None
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        versions.changed("t:down")  # saving data must not fail for the cache
    assert "Could not replace the version tokens" in caplog.text


def test_an_unshared_cache_is_never_used(settings):
    assert versions.tokens(["t:shared"]) is not None
    settings.CACHE_SHARED = False
    assert versions.tokens(["t:shared"]) is None


@pytest.mark.parametrize(
    ("environment", "expected"),
    [({}, False), ({"CACHE_URL": "redis://127.0.0.1:6379/0"}, True)],
)
def test_the_cache_is_shared_only_with_redis(environment, expected):
    """Without Redis the settings fall back to a per-process memory cache: not shared."""
    import os
    import subprocess
    import sys
    from pathlib import Path

    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("CACHE_URL", "CELERY_BROKER_URL", "DJANGO_SETTINGS_MODULE")
    }
    env.update(environment, SCHOOLCONDUCT_ENV="development")
    code = "import schoolconduct.settings as s; print(s.CACHE_SHARED)"
    out = subprocess.run(
        [sys.executable, "-c", code],
        cwd=Path(__file__).parents[2],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    assert out.stdout.strip() == str(expected)


def test_tokens_and_entries_come_in_one_read():
    cache.set("t:entry-kept", {"form": "<form>"})
    cache.delete("t:entry-gone")
    found, entries = versions.tokens_and(["t:with"], ["t:entry-kept", "t:entry-gone", ""])
    assert found == versions.tokens(["t:with"])
    assert entries == {"t:entry-kept": {"form": "<form>"}}  # what is not there is left out
    # No names: the entries alone.
    assert versions.tokens_and([], ["t:entry-kept"]) == ({}, {"t:entry-kept": {"form": "<form>"}})


def test_tokens_and_entries_are_not_read_from_a_cache_not_shared(settings):
    cache.set("t:entry-private", 1)
    settings.CACHE_SHARED = False
    assert versions.tokens_and(["t:private"], ["t:entry-private"]) == (None, {})
