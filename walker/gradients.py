"""Gradients of a walking rollout through MJX's contact dynamics, four ways (the study of stage ``gradients``).

The objective is the distance the BC clone walks along the ramp in ``H`` control
steps from a start state, ``J(z) = x_H - x_0``, as a function of ``z = (a, u)``:

* ``a`` (k,): a step along ``k`` random orthonormal directions of the clone's
  parameter space (weights and biases flattened, the normaliser fixed), and
* ``u`` (12,): a change of the start state (qpos (6,), qvel (6,)).

``dJ/dz`` at ``z = 0`` is computed by

* **autodiff**: reverse mode through ``mjx.step`` as the env runs it;
* **autodiff_more_iterations**: the same with a more converged solver;
* **finite_difference**: reverse mode through the control loop, but each physics
  step's VJP built from central differences of that step (:func:`finite_difference_step`,
  a ``jax.custom_vjp``), and
* **zeroth_order**: Gaussian smoothing, ``E[(J(z + s e) - J(z - s e)) e] / (2 s)``
  over antithetic samples ``e ~ N(0, I)``: the gradient of the objective
  smoothed at scale ``s``, the reference the others are scored against.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
from brax import base
from brax.envs.base import State
from jax.flatten_util import ravel_pytree
from mujoco import mjx

from walker.blocks import SolverSetting
from walker.config import field
from walker.passive import task
from walker.passive.config import Params
from walker.passive.env import PassiveWalkerEnv
from walker.policy import PolicyFile
from walker.policy import apply as policy_apply
from walker.rollout import policy_arrays

GRADIENT_METHODS = ("autodiff", "autodiff_more_iterations", "autodiff_reverse", "finite_difference", "zeroth_order")
"""How stage ``gradients`` differentiates a rollout (walker.gradients); ``zeroth_order`` is the reference the others are scored against."""


@dataclasses.dataclass(frozen=True)
class GradientsConfig:
    """The gradient study, stage `gradients` (block `gradients`, pipeline physics/dvc.yaml): the gradient of the
    distance the BC clone walks in H control steps, with respect to its parameters and to the start state."""

    horizons: tuple[int, ...] = field("horizons H (control steps) of the objective, short to beyond a stride", range=(1, 10_000))
    start_states: int = field("start states (the nominal set's first ones) each gradient is taken at", range=(1, 10_000))
    spread_seeds: int = field("nudged copies of each start state; the spread of a method's gradient over them is its variance", range=(2, 10_000))
    spread_scale: float = field("std of the nudge added to the start velocities (m/s, rad/s)", range=(0.0, 1.0))
    policy_directions: int = field("random orthonormal directions in the clone's parameter space the parameter gradient is projected on", range=(1, 10_000))
    fd_step: float = field("central-difference step of the finite-difference VJP, in each input's units", range=(1e-8, 1.0))
    zo_samples: int = field("antithetic sample pairs of the zeroth-order (Gaussian-smoothing) reference", range=(1, 10**7))
    zo_sigma: float = field("smoothing std of the zeroth-order reference, in each input's units", range=(1e-8, 1.0))
    more_iterations: SolverSetting = field("the solver of the autodiff_more_iterations method (autodiff runs walker's solver, autodiff_reverse one iteration)")
    seed: int = field("seed of the directions, nudges and zeroth-order samples", range=(0, 2**31 - 1))

STATE_SIZE = 12
"""Start-state inputs: qpos (6,) and qvel (6,)."""


@dataclasses.dataclass(frozen=True)
class GradientsParams(Params):
    """params.yaml's blocks with block ``gradients`` of ``physics/params.yaml``: what stage ``gradients`` reads."""

    gradients: GradientsConfig = field("the gradient study")


def _zero_cotangent(tree: Any) -> Any:
    """Zeros shaped like ``tree``; integer and boolean leaves get JAX's ``float0`` zeros, as custom VJPs must return."""
    def zero(x: Any) -> Any:
        x = jnp.asarray(x)
        if jnp.issubdtype(x.dtype, jnp.inexact):
            return jnp.zeros_like(x)
        return np.zeros(x.shape, jax.dtypes.float0)

    return jax.tree.map(zero, tree)


