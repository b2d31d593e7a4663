"""The envelope study's shared pieces (pipeline ``envelope/dvc.yaml``): its params file, and reading the json files
other stages write."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

ENVELOPE_PARAMS_FILE = "envelope/params.yaml"
"""the study's blocks (walkable, coverage, wide_from_scratch); it also reads ../params.yaml's blocks"""


def read_json(path: str | Path, writer: str) -> dict[str, Any]:
    """A json file another stage writes (``writer``: which stage, and the command that runs it); a missing one names it."""
    if not Path(path).is_file():
        raise FileNotFoundError(f"{path}: not found; {writer} writes it")
    return json.loads(Path(path).read_text())
