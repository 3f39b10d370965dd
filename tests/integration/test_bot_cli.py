"""`python -m bot understand|match|info` as coordinators and evaluators use them."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bot.cli import main


@pytest.fixture(autouse=True)
def own_database(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'cli.db'}")
    monkeypatch.chdir(tmp_path)  # no .env of the developer's


def test_understand_prints_what_was_understood(capsys):
    assert main(["understand", "Oßweil'de oturuyoruz, kızım 2 buçuk yaşında, kreş arıyorum"]) == 0
    out = capsys.readouterr().out
    assert "Sprache:   tr" in out and "childcare" in out and "2.5" in out and "Oßweil (ludwigsburg)" in out


def test_understand_batch_writes_exactly_the_agreed_fields(capsys, tmp_path: Path):
    lines = [
        {"id": 1, "text": "mein Mann schlägt mich", "lang": "de"},
        {"id": "b", "text": "ابني عمره ٤ سنوات ونحتاج روضة في إيغلوسهايم"},
        {"id": 3, "text": "wir wohnen in der Südstadt"},
    ]
    batch = tmp_path / "in.jsonl"
    batch.write_text("\n".join(json.dumps(line, ensure_ascii=False) for line in lines) + "\nkein json\n", "utf-8")
    assert main(["understand", "--batch", str(batch)]) == 0
    rows = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [set(r) for r in rows[:3]] == [
        {"id", "language", "needs", "age_years", "pregnant", "district", "emergency"}
    ] * 3
    assert rows[0]["emergency"] is True and rows[0]["language"] == "de"
    assert rows[1] == {
        "id": "b",
        "language": "ar",
        "needs": ["childcare"],
        "age_years": 4,
        "pregnant": False,
        "district": "Eglosheim",
        "emergency": False,
    }
    assert rows[2]["district"] is None  # two Südstädte: not guessed
    assert rows[3]["id"] is None and "error" in rows[3]


def test_match_ranks_offers_as_json(capsys):
    assert (
        main(["match", "--age", "4", "--district", "Eglosheim", "--need", "childcare", "--lang", "tr", "--json"]) == 0
    )
    result = json.loads(capsys.readouterr().out)
    assert result["matches"] and not result["nothing_fits"]
    assert all(m["reasons"] for m in result["matches"])


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["match", "--district", "Südstadt", "--need", "money"], "gibt es mehrfach"),
        (["match", "--district", "Atlantis", "--need", "money"], "unbekannter Stadtteil"),
        (["match", "--district", "Eglosheim", "--need", "magic"], "unbekannter Bedarf 'magic'"),
        (["understand"], "Text fehlt"),
        (["understand", "--batch", "missing.jsonl"], "nicht lesbar"),
    ],
)
def test_bad_input_is_one_line(capsys, args, message):
    assert main(args) == 1
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err


def test_info_lists_what_is_loaded(capsys):
    assert main(["info"]) == 0
    out = capsys.readouterr().out
    assert "Stadt Ludwigsburg: 12 Stadtteile/Orte, 55 Angebote" in out