def finite_difference_step(step_size: float) -> Callable[[base.System, mjx.Data], mjx.Data]:
    """``mjx.step`` whose VJP comes from central differences instead of reverse mode through the solver.

    Forward, it is ``mjx.step``. Backward, the Jacobian of ``(qpos', qvel')`` with
    respect to ``(qpos, qvel, ctrl)`` (12 x 15) is built column by column from
    ``(step(x + h e_i) - step(x - h e_i)) / 2h`` (30 physics steps, vmapped), and the
    cotangent of the next state's ``qpos, qvel`` is pulled back through it. Every
    other field of the data and the model is treated as a constant: an objective of
    the state trajectory (positions, velocities) gets its gradient; one that reads
    other outputs of the step (forces, contacts) would not.
    """
    h = float(step_size)

    def state_of(sys: base.System, d: mjx.Data, x: jax.Array) -> jax.Array:
        nq, nv = d.qpos.shape[0], d.qvel.shape[0]
        nxt = mjx.step(sys, d.replace(qpos=x[:nq], qvel=x[nq:nq + nv], ctrl=x[nq + nv:]))
        return jnp.concatenate([nxt.qpos, nxt.qvel])

    @jax.custom_vjp
    def step(sys: base.System, d: mjx.Data) -> mjx.Data:
        return mjx.step(sys, d)

    def forward(sys: base.System, d: mjx.Data) -> tuple[mjx.Data, tuple[base.System, mjx.Data]]:
        return mjx.step(sys, d), (sys, d)

    def backward(res: tuple[base.System, mjx.Data], ct: mjx.Data) -> tuple[Any, Any]:
        sys, d = res
        x = jnp.concatenate([d.qpos, d.qvel, d.ctrl])
        offsets = h * jnp.eye(x.shape[0], dtype=x.dtype)
        plus = jax.vmap(lambda e: state_of(sys, d, x + e))(offsets)
        minus = jax.vmap(lambda e: state_of(sys, d, x - e))(offsets)
        jac_t = (plus - minus) / (2.0 * h)  # (15, 12): row i = d(next state)/d x_i
        pulled = jac_t @ jnp.concatenate([ct.qpos, ct.qvel])
        nq, nv = d.qpos.shape[0], d.qvel.shape[0]
        d_ct = _zero_cotangent(d).replace(qpos=pulled[:nq], qvel=pulled[nq:nq + nv], ctrl=pulled[nq + nv:])
        return _zero_cotangent(sys), d_ct

    step.defvjp(forward, backward)
    return step


def with_solver(sys: base.System, setting: SolverSetting) -> base.System:
    """``sys`` with another constraint-solver setting (method, iterations, line-search iterations)."""
    solver = {"newton": mjx.SolverType.NEWTON, "cg": mjx.SolverType.CG}[setting.solver]
    return sys.tree_replace({"opt.solver": solver, "opt.iterations": setting.iterations, "opt.ls_iterations": setting.ls_iterations})


def parameter_directions(policy: PolicyFile, k: int, seed: int) -> np.ndarray:
    """(k, D) orthonormal random directions in the space of the policy's D weights and biases."""
    flat, _ = _flat_weights(policy_arrays(policy))
    gauss = np.random.default_rng(seed).standard_normal((int(flat.shape[0]), k))
    q, _ = np.linalg.qr(gauss)
    return q.T.astype(np.float32)


def _flat_weights(arrays: dict[str, Any]) -> tuple[jax.Array, Callable[[jax.Array], Any]]:
    return ravel_pytree((arrays["weights"], arrays["biases"]))


def start_at(env: PassiveWalkerEnv, qpos: jax.Array, qvel: jax.Array) -> State:
    """The env's state at start state ``qpos, qvel`` (6,) on the nominal ramp, no push."""
    state = env.reset(jax.random.PRNGKey(0))
    w = env.cfg
    state = env.set_conditions(state, {
        "slope_deg": w.slope_deg, "friction_scale": 1.0, "torso_mass_scale": 1.0,
        "push_impulse_ns": 0.0, "push_time_s": 0.0, "push_duration_s": w.randomization.push_duration_s,
    })
    # no mjx.forward here: the first step's forward pass recomputes everything from qpos, qvel, and skipping it keeps
    # the constraint solver (reverse-differentiable at one iteration only) out of the start
    data = state.pipeline_state.replace(qpos=qpos, qvel=qvel)
    obs = task.observation(data.qpos, data.qvel, jnp.zeros(task.ACTION_SIZE), env.geom, jnp)
    metrics = dict(state.metrics, x_position=data.qpos[0])
    return state.replace(pipeline_state=data, obs=obs, metrics=metrics)


