"""Atomic outputs: a failed or interrupted write leaves the old output (or none), never half a new one."""

from __future__ import annotations

import json

import pytest

from walker.io import atomic_dir, atomic_path, partial_path, write_json


def test_atomic_dir_replaces_the_folder_on_success(tmp_path):
    out = tmp_path / "models" / "run"
    out.mkdir(parents=True)
    (out / "old.txt").write_text("old")
    with atomic_dir(out) as tmp:
        assert tmp != out and not any(tmp.iterdir())
        (tmp / "policy.walker").write_text("new")
    assert sorted(p.name for p in out.iterdir()) == ["policy.walker"]
    assert not partial_path(out).exists()


@pytest.mark.parametrize("error", [RuntimeError("diverged"), KeyboardInterrupt()])
def test_atomic_dir_keeps_the_old_folder_on_failure(tmp_path, error):
    out = tmp_path / "run"
    out.mkdir()
    (out / "old.txt").write_text("old")
    with pytest.raises(type(error)):
        with atomic_dir(out) as tmp:
            (tmp / "half.txt").write_text("half")
            raise error
    assert [p.name for p in out.iterdir()] == ["old.txt"]
    assert not partial_path(out).exists()


def test_atomic_dir_clears_what_a_killed_run_left(tmp_path):
    out = tmp_path / "run"
    partial_path(out).mkdir()
    (partial_path(out) / "stale.txt").write_text("from a kill -9")
    with atomic_dir(out) as tmp:
        assert not any(tmp.iterdir())
    assert out.is_dir() and not any(out.iterdir())


def test_atomic_path_keeps_the_suffix_and_cleans_up(tmp_path):
    out = tmp_path / "plot.png"
    with pytest.raises(ValueError):
        with atomic_path(out) as tmp:
            assert tmp.suffix == ".png" and tmp.parent == out.parent
            tmp.write_bytes(b"half")
            raise ValueError
    assert not out.exists() and not partial_path(out).exists()
    write_json({"b": 1, "a": [1.5]}, out.with_suffix(".json"))
    assert json.loads(out.with_suffix(".json").read_text()) == {"a": [1.5], "b": 1}


def test_demos_with_nan_are_refused_naming_the_file(tmp_path):
    import numpy as np

    from walker.demos import DemoDataset, load_dataset, save_dataset
    from walker.errors import TrainingDiverged

    obs = np.zeros((4, 18), np.float32)
    obs[2, 5] = np.nan
    path = tmp_path / "demos.npz"
    save_dataset(DemoDataset(obs=obs, action=np.zeros((4, 3), np.float32), episode=np.zeros(4, np.int32), condition=np.zeros((4, 6), np.float32)), path)
    with pytest.raises(TrainingDiverged, match=r"demos.npz: 1 demo pairs have NaN or infinite obs \(first at row 2\)"):
        load_dataset(path)
