"""The README's screenshots: every one it shows is there, small, and made again by `python -m bench.screenshots`."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SHOTS = ROOT / "docs" / "screenshots"


def test_every_screenshot_in_the_readme_exists_is_a_small_png_and_is_made_by_the_script():
    shown = set(re.findall(r'src="docs/screenshots/([^"]+\.png)"', (ROOT / "README.md").read_text(encoding="utf-8")))
    made = set(re.findall(r'"([a-z0-9-]+\.png)"', (ROOT / "bench" / "screenshots.py").read_text(encoding="utf-8")))
    assert {
        "angebote-390.png",
        "angebote-1280.png",
        "angebot-ar-390.png",
        "luecken-bericht.png",
        "plakat-ar.png",
    } <= shown
    assert shown == {p.name for p in SHOTS.glob("*.png")} and shown <= made
    for name in shown:
        data = (SHOTS / name).read_bytes()
        assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) < 150_000, name
