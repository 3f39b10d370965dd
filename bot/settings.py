"""Settings from the environment (and an optional .env file); a bad value is one clear line, not a traceback."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path

DEFAULT_DATABASE_URL = "sqlite:///var/familienlotse.db"
# Telegram bot usernames: 5-32 characters of A-Z, 0-9 and _, ending in "bot" (deep links t.me/<username>)
BOT_USERNAME = re.compile(r"^[A-Za-z][A-Za-z0-9_]{3,30}[Bb][Oo][Tt]$")


class SettingsError(ValueError):
    """A setting is missing or malformed; str(error) is the one line to show."""


def _read_dotenv(path: Path) -> dict[str, str]:
    values: dict[str, str] = {}
    if not path.is_file():
        return values
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        if "=" not in line:
            raise SettingsError(f"{path}:{number}: erwartet NAME=WERT")
        key, _, value = line.partition("=")
        values[key.strip().removeprefix("export ").strip()] = value.strip().strip("'\"")
    return values


@dataclass(frozen=True)
class Settings:
    database_url: str = DEFAULT_DATABASE_URL
    telegram_bot_token: str | None = None
    telegram_api_base_url: str = "https://api.telegram.org/bot"
    telegram_bot_username: str | None = None  # for the web overview's "ask a Lotse" deep links and posters
    lotsen_chat_id: int | None = None
    oncall_chat_id: int | None = None  # urgent cases outside office hours are announced here once
    webhook_url: str | None = None
    webhook_secret: str | None = None
    webhook_port: int = 8080
    knowledge_dir: Path | None = None
    privacy_controller: str = "Koordinierungsstelle des Präventionsnetzwerks (Beispiel)"
    retention_days: int = 90
    raise_after_minutes: int = 30  # an unclaimed case is raised again in the Lotsen group after this long
    translate_url: str | None = None  # LibreTranslate-compatible API, e.g. http://127.0.0.1:5000
    translate_api_key: str | None = None
    # Telegram's limits (30 messages/s per bot, 20/min per group) hold for the token, not the process: with
    # several processes each keeps to its share. RATE_LIMITER=off only for a Bot API without limits (benchmarks).
    bot_processes: int = 1
    rate_limiter: bool = True

    @classmethod
    def from_env(cls, environ: dict[str, str] | None = None, dotenv: Path | None = Path(".env")) -> Settings:
        env = {**(_read_dotenv(dotenv) if dotenv else {}), **(os.environ if environ is None else environ)}

        def integer(name: str, default: int | None) -> int | None:
            raw = env.get(name, "").strip()
            if not raw:
                return default
            try:
                return int(raw)
            except ValueError:
                raise SettingsError(f"{name} muss eine ganze Zahl sein, nicht '{raw}'") from None

        token = env.get("TELEGRAM_BOT_TOKEN", "").strip() or None
        if token and ":" not in token:
            raise SettingsError("TELEGRAM_BOT_TOKEN sieht nicht aus wie ein Bot-Token (123456:ABC...)")
        username = env.get("TELEGRAM_BOT_USERNAME", "").strip().removeprefix("@") or None
        if username and not BOT_USERNAME.match(username):
            raise SettingsError(f"TELEGRAM_BOT_USERNAME '{username}' ist kein Telegram-Bot-Name (endet auf 'bot')")
        database_url = env.get("DATABASE_URL", "").strip() or DEFAULT_DATABASE_URL
        if "://" not in database_url:
            raise SettingsError(f"DATABASE_URL muss eine SQLAlchemy-URL sein (z. B. {DEFAULT_DATABASE_URL})")
        port = integer("WEBHOOK_PORT", 8080)
        processes = integer("BOT_PROCESSES", 1) or 1
        if processes < 1:
            raise SettingsError("BOT_PROCESSES muss mindestens 1 sein")
        limiter = env.get("RATE_LIMITER", "").strip().lower() or "on"
        if limiter not in ("on", "off"):
            raise SettingsError(f"RATE_LIMITER muss on oder off sein, nicht '{limiter}'")
        knowledge = env.get("KNOWLEDGE_DIR", "").strip()
        return cls(
            database_url=database_url,
            telegram_bot_token=token,
            telegram_api_base_url=env.get("TELEGRAM_API_BASE_URL", "").strip() or cls.telegram_api_base_url,
            telegram_bot_username=username,
            lotsen_chat_id=integer("LOTSEN_CHAT_ID", None),
            oncall_chat_id=integer("ONCALL_CHAT_ID", None),
            webhook_url=env.get("WEBHOOK_URL", "").strip() or None,
            webhook_secret=env.get("WEBHOOK_SECRET", "").strip() or None,
            webhook_port=port if port is not None else 8080,
            knowledge_dir=Path(knowledge) if knowledge else None,
            privacy_controller=env.get("PRIVACY_CONTROLLER", "").strip() or cls.privacy_controller,
            retention_days=integer("RETENTION_DAYS", 90) or 90,
            raise_after_minutes=integer("RAISE_AFTER_MINUTES", 30) or 30,
            translate_url=env.get("TRANSLATE_URL", "").strip() or None,
            translate_api_key=env.get("TRANSLATE_API_KEY", "").strip() or None,
            bot_processes=processes,
            rate_limiter=limiter == "on",
        )
