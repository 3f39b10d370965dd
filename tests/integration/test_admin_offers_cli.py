"""`python -m admin_scripts.offers` used as a coordinator would: through the command line."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from admin_scripts._cli import run
from admin_scripts.offers import main
from tests.conftest import DATA


def offers_cli(capsys: pytest.CaptureFixture[str], database_url: str, *args: str) -> tuple[int, str, str]:
    code = run(main, ["--database-url", database_url, *args])
    out, err = capsys.readouterr()
    return code, out, err


def test_import_dry_run_then_import_then_export(capsys, database_url: str, tmp_path: Path):
    code, out, _ = offers_cli(capsys, database_url, "import", str(DATA / "offers_small.csv"), "--dry-run")
    assert code == 0 and "+ t-elterncafe" in out and "3 neu" in out and "nichts würde gespeichert" in out
    code, out, _ = offers_cli(capsys, database_url, "import", str(DATA / "offers_small.csv"))
    assert code == 0 and "3 neu, 0 geändert, 0 entfernt" in out
    export = tmp_path / "alle.xlsx"
    code, out, _ = offers_cli(capsys, database_url, "export", str(export))
    assert code == 0 and export.exists() and "3 Angebote" in out
    code, out, _ = offers_cli(capsys, database_url, "import", str(export))
    assert code == 0 and "0 neu, 0 geändert, 0 entfernt, 3 unverändert" in out


def test_an_hsds_package_goes_out_and_comes_back_unchanged(capsys, database_url: str, tmp_path: Path):
    offers_cli(capsys, database_url, "import", str(DATA / "offers_small.csv"))
    code, out, _ = offers_cli(capsys, database_url, "export", "--format", "hsds", str(tmp_path / "paket"))
    assert code == 0 and "3 Angebote" in out and (tmp_path / "paket" / "datapackage.json").exists()
    code, out, _ = offers_cli(capsys, database_url, "export", str(tmp_path / "paket.zip"))
    assert code == 0
    for package in ("paket", "paket.zip"):
        code, out, _ = offers_cli(capsys, database_url, "import", str(tmp_path / package), "--dry-run")
        assert code == 0 and "0 neu, 0 geändert, 0 entfernt, 3 unverändert" in out
    code, _, err = offers_cli(capsys, database_url, "import", str(tmp_path))  # a folder, but no package
    assert code == 1 and "kein HSDS-Datenpaket" in err and len(err.strip().splitlines()) == 1


def test_a_file_with_one_bad_row_changes_nothing_and_names_the_row(capsys, database_url: str, tmp_path: Path):
    offers_cli(capsys, database_url, "import", str(DATA / "offers_small.csv"))
    lines = (DATA / "offers_small.csv").read_text(encoding="utf-8").splitlines()
    changed = lines[1].replace("Elterncafé Eglosheim", "Elterncafé NEU")
    broken = lines[3].replace(";12;72;", ";72;12;")
    path = tmp_path / "neu.csv"
    path.write_text("\n".join([lines[0], changed, lines[2], broken]), encoding="utf-8")
    code, _, err = offers_cli(capsys, database_url, "import", str(path))
    assert code == 1
    assert "neu.csv: Zeile 4, Spalte age_min_months: age_min_months (72) ist größer als age_max_months (12)" in err
    assert "nichts geändert" in err
    export = tmp_path / "after.json"
    offers_cli(capsys, database_url, "export", str(export))
    assert "Elterncafé NEU" not in export.read_text(encoding="utf-8")


def test_validate_and_stale_and_template(capsys, database_url: str, tmp_path: Path):
    code, out, _ = offers_cli(capsys, database_url, "validate", str(DATA / "offers_small.csv"))
    assert code == 0 and "3 Angebote, alle gültig" in out
    offers_cli(capsys, database_url, "import", str(DATA / "offers_small.csv"))
    code, out, err = offers_cli(capsys, database_url, "stale", "--days", "365", "--today", "2026-11-21")
    assert code == 0 and "t-schuldner" in out and "t-kita-we" in out and "2 von 3" in err
    code, out, _ = offers_cli(capsys, database_url, "template", str(tmp_path / "vorlage.csv"))
    assert code == 0 and (tmp_path / "vorlage.csv").read_text(encoding="utf-8-sig").startswith("external_id;network")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["import", "does-not-exist.csv"], "nicht lesbar"),
        (["import", "offers.txt"], "unbekanntes Format"),
        (["validate", "binary.csv"], "keine Textdatei"),
    ],
)
def test_bad_input_is_one_line_and_a_non_zero_exit(capsys, database_url: str, tmp_path: Path, args, message):
    (tmp_path / "binary.csv").write_bytes(bytes(range(256)))
    args = [str(tmp_path / a) if "." in a else a for a in args]
    code, _, err = offers_cli(capsys, database_url, *args)
    assert code == 1
    assert message in err and len(err.strip().splitlines()) == 1 and "Traceback" not in err


def test_unreachable_database_is_one_line(capsys):
    code, _, err = offers_cli(capsys, "postgresql://nobody:wrong@127.0.0.1:1/none", "stale")
    assert code == 1 and err.startswith("Fehler: Datenbank nicht erreichbar") and "Traceback" not in err


def test_runs_as_a_module_with_help():
    result = subprocess.run(
        [sys.executable, "-m", "admin_scripts.offers", "--help"], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0 and "import" in result.stdout and "all or nothing" in result.stdout