def distance_objective(env: PassiveWalkerEnv, policy: PolicyFile, directions: np.ndarray, horizon: int) -> Callable[..., jax.Array]:
    """``J(z, qpos0 (6,), qvel0 (6,)) -> x_H - x_0``, the distance (m) the policy walks in ``horizon`` control steps.

    ``z`` (k + 12,) is the parameter step along ``directions`` (k, D) followed by the start-state change.
    """
    arrays = policy_arrays(policy)
    flat0, unflatten = _flat_weights(arrays)
    dirs = jnp.asarray(directions)
    k = dirs.shape[0]

    def objective(z: jax.Array, qpos0: jax.Array, qvel0: jax.Array) -> jax.Array:
        weights, biases = unflatten(flat0 + z[:k] @ dirs)
        pol = PolicyFile(obs_mean=arrays["obs_mean"], obs_std=arrays["obs_std"], weights=weights, biases=biases,
                         activation=policy.activation, squash=policy.squash)
        state = start_at(env, qpos0 + z[k:k + 6], qvel0 + z[k + 6:k + 12])

        def body(s: State, _: Any) -> tuple[State, None]:
            return env.step(s, policy_apply(pol, s.obs, jnp)), None

        end, _ = jax.lax.scan(body, state, None, length=horizon)
        return end.metrics["x_position"] - state.metrics["x_position"]

    return objective


def zeroth_order_gradient(objective: Callable[..., jax.Array], size: int, samples: int, sigma: float) -> Callable[..., jax.Array]:
    """``g(key, qpos0, qvel0) -> (size,)``: the Gaussian-smoothing estimate at ``z = 0`` from ``samples`` antithetic pairs."""
    def gradient(key: jax.Array, qpos0: jax.Array, qvel0: jax.Array) -> jax.Array:
        eps = jax.random.normal(key, (samples, size))
        f = jax.vmap(lambda e: objective(e, qpos0, qvel0))
        diff = f(sigma * eps) - f(-sigma * eps)  # (samples,)
        return (diff[:, None] * eps).mean(axis=0) / (2.0 * sigma)

    return gradient


def cosine(a: np.ndarray, b: np.ndarray) -> float:
    """Cosine similarity of two vectors; NaN if either is zero or not finite."""
    a, b = np.asarray(a, np.float64), np.asarray(b, np.float64)
    if not (np.all(np.isfinite(a)) and np.all(np.isfinite(b))):
        return float("nan")
    den = np.linalg.norm(a) * np.linalg.norm(b)
    return float(a @ b / den) if den > 0 else float("nan")


def relative_spread(gradients: np.ndarray) -> float:
    """Spread of gradients (n, size) of nearby inputs: RMS distance from their mean over the mean's norm (NaN if any is not finite)."""
    g = np.asarray(gradients, np.float64)
    if not np.all(np.isfinite(g)):
        return float("nan")
    mean = g.mean(axis=0)
    den = np.linalg.norm(mean)
    return float(np.sqrt(((g - mean) ** 2).sum(axis=1).mean()) / den) if den > 0 else float("nan")


def _finite(x: np.ndarray) -> bool:
    return bool(np.all(np.isfinite(x)))


def _summary(values: list[float]) -> dict[str, float | None]:
    finite = [v for v in values if np.isfinite(v)]
    return {"mean": float(np.mean(finite)) if finite else None, "std": float(np.std(finite)) if finite else None, "finite": len(finite)}


