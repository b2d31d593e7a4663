"""walker: a curriculum from an FSM expert to a robust learned biped gait.

Importing the package registers the gymnasium id ``walker/PassiveWalker-v0``
(the entry point is a string, so nothing heavy is imported here).
"""

from __future__ import annotations

__version__ = "0.1.0"

ENV_ID = "walker/PassiveWalker-v0"


def _register_gymnasium_env() -> None:
    try:
        import gymnasium
    except ImportError:  # pragma: no cover - gymnasium is a dependency
        return
    if ENV_ID not in gymnasium.registry:
        gymnasium.register(id=ENV_ID, entry_point="walker.passive.native:PassiveWalkerNativeEnv", max_episode_steps=None)


_register_gymnasium_env()
