"""Test doubles we own: a fake Telegram Bot API server for end-to-end tests."""

from tests.fakes.bot_api import ApiCall, FakeBotApi, buttons_of

__all__ = ["ApiCall", "FakeBotApi", "buttons_of"]