def method_gradients(method: str, env: PassiveWalkerEnv, policy: PolicyFile, directions: np.ndarray, horizon: int,
                     cfg: Any) -> Callable[..., jax.Array]:
    """``g(key, qpos0 (n, 6), qvel0 (n, 6)) -> (n, k + 12)``: ``method``'s gradient of :func:`distance_objective`
    at ``z = 0`` for a batch of start states (``cfg`` is the ``gradients`` block; ``key`` is used by zeroth_order only)."""
    size = directions.shape[0] + STATE_SIZE
    zero = jnp.zeros(size)
    if method == "zeroth_order":
        per_start = zeroth_order_gradient(distance_objective(env, policy, directions, horizon), size, cfg.zo_samples, cfg.zo_sigma)
        return jax.jit(lambda key, qpos0, qvel0: jax.vmap(per_start, in_axes=(None, 0, 0))(key, qpos0, qvel0))
    if method == "autodiff":  # forward mode: MJX's solver loop is a while_loop, which reverse mode cannot cross
        body, mode = env, jax.jacfwd
    elif method == "autodiff_more_iterations":
        body, mode = PassiveWalkerEnv(with_solver(env.sys, cfg.more_iterations), env.cfg), jax.jacfwd
    elif method == "autodiff_reverse":  # reverse mode exists only for a single solver iteration
        one = SolverSetting(solver=env.cfg.solver, iterations=1, ls_iterations=env.cfg.ls_iterations)
        body, mode = PassiveWalkerEnv(with_solver(env.sys, one), env.cfg), jax.grad
    elif method == "finite_difference":
        body, mode = PassiveWalkerEnv(env.sys, env.cfg, physics_step=finite_difference_step(cfg.fd_step)), jax.grad
    else:
        raise ValueError(f"unknown gradient method '{method}'")
    grad = mode(distance_objective(body, policy, directions, horizon))
    return jax.jit(lambda key, qpos0, qvel0: jax.vmap(lambda q, v: grad(zero, q, v))(qpos0, qvel0))


def study(env: PassiveWalkerEnv, policy: PolicyFile, cfg: Any, qpos: np.ndarray, qvel: np.ndarray, methods: tuple[str, ...],
          log: Callable[[str], None] = print) -> dict[str, Any]:
    """Every method's gradient at every horizon, scored against the zeroth-order reference.

    ``qpos, qvel`` (S, 6) are the start states. Each method also runs at ``cfg.spread_seeds``
    nudged copies of each (start velocities + N(0, spread_scale^2)): the spread over those is its
    variance. The reference runs at the start states only, twice with independent samples
    (``reference_self_cosine``: its own noise floor). Returns ``{"horizons": {H: {method: row}}}``.
    """
    k = cfg.policy_directions
    directions = parameter_directions(policy, k, cfg.seed)
    rng = np.random.default_rng(cfg.seed)
    s = len(qpos)
    nudges = rng.normal(0.0, cfg.spread_scale, (s, cfg.spread_seeds, qvel.shape[1])).astype(np.float32)
    qpos_all = np.repeat(qpos, cfg.spread_seeds + 1, axis=0).astype(np.float32)
    qvel_all = np.concatenate([qvel[:, None], qvel[:, None] + nudges], axis=1).reshape(-1, qvel.shape[1]).astype(np.float32)
    key = jax.random.PRNGKey(cfg.seed)
    out: dict[str, Any] = {"policy_directions": k, "start_states": s, "horizons": {}}
    for horizon in cfg.horizons:
        rows: dict[str, Any] = {}
        objective = jax.jit(jax.vmap(distance_objective(env, policy, directions, horizon), in_axes=(None, 0, 0)))
        distance = np.asarray(objective(jnp.zeros(k + STATE_SIZE), jnp.asarray(qpos, jnp.float32), jnp.asarray(qvel, jnp.float32)))
        ref_fn = method_gradients("zeroth_order", env, policy, directions, horizon, cfg)
        t0 = time.perf_counter()
        ref = np.asarray(jax.block_until_ready(ref_fn(key, jnp.asarray(qpos, jnp.float32), jnp.asarray(qvel, jnp.float32))))
        compile_s = time.perf_counter() - t0
        t0 = time.perf_counter()
        ref2 = np.asarray(jax.block_until_ready(ref_fn(jax.random.fold_in(key, 1), jnp.asarray(qpos, jnp.float32), jnp.asarray(qvel, jnp.float32))))
        seconds = (time.perf_counter() - t0) / s
        rows["zeroth_order"] = {
            "reference_self_cosine": _summary([cosine(a, b) for a, b in zip(ref, ref2)]),
            "norm_median": float(np.median(np.linalg.norm(ref, axis=1))),
            "nonfinite": int(sum(not _finite(g) for g in ref)),
            "seconds_per_gradient": seconds,
            "first_call_s": compile_s,
        }
        log(f"[gradients] H={horizon}: distance {distance.mean():.3f} m, reference self-cosine {rows['zeroth_order']['reference_self_cosine']['mean']:.3f}, {seconds:.2f} s per gradient")
        for method in methods:
            if method == "zeroth_order":
                continue
            fn = method_gradients(method, env, policy, directions, horizon, cfg)
            t0 = time.perf_counter()
            grads = np.asarray(jax.block_until_ready(fn(key, jnp.asarray(qpos_all), jnp.asarray(qvel_all))))
            first = time.perf_counter() - t0
            t0 = time.perf_counter()
            jax.block_until_ready(fn(key, jnp.asarray(qpos_all), jnp.asarray(qvel_all)))
            seconds = (time.perf_counter() - t0) / len(qpos_all)
            grads = grads.reshape(s, cfg.spread_seeds + 1, -1)
            at_start = grads[:, 0]
            rows[method] = {
                "cosine": _summary([cosine(g, r) for g, r in zip(at_start, ref)]),
                "cosine_policy": _summary([cosine(g[:k], r[:k]) for g, r in zip(at_start, ref)]),
                "cosine_state": _summary([cosine(g[k:], r[k:]) for g, r in zip(at_start, ref)]),
                "relative_spread": _summary([relative_spread(g) for g in grads]),
                "norm_median": float(np.median(np.linalg.norm(at_start, axis=1))) if _finite(at_start) else None,
                "nonfinite": int(sum(not _finite(g) for g in grads.reshape(-1, grads.shape[-1]))),
                "gradients": int(grads.shape[0] * grads.shape[1]),
                "seconds_per_gradient": seconds,
                "first_call_s": first,
            }
            r = rows[method]
            log(f"[gradients] H={horizon} {method}: cosine {r['cosine']['mean']}, spread {r['relative_spread']['mean']}, "
                f"norm {r['norm_median']}, non-finite {r['nonfinite']}/{r['gradients']}, {seconds * 1000:.1f} ms per gradient")
        out["horizons"][str(horizon)] = {"distance_m": float(distance.mean()), "methods": rows}
    return out


