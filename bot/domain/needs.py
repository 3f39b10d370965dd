"""The fixed set of needs families come with."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Need:
    id: str
    icon: str
    label_de: str
    covers: tuple[str, ...]


NEED_IDS: tuple[str, ...] = (
    "pregnancy",
    "early_help",
    "childcare",
    "school",
    "money",
    "parenting",
    "health",
    "language",
    "leisure",
    "housing",
    "debt",
    "work",
    "disability",
    "protection",
    "basic_needs",
    "single_parents",
)
