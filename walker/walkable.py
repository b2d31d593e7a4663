"""Where a walk exists: a search over a body's expert, per slope and per uphill push, scored by the protocol's
walking criterion over full evaluation episodes (stage ``walkable``, pipeline ``envelope/dvc.yaml``).

A learned policy that does not walk at 18 deg may be short of training, or 18 deg may admit no steady walk for
this body and these actuators at all. This study bounds the second question from below: for each point (a slope
with no push, or a push at the nominal slope) a cross-entropy search over the expert's parameters (the FSM's
step angle, speed gain, ... for the passive walker) looks for a setting that walks there; "walkable" means the
best setting found walks in ``walkable_fraction`` of fresh validation episodes. A point the search does not make
walkable is not proven unwalkable: the note says how hard it looked (population, generations, episodes).

Every candidate of every point runs in one compiled rollout: the expert's parameters are data
(:class:`walker.plugin.ExpertProblem`), batched along a candidate axis over the rollout engine's episode axis.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from walker.config import ConfigError, Interval, field, load_block
from walker.plugin import ExpertProblem
from walker.protocol import EpisodeMetrics, episode_metrics, horizon_steps
from walker.rollout import (
    CONDITION_NAMES,
    Conditions,
    draw_uniform,
    episode_keys,
    episode_sharding,
    make_rollout,
    nominal_conditions,
)
from walker.timing import record_env_steps

ENVELOPE_PARAMS_FILE = "envelope/params.yaml"


@dataclasses.dataclass(frozen=True)
class WalkableConfig:
    """Where a walk exists (block `walkable` of envelope/params.yaml; stage `walkable`): a cross-entropy search over the
    body's expert per point, each point a slope (no push) or a push at the body's nominal slope."""

    slopes_deg: tuple[float, ...] = field("ramp slopes searched, no push (deg)", range=(-45.0, 45.0))
    push_impulses_ns: tuple[float, ...] = field("pushes searched at the nominal slope (N s, + downhill)", range=(-100.0, 100.0))
    search: dict[str, Interval] = field("the expert's parameters searched, each within [low, high] (names: the body's tunable parameters)")
    population: int = field("candidates per point and generation; the first is the search distribution's mean", range=(2, 4096))
    elites: int = field("best candidates the next generation's distribution is fitted to", range=(1, 4096))
    generations: int = field("search generations", range=(1, 1000))
    episodes: int = field("episodes per candidate and generation (the same starts for every candidate of a generation)", range=(1, 65536))
    finalists: int = field("best-scoring candidates of the whole search per point that are scored again on fresh episodes", range=(1, 4096))
    selection_episodes: int = field("fresh episodes each finalist is scored on; the best of them is the point's setting", range=(1, 65536))
    validation_episodes: int = field("fresh episodes (other than the selection's) the chosen setting and the params file's expert are scored on, per point",
                                     range=(1, 65536))
    initial_spread: float = field("the search distribution's first standard deviation, as a fraction of each interval", range=(0.0, 1.0))
    min_spread: float = field("floor of its standard deviation, as a fraction of each interval", range=(0.0, 1.0))
    walkable_fraction: float = field("a point is walkable when the best setting walks in at least this fraction of the validation episodes", range=(0.0, 1.0))
    seed: int = field("seed of the search's draws and of its episodes' starts", range=(0, 2**31 - 1))

    def __post_init__(self) -> None:
        if self.elites > self.population:
            raise ConfigError(f"walkable.elites ({self.elites}) must not exceed walkable.population ({self.population})")
        if not self.search:
            raise ConfigError("walkable.search: name at least one parameter of the expert")
        if self.finalists > self.population * self.generations:
            raise ConfigError(f"walkable.finalists ({self.finalists}) must not exceed the candidates searched per point "
                              f"(walkable.population x walkable.generations = {self.population * self.generations})")


def load_walkable(path: str = ENVELOPE_PARAMS_FILE) -> WalkableConfig:
    """Block ``walkable`` of ``path``, validated (errors name the file and the key)."""
    return load_block(path, "walkable", WalkableConfig)


def check_search(cfg: WalkableConfig, problem: ExpertProblem, path: str = ENVELOPE_PARAMS_FILE) -> None:
    """Every searched name is a tunable parameter of the body's expert, and its interval lies in the parameter's valid
    range; raises :class:`ConfigError` naming the key before any computation."""
    for name, interval in cfg.search.items():
        if name not in problem.bounds:
            raise ConfigError(f"{path}: walkable.search.{name}: not a tunable parameter of this body's expert; tunable: {sorted(problem.bounds)}")
        lo, hi = problem.bounds[name]
        if interval.low < lo or interval.high > hi:
            raise ConfigError(f"{path}: walkable.search.{name}: [{interval.low}, {interval.high}] is outside its valid range [{lo}, {hi}]")


@dataclasses.dataclass(frozen=True)
class Point:
    """One place in the envelope: a slope and a push (0: none)."""

    slope_deg: float
    push_impulse_ns: float


def search_points(cfg: WalkableConfig, nominal_slope_deg: float) -> list[Point]:
    """The slopes without a push, then the pushes at the nominal slope."""
    return [Point(s, 0.0) for s in cfg.slopes_deg] + [Point(nominal_slope_deg, p) for p in cfg.push_impulses_ns]


def point_conditions(point: Point, n: int, problem: ExpertProblem, seed: int) -> Conditions:
    """``n`` episodes at ``point``: nominal friction and mass, push times drawn from the suite's range (seeded)."""
    push_time = draw_uniform(np.random.default_rng(seed), problem.evaluate.suite.push_time_s, n)
    base = nominal_conditions(n, problem.block)
    return dataclasses.replace(base, slope_deg=np.full(n, point.slope_deg, np.float32),
                               push_impulse_ns=np.full(n, point.push_impulse_ns, np.float32), push_time_s=push_time)


