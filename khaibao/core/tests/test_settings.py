"""Production settings: refuse to start without real secrets; `check --deploy` is clean."""

from __future__ import annotations

import base64
import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from cryptography.fernet import Fernet

from khaibao.settings import BASE_DIR, DEV_SECRET_KEY

SETUP = "import django; django.setup(); print('started')"


def production_env(tmp_path: Path, **overrides: str | None) -> dict[str, str]:
    env = {
        "PATH": os.environ.get("PATH", ""),
        "HOME": str(tmp_path),
        "DJANGO_SETTINGS_MODULE": "khaibao.settings",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "FIELD_ENCRYPTION_KEYS": Fernet.generate_key().decode(),
        "BLIND_INDEX_KEY": secrets.token_urlsafe(32),
        "PASS_SIGNING_KEY": base64.b64encode(secrets.token_bytes(32)).decode(),
        "ALLOWED_HOSTS": "khaibao.example.vn",
    }
    for name, value in overrides.items():
        if value is None:
            env.pop(name, None)
        else:
            env[name] = value
    return env


def run(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, *args],
        env=env,
        cwd=BASE_DIR,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"SECRET_KEY": None}, "SECRET_KEY must be set"),
        ({"SECRET_KEY": DEV_SECRET_KEY}, "SECRET_KEY must be set"),
        ({"SECRET_KEY": "short-and-guessable"}, "SECRET_KEY must be set"),
        (
            {"FIELD_ENCRYPTION_KEYS": None, "BLIND_INDEX_KEY": None},
            "Missing required keys with DEBUG off: FIELD_ENCRYPTION_KEYS, BLIND_INDEX_KEY",
        ),
        ({"PASS_SIGNING_KEY": ""}, "PASS_SIGNING_KEY"),
        ({"FIELD_ENCRYPTION_KEYS": "not-a-fernet-key"}, "FIELD_ENCRYPTION_KEYS must be Fernet keys"),
        ({"DEBUG": "maybe"}, "DEBUG must be a boolean"),
    ],
)
def test_it_refuses_to_start_in_production_without_real_secrets(tmp_path, overrides, message):
    result = run(["-c", SETUP], production_env(tmp_path, **overrides))

    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert message in result.stderr
    assert "started" not in result.stdout


def test_it_starts_and_passes_the_deploy_checks_with_production_settings(tmp_path):
    result = run(["manage.py", "check", "--deploy", "--fail-level", "WARNING"], production_env(tmp_path))

    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout
