"""Reply templates (Textbausteine) for Lotsen: knowledge/vorlagen.yaml, kept by the coordinators.

The file is read again whenever it changed, so a coordinator's edit is live without a restart; a broken
file is one German line for the Lotse who asked, never a crash.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import yaml

from bot.knowledge import KnowledgeError

TEMPLATES_FILE = "vorlagen.yaml"
NAME = re.compile(r"^[a-z0-9-]{1,16}$")  # fits a button's callback data ("tpl:<case>:<name>")
MAX_TEXT = 1000
PLACEHOLDERS = frozenset({"lotse"})


@dataclass(frozen=True, slots=True)
class ReplyTemplate:
    name: str
    title: str
    text: str  # German; "{lotse}" becomes the Lotse's name

    def for_lotse(self, name: str) -> str:
        return self.text.replace("{lotse}", name)


def parse_templates(raw: object, where: str) -> tuple[ReplyTemplate, ...]:
    """The templates of one file's content; KnowledgeError naming the entry and the problem."""
    entries = raw.get("vorlagen") if isinstance(raw, dict) else None
    if not isinstance(entries, list):
        raise KnowledgeError(f"{where}: erwartet 'vorlagen:' mit einer Liste")
    templates: list[ReplyTemplate] = []
    for number, entry in enumerate(entries, start=1):
        if not isinstance(entry, dict):
            raise KnowledgeError(f"{where}: Vorlage {number} ist kein Eintrag mit name, titel, text")
        name, title, text = (str(entry.get(key) or "").strip() for key in ("name", "titel", "text"))
        if not NAME.match(name):
            raise KnowledgeError(f"{where}: Vorlage {number}: name '{name}' – klein, a-z, 0-9, -, bis 16 Zeichen")
        if not text or len(text) > MAX_TEXT:
            raise KnowledgeError(f"{where}: Vorlage '{name}': text fehlt oder ist länger als {MAX_TEXT} Zeichen")
        unknown = set(re.findall(r"\{(\w*)\}", text)) - PLACEHOLDERS
        if unknown:
            raise KnowledgeError(f"{where}: Vorlage '{name}': unbekannter Platzhalter {{{sorted(unknown)[0]}}}")
        if any(t.name == name for t in templates):
            raise KnowledgeError(f"{where}: Vorlage '{name}' gibt es zweimal")
        templates.append(ReplyTemplate(name, title or name, text))
    return tuple(templates)


class Templates:
    """The templates of a knowledge folder, read again when the file changed."""

    def __init__(self, directory: Path) -> None:
        self.path = directory / TEMPLATES_FILE
        self._read: tuple[float, tuple[ReplyTemplate, ...]] | None = None

    def all(self) -> tuple[ReplyTemplate, ...]:
        """Every template, in the file's order (none when the network keeps no file); KnowledgeError if broken."""
        try:
            changed = self.path.stat().st_mtime
        except FileNotFoundError:
            return ()
        if self._read is None or self._read[0] != changed:
            try:
                raw = yaml.safe_load(self.path.read_text(encoding="utf-8"))
            except yaml.YAMLError as error:
                raise KnowledgeError(f"{self.path.name}: kein gültiges YAML ({type(error).__name__})") from error
            self._read = (changed, parse_templates(raw, self.path.name))
        return self._read[1]

    def named(self, name: str) -> ReplyTemplate | None:
        wanted = name.strip().lower()
        return next((t for t in self.all() if t.name == wanted), None)
