"""The DVC pipeline end to end on tiny params, in a fresh copy of the repository."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
import yaml

from walker.passive.config import load_params
from walker.web import find_chromium

# nested `dvc repro` and queue runs: minutes each. The file is one unit of xdist's work (`--dist loadfile`), so the
# built tiny repository (a module fixture) is built once, on one worker, while the other takes the rest of the suite.
pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parent.parent

TINY = {
    ("walker", "episode_seconds"): 0.5,
    ("evaluate", "episode_seconds"): 0.6,
    ("demos", "episodes"): 4,
    ("evaluate", "nominal_cases"): 2,
    ("evaluate", "suite_cases"): 4,
    ("evaluate", "rollout_batch"): 4,
    ("bc", "epochs"): 3,
    ("bc", "batch_size"): 64,
    ("bc", "dagger_rounds"): 1,
    ("bc", "dagger_episodes"): 2,
    ("bc", "dagger_epochs"): 2,
    ("critic", "epochs"): 2,
    ("ppo", "num_timesteps"): 160,  # 4 training steps of 40 env steps
    ("ppo", "eval_every_steps"): 80,
    ("ppo", "variant_overrides"): {"scratch": {"learning_rate": 0.0003, "num_updates_per_batch": 2}},
    ("ppo", "num_envs"): 4,
    ("ppo", "batch_size"): 4,
    ("ppo", "num_minibatches"): 2,
    ("ppo", "unroll_length"): 5,
    ("ppo", "critic_warmup_steps"): 80,
    ("ppo", "value_hidden_sizes"): [16],
    ("sac", "num_timesteps"): 160,  # scored at 0, 80 and 160 env steps, on ppo.eval_every_steps's grid
    ("sac", "num_envs"): 4,
    ("sac", "batch_size"): 8,
    ("sac", "grad_updates_per_step"): 2,
    ("sac", "q_hidden_sizes"): [16],
    (None, "seeds"): [0],
    ("evaluate", "sweeps"): {"slope_deg": [10.0, 14.0], "push_impulse_ns": [0.0, 6.0], "cases_per_point": 2},
    ("evaluate", "envelope_map"): {"slope_deg": [10.0, 14.0], "push_impulse_ns": [0.0, 6.0], "cases_per_point": 1, "groups": ["fsm", "ppo_wide"]},
    ("adr", "num_timesteps"): 80,  # two range updates of 40 env steps (one training step each)
    ("adr", "update_every_steps"): 40,
    ("adr", "boundary_cases"): 1,
    ("evaluate", "native_workers"): 1,
    ("report", "video_seconds"): 0.2,
    ("report", "video_width"): 64,
    ("report", "video_height"): 48,
    ("bench", "batch_sizes"): [1, 2],  # one batch on one device, one over every core (2 here)
    ("bench", "physics_steps"): 4,
    ("bench", "gait_episodes"): 1,
    ("bench", "repeats"): 1,
    ("bench", "ppo_env_steps"): 80,
    ("bench", "solvers"): {"converged": {"solver": "newton", "iterations": 100, "ls_iterations": 50}},
    ("bench", "solver_batch"): 2,
    ("bench", "drift_seconds"): 0.1,
    ("bench", "drift_cases"): 1,
}
CAPACITY_TINY = {  # capacity/params.yaml
    ("capacity", "networks"): {"tiny": {"policy_hidden_sizes": [8], "value_hidden_sizes": [8]}},
    ("capacity", "num_timesteps"): 80,  # scored at 0, 40 and 80 env steps
}
PHYSICS_TINY = {  # physics/params.yaml
    ("backends", "pipelines"): {"generalized": {"timestep": 0.001, "solver_iterations": 2}},
    ("backends", "batch_sizes"): [2],
    ("backends", "episodes"): 2,
    ("backends", "train_env_steps"): 160,  # the bc settings' 80-step critic warm-up, then 80 of PPO
    ("gradients", "horizons"): [2],
    ("gradients", "start_states"): 1,
    ("gradients", "spread_seeds"): 2,
    ("gradients", "policy_directions"): 2,
    ("gradients", "zo_samples"): 4,
    ("apg", "methods"): ["finite_difference"],  # the path with the custom VJP inside Brax's APG
    ("apg", "horizon_length"): 2,
    ("apg", "episode_length"): 4,
    ("apg", "num_envs"): 2,
    ("apg", "policy_updates"): 4,
    ("apg", "hidden_sizes"): [8],
}
HUMANOID_PPO = {
    "num_timesteps": 160, "eval_every_steps": 80, "num_envs": 4, "batch_size": 4, "num_minibatches": 2, "unroll_length": 5,
    "policy_hidden_sizes": [8], "value_hidden_sizes": [8],
}
ENVELOPE_TINY = {  # envelope/params.yaml
    ("wide_from_scratch", "start"): "scratch-0",  # the only scratch run of seeds [0]
    ("wide_variants", "variants"): {"braked_nominal": {"overspeed": 1.0, "speed_cap": 2.5, "boundary_others": "nominal"}},  # one of two
}
HUMANOID_TINY = {
    ("humanoid", "episode_seconds"): 0.5,
    ("evaluate", "cases"): 2,
    ("evaluate", "stand_seconds"): 0.5,
    ("evaluate", "walk_seconds"): 0.6,
    ("evaluate", "rollout_batch"): 2,
    ("evaluate", "native_cases"): 1,
    ("stand", None): HUMANOID_PPO,
    ("walk", None): HUMANOID_PPO,
    (None, "seeds"): [0],
    ("report", "video_seconds"): 0.2,
    ("report", "video_width"): 64,
    ("report", "video_height"): 48,
    ("bench", "batch_sizes"): [2],
    ("bench", "physics_steps"): 4,
    ("bench", "repeats"): 1,
    ("bench", "ppo_env_steps"): 0,
    ("bench", "tuning"): {"stock_collisions": {"timestep": 0.005, "solver_iterations": 1, "ls_iterations": 2, "collisions": "all"}},
    ("bench", "tuning_batch"): 2,
    ("bench", "drift_seconds"): 0.05,
    ("bench", "drift_cases"): 1,
    ("bench", "reference_iterations"): 10,
}
BENCH_KEYS = (
    "native_physics_steps_per_s", "mjx_physics_steps_per_s", "mjx_best_batch", "ratio_mjx_to_native",
    "env_ctrl_steps_per_s", "ppo_env_steps_per_s", "ppo_fraction_of_native", "device", "by_batch",
)
SUMMARY_KEYS = ("success_nominal", "success_suite", "success_suite_native", "distance_m", "speed_mps", "cost_of_transport")
PLOTS = ("sample_efficiency.png", "robustness.png", "gait.png", "summary.png", "adr_ranges.png", "envelope_map.png")
PPO_RUNS = ("bc-0", "scratch-0")
SAC_RUNS = ("scratch-0", "demos-0")
PPO_KEYS = (
    "variant", "seed", "env_steps", "wall_clock_s", "train_steps_per_s", "success_suite_start",
    "success_suite_final", "eval_return_final", "steps_to_success_threshold", "steps_to_walking_threshold", "history",
)


def _run(cmd: list[str], cwd: Path, env: dict[str, str]) -> str:
    proc = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True)
    out = proc.stdout + proc.stderr
    assert proc.returncode == 0, f"{' '.join(cmd)} failed:\n{out[-4000:]}"
    return out


def _edit_params(path: Path, edits: dict) -> None:
    data = yaml.safe_load(path.read_text())
    for (block, key), value in edits.items():
        if block is None:
            data[key] = value
        elif key is None:  # several keys of one block
            data[block].update(value)
        else:
            data[block][key] = value
    path.write_text(yaml.safe_dump(data, sort_keys=False))


def _tiny_copy(root: Path) -> dict[str, str]:
    """A git repository at ``root`` with the project's tracked files on tiny params (no data, models, results
    or lock); returns the environment its stages run in. Every copy shares the persistent compilation cache
    (``$WALKER_JAX_CACHE`` or ``~/.cache/walker/jax``): a rerun of the suite loads what the last one compiled."""
    files = subprocess.run(["git", "ls-files", "-co", "--exclude-standard"], cwd=REPO, capture_output=True, text=True, check=True)
    for rel in files.stdout.split():
        src = REPO / rel
        if not src.is_file() or rel.startswith(("data/", "models/", "results/")) or rel == "dvc.lock":
            continue
        dst = root / rel
        dst.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(src, dst)
    _edit_params(root / "params.yaml", TINY)
    _edit_params(root / "humanoid/params.yaml", HUMANOID_TINY)
    _edit_params(root / "capacity/params.yaml", CAPACITY_TINY)
    _edit_params(root / "physics/params.yaml", PHYSICS_TINY)
    _edit_params(root / "envelope/params.yaml", ENVELOPE_TINY)
    env = dict(os.environ)
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    env["PYTHONPATH"] = str(root)
    for cmd in (["git", "init", "-q"], ["git", "add", "-A"], ["git", "-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qm", "tiny"]):
        _run(cmd, root, env)
    return env


@pytest.fixture(scope="module")
def tiny_repo(tmp_path_factory):
    root = tmp_path_factory.mktemp("repo")
    return root, _tiny_copy(root)


class Background:
    """A ``dvc repro`` of another pipeline running in its own copy of the repository while the main test works
    (the stages trace and compile on one core for most of their time, so two runs share the machine's two)."""

    def __init__(self, root: Path, env: dict[str, str], *targets: str):
        self.root, self.env, self.log = root, env, root / "background.log"
        with self.log.open("w") as out:
            self.proc = subprocess.Popen([sys.executable, "-m", "dvc", "repro", *targets], cwd=root, env=env,
                                         stdout=out, stderr=subprocess.STDOUT, start_new_session=True)

    def wait(self, timeout: float = 1800) -> str:
        """Its output once it has finished; asserts it succeeded."""
        code = self.proc.wait(timeout=timeout)
        out = self.log.read_text()
        assert code == 0, f"background dvc repro failed:\n{out[-4000:]}"
        return out

    def stop(self) -> None:
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait()


@pytest.fixture(scope="module")
def background(tmp_path_factory):
    """Pipelines the main test starts in the background (``{"humanoid": Background, "physics": ...}``), for the
    tests that check them; whatever no test waited for is stopped at the end."""
    runs: dict[str, Background] = {}
    yield runs
    for run in runs.values():
        run.stop()


def _start_humanoid(background: dict, tmp_path_factory) -> None:
    """The humanoid's pipeline needs none of the walker's outputs: a copy of its own, started at once."""
    root = tmp_path_factory.mktemp("humanoid_repo")
    background["humanoid"] = Background(root, _tiny_copy(root), "humanoid/dvc.yaml")


PHYSICS_READS = ("ppo", "bench")
"""the main stages whose outputs physics/dvc.yaml reads (with everything before them: system, demos, bc, critic)"""
ENVELOPE_AND_CAPACITY = ("envelope/dvc.yaml:wide_from_scratch_eval", "envelope/dvc.yaml:wide_variants_eval", "capacity/dvc.yaml")
"""the studies that read the main pipeline's outputs and are checked by tests of their own, run together in one copy"""


def _start_on_built(background: dict, name: str, root: Path, env: dict[str, str], tmp_path_factory, *targets: str) -> None:
    """Pipelines that read the main pipeline's outputs: a copy of the built repository (its DVC cache and lock
    included), so the main test can go on editing and rerunning its own while they run."""
    copy = tmp_path_factory.mktemp(f"{name}_repo") / "repo"
    shutil.copytree(root, copy, symlinks=True)
    background[name] = Background(copy, dict(env, PYTHONPATH=str(copy)), *targets)


class Finished:
    """A pipeline run that has already finished in the foreground (as :class:`Background` once it has)."""

    def __init__(self, root: Path, out: str):
        self.root, self.out = root, out

    def wait(self) -> str:
        return self.out

    def stop(self) -> None:
        pass


def _built_run(background: dict, name: str, tiny_repo, *targets: str) -> tuple[Path, str]:
    """The root and output of the pipelines that the main test started as ``name`` on its outputs. Run alone (no
    main test before it), they run here, in the tiny repository itself, the main pipeline first, once for every test
    that reads them."""
    if name not in background:
        root, env = tiny_repo
        background[name] = Finished(root, _run([sys.executable, "-m", "dvc", "repro", *targets], root, env))
    run = background[name]
    out = run.wait()
    if isinstance(run, Background):
        assert "Running stage 'bc'" not in out and "Running stage 'ppo@" not in out  # it reads them, it does not rebuild them
    return run.root, out


def _default_sigint() -> None:
    """In the child before exec: Ctrl-C as on a terminal. A shell without job control starts background
    commands (``.ci/run &``, nohup) with SIGINT ignored, every process below inherits that, and Python then
    never raises KeyboardInterrupt."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def _interrupt(cmd: list[str], cwd: Path, env: dict[str, str], started: str, sig: signal.Signals) -> None:
    """Run ``cmd`` in its own process group; once a line containing ``started`` appears, send ``sig`` to the group.

    Asserts the run then fails, showing what it printed after the signal if it did not.
    """
    proc = subprocess.Popen(cmd, cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                            start_new_session=True, preexec_fn=_default_sigint)
    seen = []
    for line in proc.stdout:
        seen.append(line)
        if started in line:
            break
    assert any(started in line for line in seen), "".join(seen)[-3000:]
    os.killpg(proc.pid, sig)
    rest, _ = proc.communicate(timeout=120)
    assert proc.returncode != 0, f"sent {sig.name} after {started!r}, yet it exited 0; it went on with:\n{rest[-3000:]}"


def _status(root: Path, env: dict[str, str]) -> str:
    """`dvc status --json` (stdout only: the stages that are out of date)."""
    proc = subprocess.run([sys.executable, "-m", "dvc", "status", "--json"], cwd=root, env=env, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    return proc.stdout


def _main_status(root: Path, env: dict[str, str]) -> set[str]:
    """The out-of-date stages of the main pipeline (the other pipelines are not built in this copy)."""
    return {name for name in json.loads(_status(root, env)) if "dvc.yaml:" not in name}


def _lock_md5(root: Path, stage: str, path: str) -> str:
    lock = yaml.safe_load((root / "dvc.lock").read_text())
    return next(o["md5"] for o in lock["stages"][stage]["outs"] if o["path"] == path)


def test_repro_then_nothing_then_only_what_depends(tiny_repo, background, tmp_path_factory):
    root, env = tiny_repo
    dvc = [sys.executable, "-m", "dvc"]
    _start_humanoid(background, tmp_path_factory)
    # what the physics pipeline reads first (the PPO runs and the bench), so it starts while the rest is built
    first = _run(dvc + ["repro", *PHYSICS_READS], root, env)
    _start_on_built(background, "physics", root, env, tmp_path_factory, "physics/dvc.yaml")
    first += _run(dvc + ["repro"], root, env)
    _start_on_built(background, "envelope", root, env, tmp_path_factory, *ENVELOPE_AND_CAPACITY)
    for stage in ("system", "demos", "bc", *(f"ppo@{run}" for run in PPO_RUNS), *(f"sac@{run}" for run in SAC_RUNS), "ppo_wide@0", "evaluate",
                  "web", "report", "bench", "solvers"):
        assert f"Running stage '{stage}'" in first
    assert "capacity" not in first  # a separate pipeline
    web = json.loads((root / "results/web.json").read_text())
    assert web["policies"] == ["fsm", "bc", "ppo"] and web["ppo_run"] == "bc-0"
    assert (root / "results/web/vendor/mujoco/mujoco.wasm").stat().st_size > 1_000_000
    if find_chromium():
        assert (root / "results/viewer/viewer.png").stat().st_size > 10_000
    bench = json.loads((root / "results/bench.json").read_text())  # what docs/design.md promises; not its speed
    assert set(BENCH_KEYS) <= set(bench) and set(bench["by_batch"]) == {"1", "2"}
    assert "humanoid" not in bench  # the humanoid pipeline's own stage `bench`
    cores = os.cpu_count() or 1
    assert [bench["by_batch"][b]["shards"] for b in ("1", "2")] == [1, cores if 2 % cores == 0 else 1]  # a CPU device per core
    rates = [bench[k] for k in ("native_physics_steps_per_s", "mjx_physics_steps_per_s", "env_ctrl_steps_per_s", "ppo_env_steps_per_s")]
    assert all(r > 0 for r in rates)
    best = bench["by_batch"][str(bench["mjx_best_batch"])]["mjx_physics_steps_per_s"]
    assert best == max(b["mjx_physics_steps_per_s"] for b in bench["by_batch"].values()) == bench["mjx_physics_steps_per_s"]
    assert bench["ratio_mjx_to_native"] == pytest.approx(best / bench["native_physics_steps_per_s"])
    assert bench["device"].startswith(("cpu", "gpu", "tpu")) and bench["host_peak_rss_mb"] > 0
    assert (root / "results/bench_throughput.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    converged = json.loads((root / "results/solvers.json").read_text())["converged"]
    assert converged["setting_vs_reference_x_m"] == 0.0 and converged["mjx_vs_native_x_m"] < 0.01
    metrics = json.loads((root / "results/demos.json").read_text())
    for key in ("pairs", "episodes", "expert_success_nominal", "expert_distance_m_nominal", "expert_speed_mps_nominal", "expert_success_suite"):
        assert key in metrics
    assert (root / "data/demos.npz").is_file() and (root / "data/system.pkl").is_file()
    bc = json.loads((root / "results/bc.json").read_text())
    for key in ("val_loss", "success_nominal", "distance_ratio_to_expert", "success_suite"):
        assert key in bc
    from walker.policy import load_policy

    assert load_policy(root / "models/bc").metadata["dagger_rounds"] == 1
    assert (root / "results/bc_live/plots/metrics/closed_loop/success_nominal.tsv").read_text().count("\n") == 3  # header + 2 rounds
    for run in PPO_RUNS:
        result = json.loads((root / f"results/ppo/{run}.json").read_text())
        assert set(PPO_KEYS) <= set(result) and result["env_steps"] == 160
        assert [h["env_steps"] for h in result["history"]] == [0, 80, 160]  # one grid for both variants
        assert f"[ppo {run}] 160/160 env steps" in first  # progress counts to what Brax really takes
        assert load_policy(root / f"models/ppo/{run}").metadata["variant"] == run.split("-")[0]
        assert (root / f"results/ppo_live/{run}/plots/metrics/eval/success_suite.tsv").is_file()
    for run in SAC_RUNS:  # the off-policy learner on the same grid, the same result keys
        result = json.loads((root / f"results/sac/{run}.json").read_text())
        assert set(PPO_KEYS) <= set(result) and [h["env_steps"] for h in result["history"]] == [0, 80, 160]
        assert load_policy(root / f"models/sac/{run}").metadata["source"] == "sac"
        assert (result["demo_transitions"] > 0) == run.startswith("demos")

    wide = json.loads((root / "results/ppo_wide/wide-0.json").read_text())
    assert wide["env_steps"] == 80 and [h["env_steps"] for h in wide["history"]] == [0, 40, 80]
    assert load_policy(root / "models/ppo_wide/wide-0").metadata["source"] == "ppo_wide"
    assert (root / "results/ppo_wide_live/wide-0/plots/metrics/adr/slope_deg_low.tsv").is_file()
    timing = {r["stage"]: r for r in json.loads((root / "results/timing.json").read_text())["stages"]}
    assert {"system", "demos", "bc", "critic", "ppo_wide@0", "evaluate", "report", "bench", "solvers"} <= set(timing)
    substeps = load_params(root / "params.yaml").walker.n_substeps
    for run in PPO_RUNS:  # what Brax trained on, and the suite scored at every grid point
        assert timing[f"ppo@{run}"]["physics_steps_training"] == 160 * substeps and timing[f"ppo@{run}"]["physics_steps_rollout"] > 0
    assert timing["evaluate"]["physics_steps_rollout"] > 0 and timing["evaluate"]["physics_steps_native"] > 0
    assert "| **total** |" in (root / "results/timing.md").read_text()
    evaluation = json.loads((root / "results/evaluation.json").read_text())
    assert set(evaluation["envelope_map"]) == {"fsm", "ppo_wide"}
    assert evaluation["envelope_map"]["ppo_wide"]["run"] == "ppo_wide-0" and len(evaluation["envelope_map"]["fsm"]["walking"]) == 2

    summary = json.loads((root / "results/summary.json").read_text())
    for name in ("fsm", "bc", "ppo_bc", "ppo_scratch", "ppo_wide"):
        assert set(SUMMARY_KEYS) <= set(summary[name]), name
    race = summary["sample_efficiency"]
    pre = race["pre_env_steps"]
    assert pre["ppo_bc"] > 0 and pre["sac_demos"] == pre["ppo_bc"] and pre["ppo_scratch"] == pre["sac_scratch"] == 0  # demos and DAgger charged
    for criterion in ("success", "walking"):
        assert {"ppo_bc", "ppo_scratch", "sac_scratch", "sac_demos", "ratio_ppo_only", "ratio_charged", "best"} <= set(race[criterion])
    for name in PLOTS:
        assert (root / "results/plots" / name).stat().st_size > 10_000, name
    assert "## Per policy group" in (root / "results/report.md").read_text()  # the generated result tables
    videos = json.loads((root / "results/videos/index.json").read_text())["videos"]
    assert len(videos) == 10 and all(Path(root / v["video"]).stat().st_size > 0 for v in videos)
    assert (root / "results/videos/ppo_bc_pushed.keyframes.xml").is_file()
    shown = _run(dvc + ["exp", "show", "--no-pager", "--md"], root, env)
    assert "ppo_bc.success_suite_native" in shown  # the summary is the top-level metrics file

    second = _run(dvc + ["repro"], root, env)
    assert "Running stage" not in second

    _edit_params(root / "params.yaml", {("report", "video_fps"): 10})
    report_only = _run(dvc + ["repro"], root, env)
    assert "Running stage 'report'" in report_only and "Running stage 'evaluate'" not in report_only

    # an interrupted run loses nothing and reruns to the same bits: kill -9 the wide run (Ctrl-C's cleanup is
    # tests/test_io.py's; the same bits from the same seed are also bc's, tests/test_bc.py, and the env's,
    # tests/test_mjx_env.py). One rerun checks both: nothing left behind, and ADR's ranges, which move between epochs
    # at fixed points, give the first build's policy file again.
    wide_md5 = _lock_md5(root, "ppo_wide@0", "models/ppo_wide/wide-0")
    _interrupt(dvc + ["repro", "--force", "--single-item", "ppo_wide@0"], root, env, "[ppo_wide wide-0]", signal.SIGKILL)
    assert not (root / "models/ppo_wide/wide-0/policy.walker").exists(), "an interrupted stage left a policy file"
    assert "ppo_wide@0" in json.loads(_status(root, env))
    resumed = _run(dvc + ["repro", "ppo_wide@0"], root, env)
    assert "Running stage 'ppo@bc-0'" not in resumed and "Running stage 'bc'" not in resumed
    assert _lock_md5(root, "ppo_wide@0", "models/ppo_wide/wide-0") == wide_md5, "a wide run must rerun to the same bits"

    # editing a block puts out of date the stages that read it, not those before them (the report-only edit
    # above showed a rerun of just the stale stages)
    params = root / "params.yaml"
    built_params = params.read_text()
    _edit_params(params, {("bc", "learning_rate"): 0.01})
    stale = _main_status(root, env)
    assert "bc" in stale and not {"system", "demos"} & stale, stale
    params.write_text(built_params)
    _edit_params(params, {("demos", "seed"): 5})
    stale = _main_status(root, env)
    assert "demos" in stale and "system" not in stale, stale
    params.write_text(built_params)
    assert not {"system", "demos", "bc"} & _main_status(root, env)


@pytest.mark.queue
def test_the_readmes_parallel_experiments_recipe(tiny_repo):
    """The README's parallel-experiments recipe on the built tiny repository: queue two, run them two at a time,
    compare. A queued experiment starts from git, so dvc.lock and the uncached results are committed first."""
    root, env = tiny_repo
    dvc = [sys.executable, "-m", "dvc"]
    _run(dvc + ["repro", "ppo"], root, env)  # what the experiments start from (nothing to do after the main test)
    for cmd in (["git", "add", "-A"], ["git", "-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qm", "built"]):
        _run(cmd, root, env)
    rates = ("0.001", "0.002")
    for rate in rates:
        _run(dvc + ["exp", "run", "--queue", "-S", f"ppo.learning_rate={rate}", "-n", f"lr-{rate}", "ppo"], root, env)
    _run(dvc + ["queue", "start", "-j", "2"], root, env)
    deadline = time.monotonic() + 900
    while any(word in _run(dvc + ["queue", "status"], root, env) for word in ("Queued", "Running")):
        assert time.monotonic() < deadline, _run(dvc + ["queue", "status"], root, env)
        time.sleep(5)
    assert _run(dvc + ["queue", "status"], root, env).count("Success") == 2
    for rate in rates:
        log = _run(dvc + ["queue", "logs", f"lr-{rate}"], root, env)  # up to the ppo stages only
        assert "Running stage 'ppo@bc-0'" in log and "Running stage 'ppo@scratch-0'" in log, log[-3000:]
        for stage in ("system", "demos", "bc"):
            assert f"Running stage '{stage}'" not in log
    table = _run(dvc + ["exp", "show", "--no-pager", "--md", "--keep", "Experiment|learning_rate"], root, env)
    assert all(f"lr-{rate}" in table and rate in table for rate in rates), table



def test_capacity_sweep_is_its_own_pipeline(tiny_repo, background):
    root, out = _built_run(background, "envelope", tiny_repo, *ENVELOPE_AND_CAPACITY)
    assert "Running stage 'capacity/dvc.yaml:train@tiny'" in out and "Running stage 'capacity/dvc.yaml:plot'" in out
    run = json.loads((root / "results/capacity/tiny.json").read_text())
    assert run["policy_hidden_sizes"] == [8] and run["policy_parameters"] == 18 * 8 + 8 + 8 * 6 + 6
    assert 0.0 <= run["success_suite_final"] <= 1.0 and run["train_steps_per_s"] > 0 and run["env_steps"] == 80
    assert "[capacity tiny] 80/80 env steps" in out
    assert (root / "results/capacity.png").stat().st_size > 10_000


def test_adr_from_scratch_runs_on_the_main_outputs(tiny_repo, background):
    """The envelope study's ADR from PPO from scratch (issue 36 item 4): trained from the main pipeline's scratch run
    and measured as stage evaluate measures the wide runs from BC, without rebuilding the main pipeline's outputs."""
    root, out = _built_run(background, "envelope", tiny_repo, *ENVELOPE_AND_CAPACITY)
    assert "Running stage 'envelope/dvc.yaml:wide_from_scratch@0'" in out and "Running stage 'envelope/dvc.yaml:wide_from_scratch_eval'" in out
    record = json.loads((root / "results/envelope/wide_from_scratch/wide-0.json").read_text())
    assert record["start_policy"] == "models/ppo/scratch-0" and record["env_steps"] == 80
    result = json.loads((root / "results/envelope/wide_from_scratch.json").read_text())
    assert set(result["policies"]) == {"ppo_wide_scratch-0"} and result["envelope_map"]["ppo_wide_scratch"]["run"] == "ppo_wide_scratch-0"
    assert 0.0 <= result["policies"]["ppo_wide_scratch-0"]["suite"]["walking"] <= 1.0
    md = (root / "results/envelope/wide_from_scratch.md").read_text()
    assert "| ppo_wide-0 | models/ppo/bc-0 |" in md and "| ppo_wide_scratch-0 | models/ppo/scratch-0 |" in md


def test_wide_variants_run_on_the_main_outputs(tiny_repo, background):
    """The envelope study's variants of the wide runs (issue 36 items 2 and 3): ppo_wide's ADR run from the main
    pipeline's BC-seeded PPO run with a braking cost and nominal boundary tests, measured against ppo_wide's runs."""
    root, out = _built_run(background, "envelope", tiny_repo, *ENVELOPE_AND_CAPACITY)
    assert "Running stage 'envelope/dvc.yaml:wide_variant@braked_nominal-0'" in out
    record = json.loads((root / "results/envelope/wide_variants/braked_nominal-0.json").read_text())
    assert record["start_policy"] == "models/ppo/bc-0" and record["env_steps"] == 80 and record["boundary_others"] == "nominal"
    assert all("success_at_slope_deg_low" in h for h in record["history"])
    result = json.loads((root / "results/envelope/wide_variants.json").read_text())
    assert set(result["policies"]) == {"ppo_wide_braked_nominal-0"} and set(result["baseline_slope_speeds"]) == {"ppo_wide-0"}
    assert len(result["policies"]["ppo_wide_braked_nominal-0"]["sweeps"]["slope_deg"]["walking_speed_mps"]) == 2
    md = (root / "results/envelope/wide_variants.md").read_text()
    assert "| braked_nominal | 1.00 | 2.50 | nominal |" in md and "| ppo_wide-0 |" in md and "| ppo_wide_braked_nominal-0 |" in md


def test_physics_pipeline_runs_on_the_main_outputs(tiny_repo, background):
    root, out = _built_run(background, "physics", tiny_repo, "physics/dvc.yaml")
    for stage in ("backends", "gradients", "apg@finite_difference", "apg_compare"):
        assert f"Running stage 'physics/dvc.yaml:{stage}'" in out, stage
    table = json.loads((root / "results/backends.json").read_text())
    assert set(table["rows"]) == {"mjx", "generalized"}
    for row in table["rows"].values():
        assert row["throughput"]["steps_per_s"]["2"] > 0 and np.isfinite(row["drift"]["x_m"])
        assert 0.0 <= row["fsm"]["suite"]["success"] <= 1.0 and 0.0 <= row["ppo"]["suite"]["walking"] <= 1.0
    assert table["training"]["backend"] == "generalized" and table["training"]["env_steps"] == 160
    assert 0.0 <= table["training"]["native"]["success"] <= 1.0
    assert (root / "models/backends/generalized/policy.walker").is_file()
    assert "| generalized |" in (root / "results/backends.md").read_text()
    grads = json.loads((root / "results/gradients.json").read_text())
    methods = grads["horizons"]["2"]["methods"]
    assert set(methods) == {"zeroth_order", "autodiff", "autodiff_more_iterations", "autodiff_reverse", "finite_difference"}
    assert methods["finite_difference"]["gradients"] == 3 and methods["autodiff"]["nonfinite"] == 0
    assert (root / "results/plots/gradients.png").stat().st_size > 10_000
    apg = json.loads((root / "results/apg/finite_difference.json").read_text())
    assert apg["env_steps"] == 4 * 2 * 2 and apg["finite"] and 0.0 <= apg["suite"]["walking"] <= 1.0
    assert "| finite_difference |" in (root / "results/apg.md").read_text()
    assert (root / "results/plots/apg_vs_ppo.png").stat().st_size > 10_000


def test_humanoid_pipeline_stand_then_walk(background, tmp_path_factory):
    """The humanoid's curriculum end to end on tiny budgets: stand, walk from stand and from scratch, evaluate, report."""
    if "humanoid" not in background:  # run alone
        _start_humanoid(background, tmp_path_factory)
    run = background["humanoid"]
    root, env, out = run.root, run.env, run.wait()
    for stage in ("tuning", "bench", "stand", "walk_curriculum@0", "walk_scratch@0", "evaluate", "report"):
        assert f"Running stage 'humanoid/dvc.yaml:{stage}'" in out, stage
    bench = json.loads((root / "results/humanoid/bench.json").read_text())
    assert bench["ratio_mjx_to_native"] > 0 and set(bench["by_batch"]) == {"2"}
    tuning = json.loads((root / "results/humanoid/tuning.json").read_text())["stock_collisions"]
    assert tuning["collisions"] == "all" and tuning["mjx_physics_steps_per_s"] > 0 and np.isfinite(tuning["mjx_vs_native_m"])
    stand = json.loads((root / "results/humanoid/ppo/stand.json").read_text())
    assert stand["env_steps"] == 160 and [h["env_steps"] for h in stand["history"]] == [0, 80, 160]
    curriculum = json.loads((root / "results/humanoid/ppo/walk@curriculum-0.json").read_text())
    scratch = json.loads((root / "results/humanoid/ppo/walk@scratch-0.json").read_text())
    assert curriculum["variant"] == "curriculum" and scratch["variant"] == "scratch"
    # the curriculum starts from the stand policy: at step 0 it scores what the stand policy scores, scratch does not start there
    assert curriculum["history"][0]["return"] != scratch["history"][0]["return"]
    evaluation = json.loads((root / "results/humanoid/evaluation.json").read_text())
    assert set(evaluation["stand"]) == {"held_pose", "stand"} and set(evaluation["walk"]) == {"curriculum-0", "scratch-0"}
    for m in (*evaluation["stand"].values(), *evaluation["walk"].values()):
        assert 0.0 <= m["success"] <= 1.0 and m["episodes"] == 2 and m["native"]["episodes"] == 1
    summary = evaluation["summary"]
    assert summary["stand_env_steps"] == 160 and len(summary["curriculum"]["success"]["values"]) == 1
    for name in ("sample_efficiency.png", "push_robustness.png"):
        assert (root / "results/humanoid/plots" / name).stat().st_size > 10_000
    for clip in ("held_pose", "stand", "walk_curriculum", "walk_scratch"):
        assert (root / f"results/humanoid/videos/{clip}.mp4").stat().st_size > 1_000
        assert "<key" in (root / f"results/humanoid/videos/{clip}_keyframes.xml").read_text()
    assert "| walk | curriculum-0 |" in (root / "results/humanoid/report.md").read_text()
    status = _run([sys.executable, "-m", "dvc", "status", "humanoid/dvc.yaml"], root, env)
    assert "up to date" in status, status


def test_bad_params_fail_before_computation(tiny_repo):
    root, env = tiny_repo
    params = root / "params.yaml"
    original = params.read_text()
    try:
        _edit_params(params, {("demos", "episodes"): -3})
        proc = subprocess.run(
            [sys.executable, "pipeline/demos.py", "params.yaml", "data/system.pkl", "data/x.npz", "results/x.json", "results/x_timing.json"],
            cwd=root, env=env, capture_output=True, text=True,
        )
        assert proc.returncode != 0
        assert "demos.episodes: -3 is out of range" in proc.stderr
        assert not (root / "data/x.npz").exists()
    finally:
        params.write_text(original)
