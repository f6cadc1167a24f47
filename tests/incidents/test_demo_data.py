import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command

from incidents.models import Report
from schools.models import Group, Membership, Role, Rule, School, Trust, TrustMembership
from schools.services import DEFAULT_RULES

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.django_db
def test_demo_data_creates_trust_schools_rules_groups_and_staff(capsys):
    call_command("demo_data")
    assert Trust.objects.count() == 1
    assert School.objects.count() == 2
    for school in School.objects.all():
        assert school.rules.count() == len(DEFAULT_RULES)
        assert school.groups.exists()
    User = get_user_model()
    for username in ("head", "dsl", "office", "trust"):
        user = User.objects.get(username=username)
        assert user.check_password("schoolconduct-demo")
        assert not user.is_staff  # the admin site is for administrators only
    assert Membership.objects.get(user__username="head").is_head_teacher
    assert Membership.objects.get(user__username="dsl").role == Role.DSL
    assert Membership.objects.get(user__username="office").role == Role.OFFICE
    assert TrustMembership.objects.filter(user__username="trust").exists()
    # One sample incident happened at the school gate, witnessed by the office.
    gate = Report.objects.get(conduct="in_person")
    assert gate.conduct_place == "at the school gate" and gate.witness.username == "office"
    out = capsys.readouterr().out
    assert "schoolconduct-demo" in out and "head" in out


@pytest.mark.django_db
def test_demo_data_is_idempotent():
    call_command("demo_data")
    counts = [
        m.objects.count()
        for m in (Trust, School, Rule, Group, Membership, TrustMembership, get_user_model())
    ]
    call_command("demo_data")
    assert counts == [
        m.objects.count()
        for m in (Trust, School, Rule, Group, Membership, TrustMembership, get_user_model())
    ]


def test_demo_data_is_refused_in_production(tmp_path):
    env = {
        **os.environ,
        "SCHOOLCONDUCT_ENV": "production",
        "SECRET_KEY": "s" * 60,
        "ALLOWED_HOSTS": "x.example",
        "SITE_URL": "https://x.example",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
    }
    env.pop("DJANGO_SETTINGS_MODULE", None)
    env.pop("DEBUG", None)
    result = subprocess.run(
        [sys.executable, "manage.py", "demo_data"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode != 0
    assert "never created in production" in result.stderr
