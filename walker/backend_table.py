"""The backend table: the walker on MJX and on Brax's own pipelines, side by side (stage ``backends``).

Every row runs the same task through :func:`walker.passive.backends.make_env`: MJX
on ``walker.model_file`` at ``walker``'s timestep and solver, each Brax pipeline on
``backends.model_file`` at its own timestep (``backends.pipelines``). Columns:
physics throughput at ``backends.batch_sizes`` (steps/s, and simulated seconds per
second, which is what a smaller timestep costs), the closed-loop FSM gait's drift
from native MuJoCo running ``walker``'s own model, and the success of the FSM and of
a learned PPO policy on the nominal set and the suite.
"""

from __future__ import annotations

import dataclasses
import importlib
from collections.abc import Callable
from typing import Any

import jax
import numpy as np
from jax.sharding import PartitionSpec

from walker.bench import BATCH_AXIS, GaitSample, Timing, best_rate, max_gap, shard_count, sharded, tile
from walker.config import ConfigError, field
from walker.passive.backends import make_env
from walker.passive.bench import native_fsm_gait
from walker.passive.config import BRAX_PIPELINES, Params, WalkerConfig
from walker.passive.env import PassiveWalkerEnv
from walker.passive.expert import fsm_policy
from walker.passive.system import build_system
from walker.passive.task import OBS_HIP, OBS_PITCH
from walker.policy import PolicyFile
from walker.protocol import horizon_steps, mean_metrics, measure, protocol_sets
from walker.rollout import Conditions, learned_policy, make_rollout, nominal_conditions, policy_arrays, run_rollouts, start_states


@dataclasses.dataclass(frozen=True)
class BackendPipeline:
    """One Brax pipeline of the backend table."""

    timestep: float = field("its physics timestep (s); must divide the control step 1/walker.control_hz", range=(1e-4, 0.01))
    solver_iterations: int = field("iterations of its constraint solver (generalized's projected gradient; positional and spring have none)", range=(1, 1000))


@dataclasses.dataclass(frozen=True)
class BackendsConfig:
    """The backend table, stage `backends` (block `backends`, pipeline physics/dvc.yaml): the walker on Brax's own
    pipelines next to MJX. Throughput uses ``bench.physics_steps`` and ``bench.repeats``; drift ``bench.drift_seconds``
    and ``bench.drift_cases``."""

    model_file: str = field("the walker's MJCF rewritten so Brax's pipelines can represent it (docs/backends.md), relative to the repository root")
    pipelines: dict[str, BackendPipeline] = field(f"the Brax pipelines to run, by name ({', '.join(BRAX_PIPELINES)})")
    batch_sizes: tuple[int, ...] = field("batch sizes of the throughput columns", range=(1, 1_000_000))
    episodes: int = field("episodes per evaluation set (nominal, suite) for the FSM and the PPO policy on each backend", range=(1, 100_000))
    train_pipeline: str = field("the pipeline of the short PPO run (from the BC clone, block ppo's bc settings), or 'none'")
    train_env_steps: int = field("env steps of that run (a multiple of ppo.eval_every_steps)", range=(1, 10**10))

    def __post_init__(self) -> None:
        for name in self.pipelines:
            if name not in BRAX_PIPELINES:
                raise ConfigError(f"backends.pipelines.{name}: not a Brax pipeline; choose from {list(BRAX_PIPELINES)}")
        if self.train_pipeline != "none" and self.train_pipeline not in self.pipelines:
            raise ConfigError(f"backends.train_pipeline: '{self.train_pipeline}' is not in backends.pipelines {sorted(self.pipelines)} (or 'none')")



@dataclasses.dataclass(frozen=True)
class BackendsParams(Params):
    """params.yaml's blocks with block ``backends`` of ``physics/params.yaml``: what stage ``backends`` reads."""

    backends: BackendsConfig = field("the backend table")

    def __post_init__(self) -> None:
        super().__post_init__()
        for name, pipeline in self.backends.pipelines.items():
            ratio = self.walker.control_dt / pipeline.timestep
            if abs(ratio - round(ratio)) > 1e-6:
                raise ConfigError(
                    f"backends.pipelines.{name}.timestep: {pipeline.timestep:g} s must divide the control step "
                    f"1/walker.control_hz = {self.walker.control_dt:g} s"
                )
        if self.backends.train_env_steps % self.ppo.eval_every_steps:
            raise ConfigError(f"backends.train_env_steps ({self.backends.train_env_steps}) must be a multiple of ppo.eval_every_steps "
                              f"({self.ppo.eval_every_steps})")

