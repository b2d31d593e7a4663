"""Stage `web`: the browser viewer (MuJoCo WebAssembly, three.js, the FSM, the clone and the best PPO-from-BC run)
in a servable folder, and its screenshot ``results/viewer/viewer.png``."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from walker.io import atomic_dir, write_json
from walker.passive.config import Params
from walker.summary import best_run
from walker.web import WebBuildError, build_site, screenshot

PARAMS = ("walker", "fsm", "ppo.randomization.slope_deg")


def run(params: Params, bc_dir: str, ppo_dir: str, evaluation_json: str, out_dir: str, out_json: str, shot_dir: str) -> dict[str, Any]:
    """Build the viewer; then, where a Chromium is installed, a screenshot of it with PPO walking
    (without one: a warning and an empty ``shot_dir``)."""
    evaluation_path = Path(evaluation_json)
    if not evaluation_path.is_file():
        raise WebBuildError(f"{evaluation_path}: not found; run `dvc repro evaluate` first")
    try:
        run_name = best_run(json.loads(evaluation_path.read_text())["policies"], "ppo_bc").removeprefix("ppo_")
    except ValueError as err:
        raise WebBuildError(str(err)) from None
    policies = [("bc", "BC clone", Path(bc_dir)), ("ppo", f"PPO from BC ({run_name})", Path(ppo_dir) / run_name)]
    summary = build_site(params, policies, out_dir)
    summary["ppo_run"] = run_name
    with atomic_dir(shot_dir) as tmp:
        shot = Path(tmp) / "viewer.png"
        if screenshot(out_dir, shot):
            print(f"[web] {Path(shot_dir) / shot.name}: the browser viewer with the PPO policy walking", flush=True)
        else:
            print("[web] warning: no Chromium found (scripts/system-packages.sh installs it); no viewer.png", file=sys.stderr)
    write_json(summary, out_json)
    return summary
