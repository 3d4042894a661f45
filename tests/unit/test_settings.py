"""Settings errors are one clear line naming the setting, not a traceback."""

from __future__ import annotations

import subprocess
import sys

import pytest

from hub.contract.errors import SettingsError
from hub.settings import load_settings


def test_defaults_load() -> None:
    settings = load_settings()
    assert settings.topics.dept("tax") == "dept.tax.v1"
    assert settings.registry_url.endswith("/apis/ccompat/v7")


@pytest.mark.parametrize(
    ("override", "named"),
    [
        ({"registry_url": "ftp:/nowhere"}, "registry_url"),
        ({"kafka_bootstrap": "localhost"}, "kafka_bootstrap"),
        ({"redis_url": "http://x"}, "redis_url"),
        ({"city_code": ""}, "city_code"),
        ({"city_code": "3301"}, "city_code"),
    ],
)
def test_bad_values_name_the_setting(override: dict[str, str], named: str) -> None:
    with pytest.raises(SettingsError, match=named):
        load_settings(**override)


def test_cli_prints_one_line_and_exits_non_zero() -> None:
    env = {"HUB_CITY_CODE": "", "HUB_REGISTRY_URL": "not a url", "PATH": ""}
    done = subprocess.run(
        [sys.executable, "-c", "from hub.cli.main import main; main()", "config"],
        capture_output=True, text=True, env=env, check=False,
    )
    assert done.returncode == 1
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: invalid hub settings")
    assert "city_code" in lines[0] and "registry_url" in lines[0]
    assert "Traceback" not in done.stderr


def test_kafka_security_reaches_every_librdkafka_client_config(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HUB_KAFKA_SECURITY__PROTOCOL", "SASL_SSL")
    monkeypatch.setenv("HUB_KAFKA_SECURITY__SASL_MECHANISM", "SCRAM-SHA-512")
    monkeypatch.setenv("HUB_KAFKA_SECURITY__SASL_USERNAME", "hub")
    monkeypatch.setenv("HUB_KAFKA_SECURITY__SASL_PASSWORD", "s3cret")
    monkeypatch.setenv("HUB_KAFKA_SECURITY__SSL_CA_FILE", "/etc/hub/kafka-ca.pem")
    settings = load_settings()
    conf = settings.kafka_client_config()
    assert conf == {"bootstrap.servers": settings.kafka_bootstrap, "security.protocol": "SASL_SSL",
                    "sasl.mechanism": "SCRAM-SHA-512", "sasl.username": "hub", "sasl.password": "s3cret",
                    "ssl.ca.location": "/etc/hub/kafka-ca.pem"}
    assert "s3cret" not in repr(settings), "the password stays a secret in settings dumps"
    from connectors.delivery import producer_config

    assert producer_config(settings)["sasl.password"] == "s3cret"


@pytest.mark.parametrize("env", [
    {"HUB_KAFKA_SECURITY__PROTOCOL": "SASL_SSL"},  # no credentials
    {"HUB_KAFKA_SECURITY__SASL_USERNAME": "hub", "HUB_KAFKA_SECURITY__SASL_PASSWORD": "x"},  # SASL on PLAINTEXT
    {"HUB_KAFKA_SECURITY__PROTOCOL": "SSL", "HUB_KAFKA_SECURITY__SSL_CERT_FILE": "/c.pem"},  # cert without key
])
def test_incomplete_kafka_security_is_refused_at_start(monkeypatch: pytest.MonkeyPatch, env: dict[str, str]) -> None:
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    with pytest.raises(SettingsError):
        load_settings()


def test_the_processors_get_the_same_credentials_in_faust_form() -> None:
    import faust
    from pydantic import SecretStr

    from hub.settings import KafkaSecurity
    from processors.kafka_auth import broker_credentials

    assert broker_credentials(KafkaSecurity()) is None
    sasl = broker_credentials(KafkaSecurity(protocol="SASL_PLAINTEXT", sasl_mechanism="SCRAM-SHA-256",
                                            sasl_username="hub", sasl_password=SecretStr("s3cret")))
    assert isinstance(sasl, faust.SASLCredentials) and sasl.username == "hub" and sasl.ssl_context is None
    tls = broker_credentials(KafkaSecurity(protocol="SSL"))
    assert isinstance(tls, faust.SSLCredentials)
