"""What shared code reads of a body: the interface a body package's params block satisfies.

A body (``walker/passive``, ``walker/humanoid``) is a plugin: shared modules (the rollout engine, the
protocol, PPO, the bench) never import one; they take the body's block, typed by the protocols here,
and its ids and sizes as arguments. A new body's main block satisfies :class:`BodyBlock` by having
these fields and properties; nothing needs registering.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from walker.blocks import ConditionRanges


class BodyBlock(Protocol):
    """A body's main params block (``walker`` of params.yaml, ``humanoid`` of humanoid/params.yaml) as the rollout
    engine and the protocol read it: its timing, its nominal slope and its training randomisation."""

    @property
    def control_hz(self) -> float:
        """Control rate (Hz)."""
        ...

    @property
    def control_dt(self) -> float:
        """Control step (s), ``1 / control_hz``."""
        ...

    @property
    def slope_deg(self) -> float:
        """Nominal ramp slope (deg), the slope of the nominal set."""
        ...

    @property
    def episode_seconds(self) -> float:
        """Training episode length (s)."""
        ...

    @property
    def randomization(self) -> ConditionRanges:
        """The body's training randomisation (the nominal set takes its push duration)."""
        ...
