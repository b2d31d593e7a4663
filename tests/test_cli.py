"""The `walker` command."""

from __future__ import annotations

from pathlib import Path

from walker.cli import main

REPO = Path(__file__).resolve().parent.parent


def test_params_command_validates(capsys):
    assert main(["params", "--params", str(REPO / "params.yaml")]) == 0
    assert "walker.timestep" in capsys.readouterr().out


def test_params_command_reports_bad_file(tmp_path, capsys):
    bad = tmp_path / "params.yaml"
    bad.write_text((REPO / "params.yaml").read_text().replace("timestep: 0.005", "timestep: -1"))
    assert main(["params", "--params", str(bad)]) == 2
    assert "walker.timestep: -1.0 is out of range" in capsys.readouterr().err


def test_fsm_command_walks(capsys):
    assert main(["fsm", "--params", str(REPO / "params.yaml"), "--seed", "1"]) == 0
    assert capsys.readouterr().out.startswith("walked after 10.00 s")
