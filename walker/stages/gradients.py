"""Stage `gradients`: how far to trust each way of differentiating a walking rollout through contact (docs/gradients.md)."""

from __future__ import annotations

from typing import Any

from walker.config import ConfigError
from walker.gradients import GRADIENT_METHODS, GradientsParams, study, study_markdown
from walker.io import write_json, write_text
from walker.passive.env import PassiveWalkerEnv
from walker.passive.system import load_system
from walker.policy import load_policy
from walker.protocol import protocol_sets
from walker.rollout import start_states
from walker.study_plots import gradients as gradients_figure

PARAMS = ("walker", "evaluate.seed", "evaluate.nominal_cases", {"physics/params.yaml": ("gradients",)})


def run(params: GradientsParams, system_file: str, bc_dir: str, out_json: str, out_md: str, out_plot: str) -> dict[str, Any]:
    """The study at the nominal set's first ``gradients.start_states`` start states, with the BC clone as the policy."""
    w, cfg = params.walker, params.gradients
    env = PassiveWalkerEnv(load_system(system_file, w), w)  # the study is of MJX's gradients, whatever walker.backend says
    policy = load_policy(bc_dir, env.observation_size, env.action_size)
    nominal, seed = protocol_sets(w, params.evaluate)["nominal"]
    if cfg.start_states > len(nominal):
        raise ConfigError(f"gradients.start_states ({cfg.start_states}) exceeds the nominal set's evaluate.nominal_cases ({len(nominal)})")
    qpos, qvel = start_states(env, seed, len(nominal))
    result = study(env, policy, cfg, qpos[: cfg.start_states], qvel[: cfg.start_states], GRADIENT_METHODS)
    write_json(result, out_json)
    write_text(study_markdown(result, cfg, w.control_dt), out_md)
    gradients_figure(result, w.control_dt, out_plot)
    return result
