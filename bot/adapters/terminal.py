"""The conversation in a terminal, as clean as in Telegram. For newcomers, demos and coordinators.

Buttons become choices with letters — [a] Türkçe  [b] العربية — because numbers are answers here: a typed "4"
at the age question is the age 4, "72622" a postal code, "2" the second child's age. A letter alone ("b",
"b)", "[b]") picks a choice; anything else is the family's own words, as in Telegram. Log lines go to
var/terminal.log, never between the messages. /quit, end of input (Ctrl-D) or a closed window (SIGHUP) erase
the demo conversation and its cases.
"""

from __future__ import annotations

import logging
import os
import re
import signal
import string
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from types import FrameType

from bot.conversation import Button, ButtonPressed, Command, Event, Reply, SharedLocation, Text
from bot.conversation.offer_questions import map_link
from bot.i18n import FALLBACK, N_, resolve_locale, texts
from bot.services.conversations import ConversationService

PROMPT = "> "
LOG_FILE = Path("var") / "terminal.log"
LETTERS = string.ascii_lowercase
BANNER = N_(
    "Familienlotse in the terminal. Write your answer, or type a letter to choose (a, b, c …). /help helps, /quit ends."
)
MAP = N_("Map: {link}")
GOODBYE = N_("Goodbye! Your answers in this demo were deleted.")
_CHOICE = re.compile(r"^[\[(]?([a-z])[\])]?[.)]?$")


def log_to_file(path: Path = LOG_FILE) -> None:
    """Every log line into `path` instead of the terminal (call before anything logs, e.g. the migrations)."""
    root = logging.getLogger()
    for handler in list(root.handlers):
        if isinstance(handler, logging.StreamHandler) and not isinstance(handler, logging.FileHandler):
            root.removeHandler(handler)
    if not any(isinstance(h, logging.FileHandler) for h in root.handlers):
        path.parent.mkdir(parents=True, exist_ok=True)
        handler = logging.FileHandler(path, encoding="utf-8")
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
        root.addHandler(handler)
    logging.captureWarnings(True)


def label(index: int) -> str:
    """a … z, then aa, ab … (no menu is that long today, but a town with many districts could be)."""
    return LETTERS[index] if index < len(LETTERS) else LETTERS[index // 26 - 1] + LETTERS[index % 26]


def render(reply: Reply, first: int = 0, locale: str | None = None) -> tuple[str, list[Button]]:
    """The reply's text, its place (address and map link) and its buttons as lettered choices."""
    lines = [reply.text]
    if reply.venue is not None:
        t = texts(locale or FALLBACK)
        if reply.venue.address not in reply.text:
            lines.append(f"📍 {reply.venue.address}")
        lines.append("🗺️ " + t._(MAP, link=map_link(reply.venue)))
    buttons: list[Button] = []
    for row in reply.buttons:
        cells = []
        for button in row:
            cells.append(f"[{label(first + len(buttons))}] {button.label}")
            buttons.append(button)
        lines.append("   ".join(cells))
    return "\n".join(lines), buttons


def event_from_line(line: str, choices: list[Button]) -> Event | None:
    """A typed line as an event: a letter picks a choice, '/cmd' is a command, '/location 48.9,9.2' a
    location, everything else (numbers too) is text."""
    line = line.strip()
    if not line:
        return None
    if (match := _CHOICE.match(line.lower())) and (index := LETTERS.index(match.group(1))) < len(choices):
        return ButtonPressed(choices[index].data)
    if len(line) == 2 and all(c in LETTERS for c in line):  # "ab" past [z]; "да", "ок", "ää" are words
        index = (LETTERS.index(line[0]) + 1) * 26 + LETTERS.index(line[1])
        if index < len(choices):
            return ButtonPressed(choices[index].data)
    if match := re.fullmatch(r"/location\s+(-?\d+(?:\.\d+)?)\s*,\s*(-?\d+(?:\.\d+)?)", line):
        return SharedLocation(float(match.group(1)), float(match.group(2)))
    if line.startswith("/"):
        name, _, payload = line[1:].partition(" ")
        return Command(name.lower(), payload.strip())
    return Text(line)


class WindowClosed(Exception):
    """SIGHUP or SIGTERM: the terminal went away; the demo data is erased on the way out."""


@contextmanager
def _closing_signals() -> Iterator[None]:
    def closed(signum: int, frame: FrameType | None) -> None:
        raise WindowClosed(signum)

    previous = {}
    for name in ("SIGHUP", "SIGTERM"):
        number = getattr(signal, name, None)
        if number is not None:
            with suppress(ValueError):  # not the main thread (tests): the default stays
                previous[number] = signal.signal(number, closed)
    try:
        yield
    finally:
        for number, handler in previous.items():
            signal.signal(number, handler)


def run_terminal(
    service: ConversationService,
    *,
    chat_key: str | None = None,
    language: str | None = None,
    start_payload: str = "",
    read: Callable[[str], str] = input,
    write: Callable[[str], None] = print,
    log_file: Path | None = LOG_FILE,
) -> None:
    """Chat until /quit, end of input or a closed window; a demo session leaves nothing behind in the database."""
    if log_file is not None:
        log_to_file(log_file)
    chat_key = chat_key or f"terminal:{uuid.uuid4().hex[:12]}"
    locale = resolve_locale(language) if language else None
    try:
        with _closing_signals():
            locale = _chat(service, chat_key, language, start_payload, read, write) or locale
    except WindowClosed:
        locale = service.state_of(chat_key).locale or locale
    finally:
        service.erase(chat_key)
    with suppress(OSError, ValueError):  # the window is gone: nobody reads the goodbye
        write(texts(locale or FALLBACK)._(GOODBYE))


def _chat(
    service: ConversationService,
    chat_key: str,
    language: str | None,
    start_payload: str,
    read: Callable[[str], str],
    write: Callable[[str], None],
) -> str | None:
    """The loop; returns the family's locale for the goodbye."""
    user_language = language or (os.environ.get("LANG", "").split(".")[0] or None)
    event: Event | None = Command("start", start_payload, user_language=user_language)
    choices: list[Button] = []
    locale: str | None = None
    bannered = False
    if not language:  # before a language is chosen, only symbols: the menu itself asks in many languages
        write("Familienlotse · [a] [b] [c] … · /quit\n")
    while True:
        if event is not None:
            outcome = service.handle(chat_key, event)
            locale = outcome.state.locale or locale
            if locale and not bannered:  # the banner in the family's language, once it is known
                write(texts(locale)._(BANNER) + "\n")
                bannered = True
            choices = []
            for reply in outcome.replies:
                text, buttons = render(reply, len(choices), locale)
                choices += buttons
                write(text + "\n")
        try:
            line = read(PROMPT)
        except (EOFError, KeyboardInterrupt):
            write("")
            return locale
        if line.strip() in ("/quit", "/exit"):
            return locale
        event = event_from_line(line, choices)
