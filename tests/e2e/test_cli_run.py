"""`python -m bot run` refuses to start without what it needs, in one line."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.cli import main


@pytest.fixture
def environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> pytest.MonkeyPatch:
    monkeypatch.chdir(tmp_path)  # no .env of the developer's
    for name in ("TELEGRAM_BOT_TOKEN", "WEBHOOK_URL", "WEBHOOK_SECRET", "KNOWLEDGE_DIR"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'bot.db'}")
    return monkeypatch


def test_run_without_a_token_says_so_in_one_line(
    environment: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["run"]) == 1
    error = capsys.readouterr().err.strip()
    assert "TELEGRAM_BOT_TOKEN" in error and "\n" not in error


def test_webhook_mode_without_a_secret_does_not_start(
    environment: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    environment.setenv("TELEGRAM_BOT_TOKEN", "123:abc")
    environment.setenv("WEBHOOK_URL", "https://bot.example.org/telegram")
    assert main(["run"]) == 1
    assert "WEBHOOK_SECRET" in capsys.readouterr().err
