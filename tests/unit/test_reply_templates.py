"""Reply templates are data a coordinator edits (knowledge/vorlagen.yaml): checked, and live without a restart."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from bot.knowledge import BUNDLED_KNOWLEDGE_DIR, KnowledgeError
from bot.services.templates import Templates, parse_templates


def test_the_bundled_templates_are_short_german_and_fit_a_button():
    templates = Templates(BUNDLED_KNOWLEDGE_DIR).all()
    assert [t.name for t in templates][:3] == ["hallo", "rueckruf", "foto"]
    assert all(len(f"tpl:999999:{t.name}".encode()) <= 64 and len(t.text) <= 1000 for t in templates)
    assert Templates(BUNDLED_KNOWLEDGE_DIR).named("Hallo").for_lotse("Aylin").startswith("Guten Tag, ich bin Aylin")  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("raw", "problem"),
    [
        ({"vorlagen": [{"name": "Hallo Welt", "text": "x"}]}, "name 'Hallo Welt'"),
        ({"vorlagen": [{"name": "a", "text": ""}]}, "text fehlt"),
        ({"vorlagen": [{"name": "a", "text": "Hallo {familie}"}]}, "unbekannter Platzhalter {familie}"),
        ({"vorlagen": [{"name": "a", "text": "x"}, {"name": "a", "text": "y"}]}, "gibt es zweimal"),
        (["a"], "erwartet 'vorlagen:'"),
    ],
)
def test_a_broken_template_file_says_which_entry_and_why(raw: object, problem: str):
    with pytest.raises(KnowledgeError, match=problem.replace("{", r"\{").replace("}", r"\}")):
        parse_templates(raw, "vorlagen.yaml")


def test_an_edited_file_is_read_again_and_a_missing_one_means_no_templates(tmp_path: Path):
    templates = Templates(tmp_path)
    assert templates.all() == ()
    path = tmp_path / "vorlagen.yaml"
    path.write_text("vorlagen:\n  - {name: a, titel: A, text: Eins}\n", encoding="utf-8")
    assert [t.text for t in templates.all()] == ["Eins"]
    path.write_text("vorlagen:\n  - {name: a, titel: A, text: Zwei}\n", encoding="utf-8")
    os.utime(path, (path.stat().st_atime, path.stat().st_mtime + 5))
    assert [t.text for t in templates.all()] == ["Zwei"]
    path.write_text("vorlagen: [", encoding="utf-8")
    os.utime(path, (path.stat().st_atime, path.stat().st_mtime + 10))
    with pytest.raises(KnowledgeError, match="kein gültiges YAML"):
        templates.all()
