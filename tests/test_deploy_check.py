"""`puhui check --deploy` in production mode prints no warnings."""

import os
import subprocess
import sys

# set by pytest-django and the e2e conftest; a production process has neither
_TEST_ONLY_VARIABLES = {"DJANGO_ALLOW_ASYNC_UNSAFE", "DJANGO_SETTINGS_MODULE", "PUHUI_ENV", "PUHUI_VAR_DIR"}


def test_check_deploy_is_clean_in_production(tmp_path):
    env = {
        **{k: v for k, v in os.environ.items() if k not in _TEST_ONLY_VARIABLES},
        "PUHUI_ENV": "production",
        "PUHUI_SECRET_KEY": "p" * 20 + "Q9_-" * 12,
        "PUHUI_PII_KEY": "A" * 43 + "=",
        "PUHUI_ALLOWED_HOSTS": "puhui.example.cn",
        "PUHUI_VAR_DIR": str(tmp_path),
    }
    result = subprocess.run(
        [sys.executable, "-m", "puhui.cli", "check", "--deploy", "--fail-level", "WARNING"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout
    assert "WARNING" not in result.stderr


def test_production_refuses_to_start_without_secret(tmp_path):
    env = {k: v for k, v in os.environ.items() if k not in _TEST_ONLY_VARIABLES | {"PUHUI_SECRET_KEY"}}
    env.update({"PUHUI_ENV": "production", "PUHUI_VAR_DIR": str(tmp_path), "PUHUI_PII_KEY": "A" * 43 + "="})
    result = subprocess.run(
        [sys.executable, "-m", "puhui.cli", "check"], env=env, capture_output=True, text=True, timeout=120
    )
    assert result.returncode != 0
    assert "PUHUI_SECRET_KEY" in result.stderr