def _cell(summary: dict[str, Any] | None, spec: str = ".2f") -> str:
    if not summary or summary.get("mean") is None:
        return "n/a"
    return f"{summary['mean']:{spec}} ± {summary['std']:{spec}}"


def study_markdown(result: dict[str, Any], cfg: Any, dt: float) -> str:
    """``results/gradients.md``: cosine to the reference, spread, norm, non-finite count and cost per method and horizon."""
    lines = [
        "# Gradients through contact: d(distance walked in H control steps) / d(clone parameters, start state)",
        "",
        f"Produced by `dvc repro physics/dvc.yaml` (stage `gradients`). {result['start_states']} nominal start states, "
        f"{result['policy_directions']} random directions in the clone's parameter space + the 12 start-state coordinates. "
        f"Reference: zeroth order, {cfg.zo_samples} antithetic pairs at sigma {cfg.zo_sigma:g}; finite differences at step {cfg.fd_step:g}; "
        f"spread over {cfg.spread_seeds} copies of each start nudged by N(0, {cfg.spread_scale:g}^2) in velocity. "
        "Cosine and spread: mean ± std over the start states.",
        "",
        "| H (steps) | H (s) | method | cosine to reference | cosine, parameters | cosine, start state | relative spread | median norm | non-finite | ms per gradient |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for horizon, entry in result["horizons"].items():
        for method, row in entry["methods"].items():
            if method == "zeroth_order":
                lines.append(f"| {horizon} | {int(horizon) * dt:g} | zeroth_order (reference; self-cosine) | {_cell(row['reference_self_cosine'])} | | | | "
                             f"{row['norm_median']:.3g} | {row['nonfinite']} | {row['seconds_per_gradient'] * 1000:.0f} |")
                continue
            norm = "n/a" if row["norm_median"] is None else f"{row['norm_median']:.3g}"
            lines.append(
                f"| {horizon} | {int(horizon) * dt:g} | {method} | {_cell(row['cosine'])} | {_cell(row['cosine_policy'])} | {_cell(row['cosine_state'])} | "
                f"{_cell(row['relative_spread'], '.2g')} | {norm} | {row['nonfinite']}/{row['gradients']} | {row['seconds_per_gradient'] * 1000:.1f} |"
            )
    return "\n".join(lines) + "\n"
