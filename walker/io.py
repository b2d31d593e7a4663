"""Small output helpers shared by the stages."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any


def write_json(data: dict[str, Any], path: str | Path) -> None:
    """Write JSON atomically (temporary file, then rename), so a crash never leaves half a file."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps(data, indent=2, sort_keys=True) + "\n")
    os.replace(tmp, path)


def write_text(text: str, path: str | Path) -> None:
    """Write text atomically (temporary file, then rename)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(text)
    os.replace(tmp, path)
