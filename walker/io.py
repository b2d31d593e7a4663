"""Atomic outputs: a stage's files and folders appear complete or not at all.

Everything is written under a temporary name beside its destination and
renamed into place at the end (a rename within one file system is atomic), so
an interrupted or failed stage never leaves an output that looks finished.
A killed run can leave a ``.<name>.partial`` beside the destination; the next
write of the same output removes it.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
from pathlib import Path
from typing import Any, Iterator

REPO_ROOT = Path(__file__).resolve().parent.parent
"""The repository (or installed package's parent) folder: relative paths in ``params.yaml`` start here."""


def partial_path(path: str | Path) -> Path:
    """Where ``path`` is built before it is renamed into place: ``.<stem>.partial<suffix>`` beside it.

    The suffix is kept because writers (numpy, matplotlib, ffmpeg) pick the format from it.
    """
    path = Path(path)
    return path.with_name(f".{path.stem}.partial{path.suffix}")


@contextlib.contextmanager
def atomic_path(path: str | Path) -> Iterator[Path]:
    """Yield a temporary file path; on success it replaces ``path``, on any error (or interrupt) it is removed."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = partial_path(path)
    tmp.unlink(missing_ok=True)
    try:
        yield tmp
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    os.replace(tmp, path)


@contextlib.contextmanager
def atomic_dir(path: str | Path) -> Iterator[Path]:
    """Yield an empty temporary folder; on success it replaces the folder ``path`` (and all it held).

    On any error, or Ctrl-C, the temporary folder is deleted and ``path`` is left as it was.
    """
    path = Path(path)
    tmp = partial_path(path)
    shutil.rmtree(tmp, ignore_errors=True)  # left by a killed run
    tmp.mkdir(parents=True)
    try:
        yield tmp
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    shutil.rmtree(path, ignore_errors=True)
    os.replace(tmp, path)


def write_bytes(data: bytes, path: str | Path) -> Path:
    """Write bytes atomically."""
    with atomic_path(path) as tmp:
        tmp.write_bytes(data)
    return Path(path)


def write_text(text: str, path: str | Path) -> Path:
    """Write text atomically."""
    with atomic_path(path) as tmp:
        tmp.write_text(text)
    return Path(path)


def write_json(data: dict[str, Any], path: str | Path) -> Path:
    """Write JSON atomically (sorted keys, so the same data gives the same bytes)."""
    return write_text(json.dumps(data, indent=2, sort_keys=True) + "\n", path)
