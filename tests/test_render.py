"""`walker render`: a real headless render to mp4, decoded again, and the MJCF keyframe export loaded by MuJoCo."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

REPO = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def rendered(tmp_path_factory, params):
    """One 1 s FSM episode pushed at 0.4 s, rendered in a fresh process (MUJOCO_GL is chosen at its start)."""
    out = tmp_path_factory.mktemp("render")
    env = {k: v for k, v in os.environ.items() if k not in ("MUJOCO_GL", "DISPLAY")}
    cmd = [sys.executable, "-m", "walker.cli", "render", "--policy", "fsm", "--out", str(out / "fsm.mp4"),
           "--seconds", "1", "--push", "3", "--at", "0.4", "--keyframes", str(out / "fsm.xml"), "--params", str(REPO / "params.yaml")]
    proc = subprocess.run(cmd, cwd=REPO, env=env, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return out, proc.stdout


def test_video_decodes_with_one_frame_per_video_tick_and_moves(rendered, params):
    from walker.render import read_video

    out, stdout = rendered
    meta, frames = read_video(out / "fsm.mp4")
    r = params.report
    assert frames.shape == (1 * r.video_fps + 1, r.video_height, r.video_width, 3)  # t = 0 .. 1 s inclusive
    assert meta["fps"] == pytest.approx(r.video_fps)
    diffs = [np.abs(frames[i + 1].astype(int) - frames[i]).mean() for i in range(len(frames) - 1)]
    assert min(diffs) > 0.05, "consecutive frames should differ: the walker moves"
    assert frames.std() > 10, "frames should not be blank"
    assert "osmesa rendering" in stdout


def test_keyframes_load_in_mujoco_and_replay_the_rollout(rendered, params):
    import mujoco

    out, _ = rendered
    model = mujoco.MjModel.from_xml_path(str(out / "fsm.xml"))
    w = params.walker
    assert model.nkey == int(1 * params.report.keyframe_hz) + 1  # t = 0 .. 1 s inclusive
    assert model.opt.timestep == pytest.approx(w.timestep)
    data = mujoco.MjData(model)
    mujoco.mj_resetDataKeyframe(model, data, model.nkey - 1)
    np.testing.assert_allclose(data.qpos, model.key_qpos[-1])
    assert data.qpos[0] > 0.5, "the last key is further down the ramp than the start"
    assert np.all(np.diff(model.key_time) > 0)
    mujoco.mj_step(model, data, nstep=10)  # the keyframe state simulates
    assert np.isfinite(data.qpos).all()


def test_render_rejects_a_push_without_a_time(tmp_path):
    proc = subprocess.run(
        [sys.executable, "-m", "walker.cli", "render", "--policy", "fsm", "--out", str(tmp_path / "x.mp4"), "--push", "3",
         "--params", str(REPO / "params.yaml")],
        cwd=REPO, capture_output=True, text=True,
    )
    assert proc.returncode == 2 and "--push and --at go together" in proc.stderr
    assert not (tmp_path / "x.mp4").exists()
