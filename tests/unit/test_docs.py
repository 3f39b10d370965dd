"""The docs stay in step with the code: every admin script in the README, every step in the flow diagram."""

from __future__ import annotations

from pathlib import Path

from bot.conversation import Step

ROOT = Path(__file__).resolve().parents[2]


def test_every_admin_script_is_in_the_readme():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    scripts = [p.stem for p in (ROOT / "admin_scripts").glob("*.py") if not p.stem.startswith("_")]
    assert scripts and all(f"admin_scripts.{name}" in readme or f"`{name}`" in readme for name in scripts), scripts


def test_every_step_of_the_conversation_is_in_the_diagram():
    diagram = (ROOT / "bot" / "conversation" / "flow.mmd").read_text(encoding="utf-8")
    missing = [step.name for step in Step if step.name not in diagram]
    assert missing == []


def test_the_readme_opens_with_the_two_commands():
    lines = (ROOT / "README.md").read_text(encoding="utf-8").splitlines()
    block = lines[lines.index("```sh") + 1 : lines.index("```sh") + 3]
    assert block[0].endswith("python -m bot") and block[1].endswith("python -m pytest")
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert block[1] in ci
