"""The terminal chat: lettered choices (numbers stay answers), venues as address + map link, a clean screen,
and a closed window or end of input erases the demo — driven through a real pipe."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

from bot.adapters.terminal import event_from_line, label, render
from bot.conversation import Button, ButtonPressed, Command, Reply, SharedLocation, Text
from bot.conversation.model import Venue

ROOT = Path(__file__).resolve().parents[2]
CHOICES = [Button("Deutsch", "lang:de"), Button("Türkçe", "lang:tr"), Button("English", "lang:en")]


def test_a_typed_number_is_an_answer_and_a_letter_is_a_choice():
    assert event_from_line("4", CHOICES) == Text("4")  # the age 4, not the fourth button
    assert event_from_line("72622", CHOICES) == Text("72622")
    assert event_from_line("b", CHOICES) == ButtonPressed("lang:tr")
    assert event_from_line("[c]", CHOICES) == ButtonPressed("lang:en")
    for word in ("да", "ок", "ні", "ää", "ja", "ok"):  # two letters of a word, not a choice past [z]
        assert event_from_line(word, CHOICES) == Text(word)
    assert event_from_line("A)", CHOICES) == ButtonPressed("lang:de")
    assert event_from_line("z", CHOICES) == Text("z")  # no such choice: the family's words
    assert event_from_line("ja bitte", CHOICES) == Text("ja bitte")
    assert event_from_line("/lotse", CHOICES) == Command("lotse")
    assert event_from_line("/location 48.9, 9.19", CHOICES) == SharedLocation(48.9, 9.19)
    assert event_from_line("   ", CHOICES) is None


def test_choices_are_lettered_across_replies_and_rows():
    text, buttons = render(Reply("Sprache?", ((CHOICES[0], CHOICES[1]), (CHOICES[2],))), first=3)
    assert text.splitlines()[1:] == ["[d] Deutsch   [e] Türkçe", "[f] English"]
    assert buttons == CHOICES
    assert [label(i) for i in (0, 25, 26, 27)] == ["a", "z", "aa", "ab"]


def test_a_venue_shows_as_address_and_map_link():
    place = Venue(48.9018, 9.1948, "Ludwigsburger Tafel", "Heilbronner Straße 30, 71634 Ludwigsburg")
    text, _ = render(Reply("3. Ludwigsburger Tafel", venue=place), locale="de")
    assert "📍 Heilbronner Straße 30, 71634 Ludwigsburg" in text
    assert "Karte: https://www.openstreetmap.org/?mlat=48.90180&mlon=9.19480" in text


def _chat(tmp_path: Path, *args: str) -> subprocess.Popen[str]:
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{tmp_path / 'demo.db'}",
        "ENCODER": "none",
        "PYTHONPATH": str(ROOT),
    }
    env.pop("TELEGRAM_BOT_TOKEN", None)
    return subprocess.Popen(
        [sys.executable, "-m", "bot", "chat", *args],
        cwd=tmp_path,
        env=env,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _rows(tmp_path: Path, table: str) -> int:
    with sqlite3.connect(tmp_path / "demo.db") as db:
        return db.execute(f"SELECT count(*) FROM {table}").fetchone()[0]


def test_a_whole_chat_through_a_pipe_is_clean_and_leaves_nothing_behind(tmp_path: Path):
    chat = _chat(tmp_path, "--lang", "tr")
    out, _err = chat.communicate("a\na\n4 yaşında\nEglosheim\nkreş\n", timeout=180)
    assert chat.returncode == 0
    assert "Terminalde Familienlotse" in out  # the banner in the chosen language
    assert "[a] " in out and "Eglosheim" in out
    assert " INFO " not in out and " WARNING " not in out  # no log line between the messages
    assert (tmp_path / "var" / "terminal.log").exists()
    assert out.rstrip().endswith("Hoşça kalın! Bu denemedeki cevaplarınız silindi.")
    assert _rows(tmp_path, "conversations") == 0 and _rows(tmp_path, "cases") == 0


def test_a_closed_window_erases_the_demo_like_quit(tmp_path: Path):
    chat = _chat(tmp_path, "--lang", "de")
    assert chat.stdin is not None
    chat.stdin.write("a\na\nich möchte mit einem Menschen sprechen\nja\n")
    chat.stdin.flush()
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:  # wait until the family's case exists
        if (tmp_path / "demo.db").exists():
            try:
                if _rows(tmp_path, "cases"):
                    break
            except sqlite3.OperationalError:
                pass
        time.sleep(0.3)
    assert _rows(tmp_path, "cases") == 1 and _rows(tmp_path, "conversations") == 1
    chat.send_signal(signal.SIGHUP)
    chat.wait(timeout=60)
    assert _rows(tmp_path, "conversations") == 0 and _rows(tmp_path, "cases") == 0
