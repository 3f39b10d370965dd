"""The conversation in a terminal: buttons become numbered choices. For newcomers, demos and coordinators."""

from __future__ import annotations

import os
import re
import uuid
from collections.abc import Callable

from bot.conversation import Button, ButtonPressed, Command, Event, Reply, SharedLocation, Text
from bot.services.conversations import ConversationService

PROMPT = "> "


def render(reply: Reply, first_number: int = 1) -> tuple[str, list[Button]]:
    """The reply's text and its buttons as numbered choices, e.g. '[1] Türkçe   [2] العربية'."""
    lines = [reply.text]
    buttons: list[Button] = []
    for row in reply.buttons:
        cells = []
        for button in row:
            buttons.append(button)
            cells.append(f"[{first_number + len(buttons) - 1}] {button.label}")
        lines.append("   ".join(cells))
    return "\n".join(lines), buttons


def event_from_line(line: str, choices: list[Button]) -> Event | None:
    """A typed line as an event: a number picks a choice, '/cmd' is a command, '/location 48.9,9.2' a location."""
    line = line.strip()
    if not line:
        return None
    if line.isdigit() and 1 <= int(line) <= len(choices):
        return ButtonPressed(choices[int(line) - 1].data)
    if match := re.fullmatch(r"/location\s+(-?\d+(?:\.\d+)?)\s*,\s*(-?\d+(?:\.\d+)?)", line):
        return SharedLocation(float(match.group(1)), float(match.group(2)))
    if line.startswith("/"):
        name, _, payload = line[1:].partition(" ")
        return Command(name.lower(), payload.strip())
    return Text(line)


def run_terminal(
    service: ConversationService,
    *,
    chat_key: str | None = None,
    language: str | None = None,
    start_payload: str = "",
    read: Callable[[str], str] = input,
    write: Callable[[str], None] = print,
) -> None:
    """Chat until end of input (Ctrl-D) or /quit; a demo session leaves nothing behind in the database."""
    chat_key = chat_key or f"terminal:{uuid.uuid4().hex[:12]}"
    try:
        _chat(service, chat_key, language, start_payload, read, write)
    finally:
        service.erase(chat_key)


def _chat(
    service: ConversationService,
    chat_key: str,
    language: str | None,
    start_payload: str,
    read: Callable[[str], str],
    write: Callable[[str], None],
) -> None:
    write("Familienlotse – Terminal. Zahlen wählen Knöpfe, /help hilft, /quit beendet. (Beispieldaten)")
    user_language = language or (os.environ.get("LANG", "").split(".")[0] or None)
    event: Event | None = Command("start", start_payload, user_language=user_language)
    choices: list[Button] = []
    while True:
        if event is not None:
            outcome = service.handle(chat_key, event)
            choices = []
            for reply in outcome.replies:
                text, buttons = render(reply, len(choices) + 1)
                choices += buttons
                write(text + "\n")
        try:
            line = read(PROMPT)
        except (EOFError, KeyboardInterrupt):
            write("")
            return
        if line.strip() in ("/quit", "/exit"):
            return
        event = event_from_line(line, choices)