def fitness(m: EpisodeMetrics, steps: int) -> np.ndarray:
    """A candidate's score from its episodes' metrics (G, n) arrays -> (G,): the walking fraction, then success, then
    time before a fall as tie-breakers (weights 1, 0.1, 0.01), so a search that walks nowhere yet still climbs."""
    return m.walking.mean(axis=-1) + 0.1 * m.success.mean(axis=-1) + 0.01 * (m.steps_alive / steps).mean(axis=-1)


def cem_update(unit: np.ndarray, scores: np.ndarray, elites: int, min_spread: float) -> tuple[np.ndarray, np.ndarray]:
    """The cross-entropy method's refit: candidates ``unit`` (C, d) in [0, 1]^d with ``scores`` (C,) -> the mean and
    standard deviation (d,) of the ``elites`` best (ties to the earlier candidate), the spread floored at ``min_spread``."""
    best = np.argsort(-scores, kind="stable")[:elites]
    return unit[best].mean(axis=0), np.maximum(unit[best].std(axis=0), min_spread)


@dataclasses.dataclass
class CandidateRollout:
    """The expert's rollout over G groups of n episodes, each group with its own parameter values: one compile for
    every generation of the search (and the validation) with the same G and n."""

    problem: ExpertProblem
    devices: int

    def __post_init__(self) -> None:
        steps = horizon_steps(self.problem.block, self.problem.evaluate)
        self.steps = steps
        self._run = jax.jit(jax.vmap(make_rollout(self.problem.env, self.problem.expert, steps)))

    def __call__(self, values: Mapping[str, np.ndarray], conditions: Sequence[Conditions], keys: jax.Array) -> Scored:
        """``values`` {name: (G,)} (names the expert lacks keep its params file value), ``conditions`` G sets of n
        episodes, ``keys`` (n, 2) the starts shared by every group -> the protocol's metrics, fields (G, n), and how
        often the expert asked for more than an actuator's range."""
        groups, n = len(conditions), len(conditions[0])
        defaults = self.problem.expert.params
        params = {k: jnp.asarray(values[k], jnp.float32) if k in values else jnp.full(groups, v, jnp.float32) for k, v in defaults.items()}
        columns = [jnp.asarray(np.stack([getattr(c, name) for c in conditions])) for name in CONDITION_NAMES]
        args = [params, *columns, jnp.broadcast_to(keys, (groups, *keys.shape))]
        sharding = episode_sharding(self.devices, groups) if groups % max(self.devices, 1) == 0 else None
        if sharding is not None:
            args = jax.device_put(args, sharding)
        out = [np.asarray(a) for a in self._run(*args)]
        record_env_steps(groups * n * self.steps, "rollout")
        *per_step, mass = out  # per step: (G, T, n, ...) -> (T, G * n, ...)
        flat = [np.swapaxes(a, 0, 1).reshape(a.shape[1], groups * n, *a.shape[3:]) for a in per_step]
        obs, action, _, alive, x, work, _, fell = flat
        m = episode_metrics(obs, alive, fell, x, work, mass.reshape(-1), self.problem.block.control_dt, self.problem.evaluate,
                            self.problem.env.foot_model)
        at_limit = (np.abs(action) >= SATURATED).any(axis=-1) & alive  # (T, G * n)
        saturated = at_limit.sum(axis=0) / np.maximum(alive.sum(axis=0), 1)
        return Scored(_regroup(m, groups), saturated.reshape(groups, n))


