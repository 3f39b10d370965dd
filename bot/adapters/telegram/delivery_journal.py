"""What Telegram accepted, written down the moment its answer arrives, before the database hears of it.

Telegram cannot be asked whether a message arrived, so a message whose send was not recorded is sent again
after a crash. Recording it in the database takes a transaction (on SQLite behind the one write lock);
a bot killed in between would send a second copy after its restart. So the sender first appends a line to
this journal — a plain `write()` of a few bytes, which the operating system keeps when the process is
killed — and records in the database after it. At start the journal is replayed into the outbox (what it
names and the outbox still has unsent is recorded as sent), then emptied.

A line is `<outbox id> <message id> <part>`: `part` is -1 for the message's last (or only) part, else the
index of a part of a long message. The journal holds no text and no chat: ids only.
"""

from __future__ import annotations

import logging
import os
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

log = logging.getLogger(__name__)

LAST = -1
TIDY_ABOVE = 256 * 1024  # bytes: emptied when the sender is idle and it has grown past this


@dataclass(frozen=True, slots=True)
class Accepted:
    """What the journal says Telegram accepted of one outbox message: its parts' ids, and the last one's."""

    parts: tuple[int, ...]  # message ids of the parts before the last, in order
    last: int | None  # the last part's message id; None when the message was not accepted whole


class DeliveryJournal:
    def __init__(self, path: Path) -> None:
        self.path = path
        self._fd: int | None = None

    def open(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)

    def close(self) -> None:
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None

    def accepted(self, outbox_id: int, message_id: int, part: int = LAST) -> None:
        """Telegram took this part of outbox message `outbox_id` as `message_id` (one write, no fsync: it
        is the process being killed that this guards against, not the machine)."""
        if self._fd is not None:
            os.write(self._fd, f"{outbox_id} {message_id} {part}\n".encode())

    def entries(self) -> dict[int, Accepted]:
        """Everything the journal holds, per outbox id (a torn last line is left out)."""
        try:
            lines = self.path.read_text(encoding="ascii", errors="replace").splitlines()
        except FileNotFoundError:
            return {}
        parts: dict[int, dict[int, int]] = defaultdict(dict)
        last: dict[int, int] = {}
        for line in lines:
            fields = line.split()
            if len(fields) != 3 or not all(f.lstrip("-").isdigit() for f in fields):
                continue
            outbox_id, message_id, part = map(int, fields)
            if part == LAST:
                last[outbox_id] = message_id
            else:
                parts[outbox_id][part] = message_id
        ids = set(parts) | set(last)
        return {i: Accepted(tuple(m for _, m in sorted(parts[i].items())), last.get(i)) for i in ids}

    def size(self) -> int:
        try:
            return self.path.stat().st_size
        except FileNotFoundError:
            return 0

    def clear(self) -> None:
        """Empties the journal: every line in it is in the database now."""
        if self._fd is not None:
            os.ftruncate(self._fd, 0)
        elif self.path.exists():
            self.path.write_bytes(b"")


def journal_path(database_url: str, webhook_port: int | None) -> Path:
    """Next to a SQLite database file, else in var/ of the working directory; one per webhook port, so
    several bot processes on one machine each keep their own."""
    name = f"outbox-{webhook_port or 'polling'}.sent"
    prefix = "sqlite:///"
    if database_url.startswith(prefix) and database_url[len(prefix) :] not in ("", ":memory:"):
        database = Path(database_url[len(prefix) :])
        return database.with_name(f"{database.name}.{name}")
    return Path("var") / name
