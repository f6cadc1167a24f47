"""Two factors are always required in production; only the demo may switch them off."""

from __future__ import annotations

from tests.helpers import PROD_ENV, run_django, settings_value


def test_production_requires_two_factors_and_refuses_to_switch_them_off():
    assert settings_value("REQUIRE_TWO_FACTOR", PROD_ENV) == "True"
    result = run_django("pass", {**PROD_ENV, "REQUIRE_TWO_FACTOR": "false"})
    assert result.returncode != 0
    assert "REQUIRE_TWO_FACTOR cannot be switched off in production" in result.stderr


def test_the_demo_relaxes_it_unless_asked():
    dev = {"SCHOOLCONDUCT_ENV": "development"}
    assert settings_value("REQUIRE_TWO_FACTOR", dev) == "False"
    assert settings_value("REQUIRE_TWO_FACTOR", {**dev, "REQUIRE_TWO_FACTOR": "true"}) == "True"


def test_passkeys_check_the_origin_in_production():
    assert settings_value("MFA_WEBAUTHN_ALLOW_INSECURE_ORIGIN", PROD_ENV) == "False"


def test_school_sign_in_never_creates_accounts():
    for name in ("SOCIALACCOUNT_AUTO_SIGNUP", "SOCIALACCOUNT_EMAIL_AUTHENTICATION"):
        assert settings_value(name, PROD_ENV) == "False"


def test_second_factor_secrets_are_encrypted_with_secret_key_unless_told():
    assert settings_value("MFA_ENCRYPTION_KEYS", PROD_ENV) == repr([PROD_ENV["SECRET_KEY"]])
    blank = {**PROD_ENV, "MFA_ENCRYPTION_KEYS": ""}
    assert settings_value("MFA_ENCRYPTION_KEYS", blank) == repr([PROD_ENV["SECRET_KEY"]])
    rotated = {**PROD_ENV, "SECRET_KEY_FALLBACKS": "an-old-secret-key"}
    assert settings_value("MFA_ENCRYPTION_KEYS", rotated) == repr(
        [PROD_ENV["SECRET_KEY"], "an-old-secret-key"]
    )
    two = {**PROD_ENV, "MFA_ENCRYPTION_KEYS": "new-key,old-key"}
    assert settings_value("MFA_ENCRYPTION_KEYS", two) == repr(["new-key", "old-key"])