SATURATED = 0.999
"""|action| at or above this is an actuator asked for its whole range (the expert's targets are clipped to it)."""


@dataclasses.dataclass(frozen=True)
class Scored:
    """Candidate groups' episodes: the protocol's metrics and the saturation, every field (G, n)."""

    metrics: EpisodeMetrics
    saturated: np.ndarray
    """fraction of each episode's control steps (until its end or fall) with some action component at its limit"""


def _regroup(m: EpisodeMetrics, groups: int) -> EpisodeMetrics:
    """Every (G * n,) field of ``m`` as (G, n)."""
    gait = type(m.gait)(**{f.name: np.asarray(getattr(m.gait, f.name)).reshape(groups, -1) for f in dataclasses.fields(m.gait)})
    fields = {f.name: np.asarray(getattr(m, f.name)).reshape(groups, -1) for f in dataclasses.fields(m) if f.name != "gait"}
    return EpisodeMetrics(**fields, gait=gait)


def summarise(scored: Scored, group: int, steps: int) -> dict[str, float | None]:
    """Group ``group``'s episodes (of ``steps`` control steps) as the study reports them: walking, success, the fraction
    that fell, speed, cost of transport (successful episodes), gait (each episode until its end or fall) and the
    fraction of control steps with an actuator at its limit."""
    m = scored.metrics

    def mean(values: np.ndarray, where: np.ndarray | None = None) -> float | None:
        v = np.asarray(values, float)[group]
        keep = np.isfinite(v) if where is None else np.isfinite(v) & where[group]
        return float(v[keep].mean()) if keep.any() else None

    return {
        "walking": float(m.walking[group].mean()),
        "success": float(m.success[group].mean()),
        "fell": float((m.steps_alive[group] < steps).mean()),  # a fall in the very last step counts as none here
        "speed_mps": mean(m.speed_mps),
        "cost_of_transport": mean(m.cost_of_transport, m.success),
        "step_length_m": mean(m.gait.step_length_m),
        "flight_fraction": mean(m.gait.flight_fraction),
        "at_actuator_limit": float(scored.saturated[group].mean()),
    }


def unit_to_values(unit: np.ndarray, names: Sequence[str], cfg: WalkableConfig) -> dict[str, np.ndarray]:
    """Candidates in [0, 1]^d (..., d) -> {name: values (...)} inside each searched interval."""
    return {n: np.float32(cfg.search[n].low + unit[..., i] * (cfg.search[n].high - cfg.search[n].low)) for i, n in enumerate(names)}


def finalists(scores: np.ndarray, unit: np.ndarray, k: int) -> np.ndarray:
    """The ``k`` best of every candidate one point's search scored: ``scores`` (N,), ``unit`` (N, d) -> (k, d), best
    first (ties to the earlier candidate)."""
    return unit[np.argsort(-scores, kind="stable")[:k]]