MJX = "mjx"


def backend_walker(params: BackendsParams, backend: str) -> WalkerConfig:
    """``walker`` params for ``backend``: itself for MJX; for a Brax pipeline, its model, timestep and solver iterations."""
    if backend == MJX:
        return params.walker
    setting = params.backends.pipelines[backend]
    return dataclasses.replace(
        params.walker, backend=backend, model_file=params.backends.model_file, timestep=setting.timestep,
        solver_iterations=setting.solver_iterations,
    )


def backend_env(params: BackendsParams, backend: str) -> PassiveWalkerEnv:
    """The task's JAX env on ``backend`` (raises ConfigError naming what the pipeline cannot represent)."""
    w = backend_walker(params, backend)
    return make_env(build_system(w), w)


def pipeline_physics(env: PassiveWalkerEnv, sample: GaitSample, batch: int, repeats: int) -> Timing:
    """Physics steps/s of Brax pipeline ``env.backend``'s ``step`` on ``batch`` walkers replaying the sample's controls."""
    pipeline = importlib.import_module(f"brax.{env.backend}.pipeline")
    sys = env.sys

    def run(qpos, qvel, ctrl):
        state = jax.vmap(lambda q, v: pipeline.init(sys, q, v))(qpos, qvel)

        def physics_step(s, u):
            return jax.vmap(pipeline.step, in_axes=(None, 0, 0))(sys, s, u), None

        state, _ = jax.lax.scan(physics_step, state, ctrl)
        return state.q

    b = PartitionSpec(BATCH_AXIS)
    fn = sharded(run, shard_count(batch), (b, b, PartitionSpec(None, BATCH_AXIS)), b)
    args = tile(sample, batch)
    return best_rate(lambda: jax.block_until_ready(fn(*args)), batch * sample.ctrl.shape[1], repeats)


def mjx_physics_of(env: PassiveWalkerEnv, sample: GaitSample, batch: int, repeats: int) -> Timing:
    """Physics steps/s of ``mjx.step`` on the MJX env's model (the bench's measurement, for the table's first row)."""
    from walker.bench import mjx_physics

    return mjx_physics(env.sys.mj_model, sample, batch, repeats)


def throughput_row(env: PassiveWalkerEnv, sample: GaitSample, batch_sizes: tuple[int, ...], repeats: int,
                   log: Callable[[str], None] = print) -> dict[str, Any]:
    """Physics steps/s and simulated s/s at each batch size, with the compile time of the largest batch."""
    measure_fn = mjx_physics_of if env.backend == MJX else pipeline_physics
    out: dict[str, Any] = {"steps_per_s": {}, "sim_seconds_per_s": {}}
    for batch in batch_sizes:
        timing = measure_fn(env, sample, batch, repeats)
        out["steps_per_s"][str(batch)] = timing.steps_per_s
        out["sim_seconds_per_s"][str(batch)] = timing.steps_per_s * env.cfg.timestep
        out["first_call_s"] = timing.first_call_s
        log(f"[backends] {env.backend} batch {batch}: {timing.steps_per_s:,.0f} physics steps/s (first call {timing.first_call_s:.1f} s)")
    return out


def drift_row(params: Params, env: PassiveWalkerEnv, cases: int, seconds: float) -> dict[str, float]:
    """The closed-loop FSM gait on ``env`` against native MuJoCo on ``walker``'s model and settings, from the same
    nominal starts: the largest gap over ``seconds`` in torso x (m) and leg angles (rad), averaged over ``cases``."""
    w = params.walker
    steps = round(seconds * w.control_hz)
    seed = params.evaluate.seed
    rollout_fn = make_rollout(env, fsm_policy(params.fsm, env), steps)
    traj = run_rollouts(rollout_fn, nominal_conditions(cases, w), seed, cases, label=f"drift {env.backend}")
    qpos, qvel = start_states(env, seed, cases)
    x_native, angles_native = native_fsm_gait(params, w, qpos, qvel, steps)
    return {
        "x_m": max_gap(traj.x, x_native),
        "angle_rad": max_gap(traj.obs[:, :, [OBS_PITCH, OBS_HIP]], angles_native),
        "nonfinite_episodes": int((~np.isfinite(traj.x).all(axis=0)).sum()),
    }


