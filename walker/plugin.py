"""The body interface: what a body package provides to the shared machinery.

A body is a plugin: a package (``walker/passive``, ``walker/humanoid``) with a ``plugin`` module whose
``BODY`` satisfies :class:`Body`. Shared modules never import a body (``tests/test_import_direction.py``);
what they need of one they take as arguments: its main params block (typed by :class:`walker.body.BodyBlock`),
its MJX env (:class:`BodyEnv`), its native gymnasium env, its ids and sizes. ``tests/test_body_contract.py``
runs every body's ``BODY`` through the same checks, and ``tests/test_dvc_deps.py`` makes every stage that
loads a body's model list the body's :attr:`Body.data_files`. See docs/design.md, "Bodies are plugins".
"""

from __future__ import annotations

import dataclasses
import importlib
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    import gymnasium
    import jax
    from brax.envs.base import State

    from walker.blocks import EvaluateConfig
    from walker.body import BodyBlock
    from walker.rollout import Policy


class BodyEnv(Protocol):
    """A body's MJX env as the rollout engine, PPO and the protocol use it (a Brax ``PipelineEnv``). The episode's
    condition and push are data in ``state.info`` (:data:`walker.conditions.CONDITION_KEYS`): ``reset`` draws them,
    ``step`` builds its physics from them, ``set_conditions`` overrides them."""

    @property
    def observation_size(self) -> int: ...

    @property
    def action_size(self) -> int: ...

    def reset(self, rng: jax.Array) -> State:
        """A fresh episode: the start state from ``rng`` and a condition drawn from the block's randomisation."""
        ...

    def step(self, state: State, action: jax.Array) -> State:
        """One control step (``action`` in [-1, 1]^action_size) under the episode's condition and push."""
        ...

    def start_state(self, rng: jax.Array) -> tuple[jax.Array, jax.Array]:
        """The start (qpos (nq,), qvel (nv,)) that ``reset`` uses for ``rng``: native runs replay it."""
        ...

    def set_conditions(self, state: State, values: dict[str, jax.Array]) -> State:
        """``state`` with the named condition values replaced (the rest as drawn)."""
        ...

    def total_mass(self, state: State) -> jax.Array:
        """The body's mass (kg) under the episode's condition (the torso mass scale changes it)."""
        ...


class Body(Protocol):
    """What a body package provides (its ``plugin.BODY``)."""

    name: str
    """Its name in commands and results (``passive``, ``humanoid``)."""
    params_file: str
    """The params file holding its main block, relative to the repository root."""
    block_key: str
    """The top-level key of its main block in that file (``walker``, ``humanoid``)."""
    data_files: tuple[str, ...]
    """Files its code loads at run time (its MJCF models), relative to the repository root: a stage that imports the
    body's model module lists them in its dvc.yaml deps."""
    model_module: str
    """The module (repository path) that loads those files."""
    camera: str
    """The camera of its native model that the videos track."""
    torso: str
    """The model body that ``torso_mass_scale`` scales and the push acts on."""
    has_expert: bool
    """Whether it has a scripted expert (the FSM of the passive walker): the stages that need one (demos, bc,
    critic, ppo_wide) run only for such a body."""

    def load_block(self, path: str | Path | None = None) -> BodyBlock:
        """Its main params block from ``path`` (default: :attr:`params_file`), validated (errors name the file and key)."""
        ...

    def mjx_env(self, block: Any) -> BodyEnv:
        """Its MJX env for ``block`` (the block's training randomisation)."""
        ...

    def native_env(self, block: Any) -> gymnasium.Env:
        """Its gymnasium env on native MuJoCo for ``block``: ``reset`` takes the condition names of
        :data:`walker.conditions.CONDITION_KEYS` (and ``qpos``, ``qvel``) as options; ``model``/``data`` are MuJoCo's."""
        ...

    def expert_problem(self, path: str | Path | None = None) -> ExpertProblem:
        """Its scripted expert with its tunable parameters as data, with the MJX env and protocol it is scored in,
        from the params file ``path`` (default: :attr:`params_file`). Raises ``ValueError`` for a body without an
        expert (:attr:`has_expert` False)."""
        ...


@dataclasses.dataclass(frozen=True)
class ExpertProblem:
    """A body's expert as a search over its parameters sees it (the envelope study, :mod:`walker.walkable`)."""

    env: BodyEnv
    """the body's MJX env (nominal block: evaluation overrides each episode's condition)"""
    block: BodyBlock
    """the body's main params block"""
    evaluate: EvaluateConfig
    """the protocol's block (episode length, success and walking criteria, push times)"""
    expert: Policy
    """the expert as a rollout policy whose ``params`` is ``{name: float32 scalar}``, the params file's values: the
    rollout takes other values of the same names without recompiling"""
    bounds: Mapping[str, tuple[float, float]]
    """each tunable parameter's valid range (a search interval must lie inside it)"""


def body_names() -> list[str]:
    """The bodies in this checkout: every package ``walker/<name>`` with a ``plugin`` module."""
    return sorted(p.parent.name for p in Path(__file__).resolve().parent.glob("*/plugin.py"))


def load_body(name: str) -> Body:
    """Body ``name``'s plugin (``walker/<name>/plugin.py``'s ``BODY``), found by name, so that shared code never
    imports a body; a stage that takes ``--body NAME`` lists that body's modules in its deps (tests/test_dvc_deps.py)."""
    if name not in body_names():
        raise ValueError(f"unknown body '{name}'; the bodies here: {body_names()}")
    return importlib.import_module(f"walker.{name}.plugin").BODY