def search(cfg: WalkableConfig, problem: ExpertProblem, devices: int, log=print) -> dict[str, Any]:
    """The study: per point, ``cfg.generations`` generations of the cross-entropy method over ``cfg.search``, started at
    the params file's expert; the ``cfg.finalists`` best candidates of the whole search scored again on fresh selection
    episodes, the best of them chosen (a search score from a few episodes favours the luckiest candidate); then the
    chosen setting and that expert on other fresh validation episodes, which is what the study reports. Returns the
    ``results/envelope/walkable.json`` mapping."""
    check_search(cfg, problem)
    names = list(cfg.search)
    points = search_points(cfg, problem.block.slope_deg)
    rollout = CandidateRollout(problem, devices)
    rng = np.random.default_rng(cfg.seed)
    default = np.array([float(problem.expert.params[n]) for n in names])
    lo, hi = (np.array([getattr(cfg.search[n], k) for n in names]) for k in ("low", "high"))
    mean = np.clip((default - lo) / (hi - lo), 0.0, 1.0)[None].repeat(len(points), axis=0)  # (P, d)
    spread = np.full_like(mean, cfg.initial_spread)
    conditions = [point_conditions(p, cfg.episodes, problem, cfg.seed + 1) for p in points]
    searched_unit, searched_score = [], []  # per generation: (P, C, d), (P, C)
    for generation in range(cfg.generations):
        noise = rng.standard_normal((len(points), cfg.population, len(names)))
        noise[:, 0] = 0.0  # the first candidate is the distribution's mean: generation 0 scores the params file's expert
        unit = np.clip(mean[:, None] + spread[:, None] * noise, 0.0, 1.0)  # (P, C, d)
        values = {k: v.reshape(-1) for k, v in unit_to_values(unit, names, cfg).items()}
        keys = episode_keys(cfg.seed + 100 + generation, cfg.episodes)
        m = rollout(values, [c for c in conditions for _ in range(cfg.population)], keys).metrics
        scores = fitness(m, rollout.steps).reshape(len(points), cfg.population)
        for i in range(len(points)):
            mean[i], spread[i] = cem_update(unit[i], scores[i], cfg.elites, cfg.min_spread)
        searched_unit.append(unit)
        searched_score.append(scores)
        log(f"[walkable] generation {generation + 1}/{cfg.generations}: best walking per point "
            + ", ".join(f"{s:.2f}" for s in m.walking.mean(axis=1).reshape(len(points), cfg.population).max(axis=1)))
    all_unit, all_score = np.concatenate(searched_unit, axis=1), np.concatenate(searched_score, axis=1)  # (P, G * C, ...)

    # selection: each point's finalists on the same fresh episodes; the best by the search's fitness is its setting
    final_unit = np.stack([finalists(all_score[i], all_unit[i], cfg.finalists) for i in range(len(points))])  # (P, F, d)
    picks = [point_conditions(p, cfg.selection_episodes, problem, cfg.seed + 3) for p in points]
    values = {k: v.reshape(-1) for k, v in unit_to_values(final_unit, names, cfg).items()}
    selected = rollout(values, [c for c in picks for _ in range(cfg.finalists)], episode_keys(cfg.seed + 20_000, cfg.selection_episodes))
    selection_score = fitness(selected.metrics, rollout.steps).reshape(len(points), cfg.finalists)
    selection_walking = selected.metrics.walking.mean(axis=1).reshape(len(points), cfg.finalists)
    chosen = np.argmax(selection_score, axis=1)  # (P,), ties to the better search score
    best_unit = final_unit[np.arange(len(points)), chosen]
    log("[walkable] selection: finalists' walking per point " + ", ".join("/".join(f"{w:.2f}" for w in row) for row in selection_walking))

    # validation: the chosen setting and the params file's expert on the same fresh episodes (not the selection's), per point
    checks = [point_conditions(p, cfg.validation_episodes, problem, cfg.seed + 2) for p in points]
    tuned_values = unit_to_values(best_unit, names, cfg)  # {name: (P,)}
    values = {n: np.concatenate([tuned_values[n], np.full(len(points), default[i], np.float32)]) for i, n in enumerate(names)}
    scored = rollout(values, checks + checks, episode_keys(cfg.seed + 10_000, cfg.validation_episodes))
    rows = []
    for i, p in enumerate(points):
        tuned = summarise(scored, i, rollout.steps)
        rows.append({
            "slope_deg": p.slope_deg, "push_impulse_ns": p.push_impulse_ns,
            "walkable": tuned["walking"] >= cfg.walkable_fraction,
            "tuned": {**tuned, "params": {n: float(tuned_values[n][i]) for n in names}},
            "expert": summarise(scored, len(points) + i, rollout.steps),
            "best_score_per_generation": [float(s[i].max()) for s in searched_score],
            "finalists_selection_walking": selection_walking[i].round(4).tolist(),
            "chosen_finalist": int(chosen[i]),
        })
    slopes = [r for r in rows if r["push_impulse_ns"] == 0.0]
    walkable_slopes = [r["slope_deg"] for r in slopes if r["walkable"]]
    return {
        "searched": {n: [cfg.search[n].low, cfg.search[n].high] for n in names},
        "expert": {n: float(default[i]) for i, n in enumerate(names)},
        "population": cfg.population, "generations": cfg.generations, "episodes": cfg.episodes,
        "finalists": cfg.finalists, "selection_episodes": cfg.selection_episodes,
        "validation_episodes": cfg.validation_episodes, "walkable_fraction": cfg.walkable_fraction,
        "episode_seconds": problem.evaluate.episode_seconds,
        "points": rows,
        "steepest_walkable_slope_deg": max(walkable_slopes) if walkable_slopes else None,
    }


