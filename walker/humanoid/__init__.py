"""The second body: MuJoCo's humanoid (our tuned copy), through the same curriculum machinery as the walker.

Importing this package registers the gymnasium id ``walker/Humanoid-v0`` (the entry point is a string,
so nothing heavy is imported); ``gymnasium.make("walker.humanoid:walker/Humanoid-v0")`` imports it for you.
"""

from __future__ import annotations

HUMANOID_ENV_ID = "walker/Humanoid-v0"


def _register_gymnasium_env() -> None:
    import gymnasium

    if HUMANOID_ENV_ID not in gymnasium.registry:
        gymnasium.register(id=HUMANOID_ENV_ID, entry_point="walker.humanoid.native:HumanoidNativeEnv", max_episode_steps=None)


_register_gymnasium_env()
