"""Key resolution, modes, the live-key guard, status and redaction."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from stripe_nb_agent.config import Status, resolve_settings
from stripe_nb_agent.errors import (
    ConfigError,
    LiveKeyRefusedError,
    MissingKeyError,
    ModelHTTPError,
    StripeNbAgentError,
)
from stripe_nb_agent.redaction import Secret, key_hint, redact, register_secret
from stripe_nb_agent.wiring import describe_services

TEST_KEY = "sk_test_51AbCdEfGhIjKlMnOpQrStUvWxa1b2"
LIVE_KEY = "sk_live_51ZyXwVuTsRqPoNmLkJiHgFeDc9z8y"


def test_no_keys_means_sandbox_for_both_services() -> None:
    settings = resolve_settings(environ={})
    assert settings.model_mode == "sandbox"
    assert settings.stripe_mode == "sandbox"


def test_auto_mode_goes_live_only_for_the_service_whose_key_is_present() -> None:
    settings = resolve_settings(environ={"STRIPE_SECRET_KEY": TEST_KEY})
    assert settings.stripe_mode == "live"
    assert settings.model_mode == "sandbox"


def test_sandbox_mode_wins_over_keys() -> None:
    env = {"STRIPE_NB_AGENT_MODE": "sandbox", "STRIPE_SECRET_KEY": LIVE_KEY, "DAT1_API_KEY": "d" * 32}
    settings = resolve_settings(environ=env)
    assert (settings.model_mode, settings.stripe_mode) == ("sandbox", "sandbox")


def test_argument_beats_environment_beats_dotenv(tmp_path: Path) -> None:
    dotenv = tmp_path / ".env"
    dotenv.write_text(
        f"STRIPE_SECRET_KEY={TEST_KEY}\nDAT1_API_KEY=dotenv-dat1-key-0000\nSTRIPE_ACCOUNT=acct_9\n"
    )
    env = {"DAT1_API_KEY": "env-dat1-key-1111"}
    settings = resolve_settings(environ=env, dotenv=dotenv, dat1_api_key="arg-dat1-key-2222")
    assert settings.dat1_api_key is not None
    assert settings.dat1_api_key.reveal() == "arg-dat1-key-2222"
    assert settings.sources["DAT1_API_KEY"] == "argument"
    assert settings.stripe_secret_key is not None
    assert settings.stripe_secret_key.reveal() == TEST_KEY
    assert settings.sources["STRIPE_SECRET_KEY"] == ".env"
    assert settings.stripe_account == "acct_9"


def test_dotenv_is_not_read_unless_asked(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / ".env").write_text(f"STRIPE_SECRET_KEY={TEST_KEY}\n")
    monkeypatch.chdir(tmp_path)
    assert resolve_settings(environ={}).stripe_secret_key is None
    assert resolve_settings(environ={}, dotenv=True).stripe_secret_key is not None


def test_missing_dotenv_path_says_what_to_do(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"No \.env file"):
        resolve_settings(environ={}, dotenv=tmp_path / "nope.env")


def test_live_key_is_refused_unless_allowed() -> None:
    with pytest.raises(LiveKeyRefusedError) as info:
        resolve_settings(environ={"STRIPE_SECRET_KEY": LIVE_KEY})
    assert "allow_live=True" in str(info.value)
    assert LIVE_KEY not in str(info.value)
    assert "sk_live_…9z8y" in str(info.value)
    allowed = resolve_settings(environ={"STRIPE_SECRET_KEY": LIVE_KEY}, allow_live=True)
    assert allowed.stripe_livemode_key
    assert "LIVE MODE" in str(Status(describe_services(allowed, None)))


def test_restricted_live_key_is_refused_too() -> None:
    with pytest.raises(LiveKeyRefusedError):
        resolve_settings(environ={"STRIPE_SECRET_KEY": "rk_live_abcdefghijklmnop"})


def test_publishable_and_odd_keys_are_explained() -> None:
    with pytest.raises(ConfigError, match="publishable"):
        resolve_settings(environ={"STRIPE_SECRET_KEY": "pk_test_abcdefghijklmnop"})
    with pytest.raises(ConfigError, match="starts with sk_test_"):
        resolve_settings(environ={"STRIPE_SECRET_KEY": "hello-world-key"})


def test_live_mode_without_keys_names_the_variable_and_the_sandbox() -> None:
    with pytest.raises(MissingKeyError) as info:
        resolve_settings(environ={"STRIPE_NB_AGENT_MODE": "live"})
    message = str(info.value)
    assert "DAT1_API_KEY" in message
    assert "sandbox" in message


def test_unknown_mode_lists_the_choices() -> None:
    with pytest.raises(ConfigError, match=r"'auto'.*'sandbox'.*'live'"):
        resolve_settings(environ={"STRIPE_NB_AGENT_MODE": "prod"})


def test_status_shows_hints_never_keys() -> None:
    settings = resolve_settings(
        environ={"STRIPE_SECRET_KEY": TEST_KEY, "DAT1_API_KEY": "dat1-secret-value-9876"}
    )
    status = Status(describe_services(settings, None))
    text = str(status) + status._repr_html_() + repr(settings)
    assert TEST_KEY not in text
    assert "dat1-secret-value-9876" not in text
    assert "sk_test_…a1b2" in text
    assert "…9876" in text


def test_sandbox_status_labels_the_stand_in_honestly() -> None:
    text = str(Status(describe_services(resolve_settings(environ={}), None)))
    assert "not a language model" in text
    assert "sandbox" in text


def test_key_hint_shapes() -> None:
    assert key_hint(TEST_KEY) == "sk_test_…a1b2"
    assert key_hint("rk_test_abcdefgh5678") == "rk_test_…5678"
    assert key_hint("shortkey") == "…"
    assert key_hint(None) == "(none)"


@pytest.mark.parametrize(
    "text",
    [
        f"Stripe said: invalid key {TEST_KEY}",
        f'{{"error": {{"message": "Invalid API Key provided: {TEST_KEY}"}}}}',
        f"GET https://api.example.com/v1/x?api_key={TEST_KEY}&x=1",
        "GET https://api.example.com/v1/x?api_key=opaque0123456789token",
        "Authorization: Bearer abcdefghijklmnopqrstuv",
        "X-API-Key: zyxwvutsrqponmlkjihg",
        '{"token": "tok0123456789abcdef"}',
        "whsec_abcdefghijklmnopqrstu in a webhook",
        f"https://user:{TEST_KEY}@mcp.example.com/",
    ],
)
def test_redact_masks_keys_in_bodies_urls_and_headers(text: str) -> None:
    out = redact(text)
    for secret in (TEST_KEY, "opaque0123456789token", "abcdefghijklmnopqrstuv", "zyxwvutsrqponmlkjihg",
                   "tok0123456789abcdef", "whsec_abcdefghijklmnopqrstu"):  # fmt: skip
        assert secret not in out
    assert "…" in out


def test_redact_masks_registered_shapeless_secrets() -> None:
    register_secret("plain-dat1-key-that-has-no-shape-4321")
    out = redact("the server echoed plain-dat1-key-that-has-no-shape-4321 back")
    assert "plain-dat1-key-that-has-no-shape" not in out
    assert "…4321" in out


def test_redact_leaves_ordinary_text_alone() -> None:
    text = "Created customer cus_ABC123 for ada@example.com: $20.00/month (price_1Nabc)."
    assert redact(text) == text


def test_errors_are_redacted_at_construction() -> None:
    err = ModelHTTPError(f"bad request with {TEST_KEY}", status_code=400, body=f"echo {TEST_KEY}")
    assert TEST_KEY not in str(err)
    assert TEST_KEY not in err.body
    assert isinstance(err, StripeNbAgentError)


def test_secret_never_prints_its_value(caplog: pytest.LogCaptureFixture) -> None:
    secret = Secret(TEST_KEY)
    logging.getLogger("t").warning("settings: %s %r", secret, secret)
    assert TEST_KEY not in caplog.text
    assert secret.reveal() == TEST_KEY
    assert f"{secret}" == "Secret('sk_test_…a1b2')"


def test_sandbox_state_file_comes_from_the_environment_and_shows_in_status() -> None:
    settings = resolve_settings(environ={"STRIPE_NB_AGENT_SANDBOX_DB": "/tmp/workshop.sqlite3"})
    assert settings.sandbox_db == "/tmp/workshop.sqlite3"
    assert "state kept in /tmp/workshop.sqlite3" in str(Status(describe_services(settings, None)))


def test_redact_masks_client_secrets_keeping_the_object_id() -> None:
    text = 'confirm with "pi_3Abc_secret_' + 'YrKJUKribcBjcG8H" in the browser'
    assert redact(text) == 'confirm with "pi_3Abc_secret_…cG8H" in the browser'