def walkable_markdown(result: Mapping[str, Any]) -> str:
    """``results/envelope/walkable.md``: per point, the params file's expert and the best setting found, on the same
    fresh episodes."""
    from walker.tables import fmt, table

    names = list(result["searched"])
    header = ("slope (deg)", "push (N s)", "expert: walking", "success", "best found: walking", "success", "fell", "speed (m/s)",
              "step (m)", "flight", "cost of transport", "at actuator limit", "finalists: walking (chosen)", *names)
    rows = []
    for r in result["points"]:
        e, t = r["expert"], r["tuned"]
        rows.append((fmt(r["slope_deg"], 1), f"{r['push_impulse_ns']:+g}", fmt(e["walking"], 2), fmt(e["success"], 2),
                     fmt(t["walking"], 2) + (" (walkable)" if r["walkable"] else ""), fmt(t["success"], 2), fmt(t["fell"], 2),
                     fmt(t["speed_mps"], 2), fmt(t["step_length_m"], 2), fmt(t["flight_fraction"], 2), fmt(t["cost_of_transport"], 3),
                     fmt(t["at_actuator_limit"], 2), _finalists_cell(r),
                     *(fmt(t["params"][n], 3) for n in names)))
    searched = ", ".join(f"{n} in [{lo:g}, {hi:g}] (expert {result['expert'][n]:g})" for n, (lo, hi) in result["searched"].items())
    steepest = result["steepest_walkable_slope_deg"]
    return "\n\n".join([
        "# Where a walk exists",
        "Generated by stage `walkable` (envelope/dvc.yaml) from `results/envelope/walkable.json`; do not edit by hand.",
        (f"A cross-entropy search over the expert's parameters per point ({result['population']} candidates x "
         f"{result['generations']} generations, {result['episodes']} episodes of {fmt(result['episode_seconds'], 0)} s per candidate, "
         f"started at the params file's expert); the {result['finalists']} best candidates of each point's search scored again on "
         f"{result['selection_episodes']} fresh episodes and the best of them chosen; then the chosen setting (\"best found\") and "
         f"the expert on the same {result['validation_episodes']} other fresh episodes. "
         f"Walkable: the chosen setting walks in at least {fmt(result['walkable_fraction'], 2)} of them. "
         "A point that is not walkable here is not shown unwalkable: only this search found no walk there."),
        f"Searched: {searched}.",
        f"Steepest walkable slope (no push): {'none' if steepest is None else fmt(steepest, 1) + ' deg'}.",
        table(header, rows),
    ]) + "\n"


def _finalists_cell(row: Mapping[str, Any]) -> str:
    """The finalists' walking on the selection episodes, search order, the chosen one starred."""
    return " / ".join(f"{w:.2f}" + ("*" if i == row["chosen_finalist"] else "") for i, w in enumerate(row["finalists_selection_walking"]))


def walkable_plot(result: Mapping[str, Any], path: str) -> None:
    """Walking against slope (no push) and against push (nominal slope): the expert and the best setting found."""
    from walker.plots import pyplot, save_figure

    plt = pyplot()
    fig, axes = plt.subplots(1, 2, figsize=(10, 3.8), sharey=True)
    for ax, key, label, keep in ((axes[0], "slope_deg", "slope (deg), no push", lambda r: r["push_impulse_ns"] == 0.0),
                                 (axes[1], "push_impulse_ns", "push (N s, + downhill), nominal slope", lambda r: r["push_impulse_ns"] != 0.0)):
        rows = sorted((r for r in result["points"] if keep(r)), key=lambda r: r[key])
        xs = [r[key] for r in rows]
        ax.plot(xs, [r["expert"]["walking"] for r in rows], "o--", color="0.5", label="expert (params file)")
        ax.plot(xs, [r["tuned"]["walking"] for r in rows], "o-", color="tab:green", label="best setting found")
        ax.axhline(result["walkable_fraction"], color="tab:red", lw=0.8, ls=":", label="walkable")
        ax.set_xlabel(label)
        ax.set_ylim(-0.05, 1.05)
        ax.grid(alpha=0.3)
    axes[0].set_ylabel("walking success (fresh episodes)")
    axes[0].legend(loc="lower left", fontsize=8)
    fig.suptitle("Where a walk exists: the expert searched per point")
    fig.tight_layout()
    save_figure(fig, path)
