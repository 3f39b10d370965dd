"""The Telegram adapter's pure parts (no server needed): rendering and callback-data checks."""

from __future__ import annotations

import pytest

from bot.adapters.telegram.handlers import valid_callback_data
from bot.adapters.telegram.rendering import keyboard, split_text
from bot.conversation import Button, Reply


def test_a_reply_without_buttons_has_no_keyboard() -> None:
    assert keyboard(Reply("Hallo")) is None


def test_button_rows_become_inline_keyboard_rows() -> None:
    markup = keyboard(Reply("?", ((Button("Deutsch", "lang:de"), Button("Türkçe", "lang:tr")), (Button("No", "no"),))))
    assert markup is not None
    assert [[b.callback_data for b in row] for row in markup.inline_keyboard] == [["lang:de", "lang:tr"], ["no"]]


def test_a_button_over_64_bytes_is_left_out_instead_of_failing_the_message() -> None:
    markup = keyboard(Reply("?", ((Button("ok", "more"), Button("too long", "d:" + "ü" * 40)),)))
    assert markup is not None
    assert [[b.callback_data for b in row] for row in markup.inline_keyboard] == [["more"]]


def test_a_long_text_is_split_between_paragraphs() -> None:
    paragraphs = ["Angebot " + str(n) + "\n" + "x" * 900 for n in range(10)]
    parts = split_text("\n\n".join(paragraphs), limit=4096)
    assert all(len(part) <= 4096 for part in parts)
    assert "\n\n".join(parts) == "\n\n".join(paragraphs)
    assert all(part.startswith("Angebot") for part in parts)


@pytest.mark.parametrize("data", ["lang:de@simple", "d:lb-eglosheim", "more", "age:preg", "x" * 64])
def test_our_own_callback_data_is_valid(data: str) -> None:
    assert valid_callback_data(data) == data


@pytest.mark.parametrize("data", [None, "", "x" * 65, "ü" * 33, "a b", "lang:de\n", "<script>", 42])
def test_forged_callback_data_is_refused(data: object) -> None:
    assert valid_callback_data(data) is None