def evaluation_sets(params: BackendsParams) -> dict[str, tuple[Conditions, int]]:
    """The protocol's nominal set and suite cut to their first ``backends.episodes`` conditions, with their start seeds."""
    n = params.backends.episodes
    return {name: (c.take(np.arange(min(n, len(c)))), seed) for name, (c, seed) in protocol_sets(params.walker, params.evaluate).items()}


def success_row(params: BackendsParams, env: PassiveWalkerEnv, policy: PolicyFile | None, label: str) -> dict[str, dict[str, Any]]:
    """The FSM (``policy`` None) or a learned policy on ``env``: protocol metrics on each of :func:`evaluation_sets`."""
    w, ev = params.walker, params.evaluate
    if policy is None:
        pol = fsm_policy(params.fsm, env)
        arrays = pol.params
    else:
        pol, arrays = learned_policy(policy), policy_arrays(policy)
    rollout_fn = make_rollout(env, pol, horizon_steps(w, ev))
    out = {}
    for name, (conditions, seed) in evaluation_sets(params).items():
        traj, m = measure(rollout_fn, conditions, seed, w, ev, f"backends {env.backend} {label}: {name}", env.foot_model, arrays)
        row = mean_metrics(m)
        row["nonfinite_episodes"] = int((~np.isfinite(traj.x).all(axis=0)).sum())
        out[name] = row
    return out


def _fmt(value: Any, spec: str) -> str:
    return "n/a" if value is None or (isinstance(value, float) and not np.isfinite(value)) else format(value, spec)


def backends_markdown(table: dict[str, Any], params: BackendsParams) -> str:
    """``results/backends.md``: one row per backend, then the short training run's transfer."""
    batches = [str(b) for b in params.backends.batch_sizes]
    head = ("| backend | model | timestep (ms) | " + " | ".join(f"steps/s @{b}" for b in batches)
            + f" | sim s/s @{batches[-1]} | drift x (m) | drift angle (rad) | FSM nominal | FSM suite | FSM walking suite | PPO suite | PPO walking suite |")
    lines = [
        "# The walker on MJX and on Brax's own pipelines",
        "",
        f"Produced by `dvc repro physics/dvc.yaml` (stage `backends`). Drift: closed-loop FSM gait against native MuJoCo on "
        f"`{params.walker.model_file}` over {params.bench.drift_seconds:g} s, largest gap averaged over {params.bench.drift_cases} "
        f"nominal starts. Success: the protocol ({params.evaluate.episode_seconds:g} s, sustained walk) on the first "
        f"{params.backends.episodes} episodes of the nominal set and the suite. PPO: `{table.get('ppo_policy', 'n/a')}` (trained on MJX).",
        "",
        head,
        "|" + "---|" * (head.count("|") - 1),
    ]
    for name, row in table["rows"].items():
        if "error" in row:
            lines.append(f"| {name} | {row['model']} | - | " + " | ".join("-" for _ in batches) + f" | - | fails: {row['error']} | | | | | | |")
            continue
        t, d, f, p = row["throughput"], row["drift"], row["fsm"], row["ppo"]
        lines.append(
            f"| {name} | {row['model']} | {row['timestep_s'] * 1000:g} | "
            + " | ".join(f"{t['steps_per_s'][b]:,.0f}" for b in batches)
            + f" | {t['sim_seconds_per_s'][batches[-1]]:,.1f} | {_fmt(d['x_m'], '.3f')} | {_fmt(d['angle_rad'], '.3f')} | "
            f"{f['nominal']['success']:.2f} | {f['suite']['success']:.2f} | {f['suite']['walking']:.2f} | "
            f"{p['suite']['success']:.2f} | {p['suite']['walking']:.2f} |"
        )
    train = table.get("training")
    if train:
        lines += [
            "",
            f"## PPO trained on `{train['backend']}` ({train['env_steps']:,} env steps from the BC clone, {train['wall_clock_s']:.0f} s)",
            "",
            "| evaluated on | suite success | suite walking |",
            "|---|---|---|",
            f"| {train['backend']} (where it trained) | {train['on_backend']['success']:.2f} | {train['on_backend']['walking']:.2f} |",
            f"| native MuJoCo, `{params.walker.model_file}` | {train['native']['success']:.2f} | {train['native']['walking']:.2f} |",
            f"| MJX | {train['on_mjx']['success']:.2f} | {train['on_mjx']['walking']:.2f} |",
        ]
    return "\n".join(lines) + "\n"
