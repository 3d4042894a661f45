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
