"""Params validation: every bad input fails before any computation, naming the key or file."""

from __future__ import annotations

import copy
from pathlib import Path

import pytest
import yaml

from walker.config import ConfigError, describe
from walker.passive.config import Params, load_params, params_from_dict

REPO = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def raw():
    return yaml.safe_load((REPO / "params.yaml").read_text())


def test_default_params_load(raw):
    params = params_from_dict(raw)
    assert params.walker.n_substeps == 4
    assert params.walker.episode_steps == 500
    preset = raw["walker"]["reward"]["preset"]
    assert params.walker.reward.weights.flight == raw["walker"]["reward"]["presets"][preset]["flight"]


def _set(data, dotted, value):
    node = data
    *parents, leaf = dotted.split(".")
    for p in parents:
        node = node[p]
    if value is _DELETE:
        del node[leaf]
    else:
        node[leaf] = value


class _Delete:
    """The key is removed rather than set (a fixed repr: the test ids must be the same in every xdist worker)."""

    def __repr__(self) -> str:
        return "<deleted>"


_DELETE = _Delete()

BAD_INPUTS = [
    ("walker.timestepp", 0.005, r"unknown key walker\.timestepp"),
    ("surprise", {}, r"unknown key surprise"),
    ("walker.timestep", "fast", r"walker\.timestep: expected a number"),
    ("walker.timestep", -0.002, r"walker\.timestep: -0\.002 is out of range; allowed \[0\.0001, 0\.01\]"),
    ("walker.slope_deg", 45.0, r"walker\.slope_deg: 45\.0 is out of range; allowed \[0\.0, 30\.0\]"),
    ("walker.control_hz", 30, r"walker\.control_hz: 30\.0 is out of range; allowed \[50\.0, 1000\.0\]"),
    ("walker.control_hz", 60, r"walker\.control_hz: 60\.0 Hz must divide the physics rate"),
    ("walker.solver", "pgs", r"walker\.solver: 'pgs' is not allowed; choose one of \['newton', 'cg'\]"),
    ("walker.solver_iterations", 2.5, r"walker\.solver_iterations: expected an integer"),
    ("walker.solver_iterations", True, r"walker\.solver_iterations: expected an integer"),
    ("walker.episode_seconds", _DELETE, r"missing key walker\.episode_seconds"),
    ("walker.reward.preset", "run", r"walker\.reward\.preset: 'run' is not one of the presets \['stand', 'walk', 'walk_grounded'\]"),
    ("walker.reward.presets.walk.forward", -1.0, r"walker\.reward\.presets\.walk\.forward: -1\.0 is out of range"),
    ("walker.randomization.slope_deg", [14.0, 9.0], r"walker\.randomization\.slope_deg: low 14\.0 exceeds high 9\.0"),
    ("walker.randomization.friction_scale", [0.0, 1.0], r"walker\.randomization\.friction_scale: \[0\.0, 1\.0\] is out of range"),
    ("evaluate.suite.slope_deg", 12.0, r"evaluate\.suite\.slope_deg: expected a range \[low, high\]"),
    ("walker.start.qvel", [1.0, 2.0], r"walker\.start\.qvel: expected a list of 6 values, got 2"),
    ("fsm.min_step_angle", 0.9, r"fsm\.min_step_angle \(0\.9\) must not exceed fsm\.max_step_angle"),
    ("demos.episodes", 0, r"demos\.episodes: 0 is out of range; allowed \[1, 1000000\]"),
    ("seeds", [], r"seeds: expected a non-empty list"),
    ("walker.timestep", float("nan"), r"walker\.timestep: must be finite"),
    ("bc.hidden_sizes", [64, 0], r"bc\.hidden_sizes\[1\]: 0 is out of range; allowed \[1, 4096\]"),
    ("bc.hidden_sizes", 64, r"bc\.hidden_sizes: expected a list"),
    ("bc.activation", "sigmoid", r"bc\.activation: 'sigmoid' is not allowed; choose one of \['tanh', 'relu', 'swish', 'elu'\]"),
    ("bc.loss", "mae", r"bc\.loss: 'mae' is not allowed; choose one of \['mse', 'huber', 'l1'\]"),
    ("bc.learning_rate", 0.0, r"bc\.learning_rate: 0\.0 is out of range"),
    ("bc.val_fraction", 1.5, r"bc\.val_fraction: 1\.5 is out of range; allowed \[0\.01, 0\.9\]"),
    ("bc.action_limit", 1.0, r"bc\.action_limit: 1\.0 is out of range"),
    ("bc.dagger_rounds", -1, r"bc\.dagger_rounds: -1 is out of range"),
    ("bc.lr_schedule", "step", r"bc\.lr_schedule: 'step' is not allowed"),
    ("bc.epochs", _DELETE, r"missing key bc\.epochs"),
    ("bc", _DELETE, r"missing key bc "),
    ("adr.limits.slope_deg", [9.0, 20.0], r"adr\.limits\.slope_deg \[9\.0, 20\.0\] must contain ppo\.randomization\.slope_deg \[8\.0, 15\.0\]"),
    ("adr.update_every_steps", 30000, r"adr\.num_timesteps \(1024000\) must be a multiple of adr\.update_every_steps"),
    ("adr.update_every_steps", 10240, r"adr\.update_every_steps \(10240\) must be a multiple of PPO's env steps per training step"),
    ("adr.reward_preset", "run", r"adr\.reward_preset: 'run' is not one of walker\.reward\.presets"),
    ("adr.lower", 0.9, r"adr\.lower \(0\.9\) must not exceed adr\.upper"),
    ("adr.step.push_impulse_ns", -1.0, r"adr\.step\.push_impulse_ns: -1\.0 is out of range"),
    ("walker.backend", "bullet", r"walker\.backend: 'bullet' is not allowed; choose one of \['mjx', 'generalized', 'positional', 'spring'\]"),
    ("evaluate.envelope_map.groups", ["ppo_big"], r"evaluate\.envelope_map\.groups\[0\]: 'ppo_big' is not allowed"),
]


# The physics studies' blocks live in physics/params.yaml and are checked with params.yaml's blocks they depend on.
PHYSICS_BAD_INPUTS = [
    ("backends.pipelines.generalized.timestep", 0.003, r"backends\.pipelines\.generalized\.timestep: 0\.003 s must divide the control step"),
    ("backends.pipelines", {"tiny": {"timestep": 0.001, "solver_iterations": 1}}, r"backends\.pipelines\.tiny: not a Brax pipeline"),
    ("backends.train_pipeline", "mjx", r"backends\.train_pipeline: 'mjx' is not in backends\.pipelines"),
    ("backends.train_env_steps", 1000, r"backends\.train_env_steps \(1000\) must be a multiple of ppo\.eval_every_steps"),
    ("gradients.horizons", [], r"gradients\.horizons: expected a non-empty list"),
    ("gradients.spread_seeds", 1, r"gradients\.spread_seeds: 1 is out of range"),
    ("apg.methods", ["autodiff", "reinforce"], r"apg\.methods\[1\]: 'reinforce' is not allowed"),
    ("apg.episode_length", 100, r"apg\.episode_length \(100\) must be a multiple of apg\.horizon_length"),
]


@pytest.mark.parametrize("key,value,message", PHYSICS_BAD_INPUTS, ids=[f"{k}={v!r}" for k, v, _ in PHYSICS_BAD_INPUTS])
def test_bad_study_input_names_the_file_and_key(raw, tmp_path, key, value, message):
    from walker.apg import ApgParams
    from walker.backend_table import BackendsParams
    from walker.config import load_study

    data = yaml.safe_load((REPO / "physics" / "params.yaml").read_text())
    _set(data, key, value)
    path = tmp_path / "physics.yaml"
    path.write_text(yaml.safe_dump(data))
    cls = BackendsParams if key.startswith("backends") else ApgParams
    with pytest.raises(ConfigError, match=r"physics\.yaml: " + message):
        load_study(cls, params_from_dict(raw), path)


def test_a_study_file_without_its_block_names_the_file_and_block(raw, tmp_path):
    from walker.apg import ApgParams
    from walker.capacity import load_capacity
    from walker.config import load_study

    path = tmp_path / "study.yaml"
    path.write_text("backends: {}\n")
    with pytest.raises(ConfigError, match=r"study\.yaml: missing block capacity"):
        load_capacity(path)
    with pytest.raises(ConfigError, match=r"study\.yaml: missing block gradients"):
        load_study(ApgParams, params_from_dict(raw), path)


def test_every_params_file_loads_and_keeps_its_blocks_to_itself():
    """Each pipeline's params file validates, and params.yaml holds no study's block (editing one reruns only that study)."""
    from walker.apg import ApgParams
    from walker.backend_table import BackendsParams
    from walker.capacity import load_capacity
    from walker.config import load_study
    from walker.humanoid.config import load_humanoid_params
    from walker.peer import load_peer

    params = load_params(REPO / "params.yaml")
    physics = REPO / "physics" / "params.yaml"
    assert load_study(ApgParams, params, physics).apg.methods and load_study(BackendsParams, params, physics).backends.pipelines
    assert load_capacity(REPO / "capacity" / "params.yaml").networks and load_peer(REPO / "peer" / "params.yaml").seeds
    assert load_humanoid_params(REPO / "humanoid" / "params.yaml").seeds
    assert set(yaml.safe_load((physics).read_text())) == {"backends", "gradients", "apg"}


@pytest.mark.parametrize("key,value,message", BAD_INPUTS, ids=[f"{k}={v!r}" for k, v, _ in BAD_INPUTS])
def test_bad_input_names_the_key(raw, key, value, message):
    data = copy.deepcopy(raw)
    _set(data, key, value)
    with pytest.raises(ConfigError, match=message):
        params_from_dict(data)


def test_missing_params_file_names_the_file(tmp_path):
    with pytest.raises(ConfigError, match=r"params file not found: .*nope\.yaml"):
        load_params(tmp_path / "nope.yaml")


def test_invalid_yaml_names_the_file(tmp_path):
    bad = tmp_path / "params.yaml"
    bad.write_text("walker: [unclosed\n")
    with pytest.raises(ConfigError, match=r"params\.yaml: not valid YAML"):
        load_params(bad)


def test_file_errors_are_prefixed_with_the_file(tmp_path, raw):
    data = copy.deepcopy(raw)
    data["walker"]["timestep"] = -1.0
    path = tmp_path / "params.yaml"
    path.write_text(yaml.safe_dump(data))
    with pytest.raises(ConfigError, match=r"params\.yaml: walker\.timestep: -1\.0 is out of range"):
        load_params(path)


def test_missing_model_file_names_the_file(raw):
    from walker.passive.model import load_mj_model

    data = copy.deepcopy(raw)
    data["walker"]["model_file"] = "walker/passive/assets/no_such_model.xml"
    params = params_from_dict(data)
    with pytest.raises(ConfigError, match=r"walker\.model_file: model file not found: .*no_such_model\.xml"):
        load_mj_model(params.walker)


def test_model_with_wrong_layout_is_rejected(raw, tmp_path):
    from walker.passive.model import load_mj_model

    xml = tmp_path / "other.xml"
    xml.write_text('<mujoco><worldbody><body><joint type="free"/><geom size=".1"/></body></worldbody></mujoco>')
    data = copy.deepcopy(raw)
    data["walker"]["model_file"] = str(xml)
    with pytest.raises(ConfigError, match=r"walker\.model_file: .*other\.xml has joints"):
        load_mj_model(params_from_dict(data).walker)


def test_unreadable_system_pickle_names_the_file(raw, tmp_path):
    from walker.passive.system import load_system

    bad = tmp_path / "system.pkl"
    bad.write_bytes(b"not a pickle")
    cfg = params_from_dict(raw).walker
    with pytest.raises(ConfigError, match=r"system\.pkl: not a readable System pickle"):
        load_system(bad, cfg)
    with pytest.raises(ConfigError, match=r"system file not found"):
        load_system(tmp_path / "absent.pkl", cfg)


def test_every_field_is_documented():
    lines = describe(Params)
    assert len(lines) > 40
    assert all(line.split(": ", 1)[1].strip() for line in lines), [l for l in lines if not l.split(": ", 1)[1].strip()]


def test_the_documented_gpu_overrides_make_a_valid_configuration():
    """docs/benchmarks.md's `dvc exp run -S ...` for a GPU, applied to params.yaml, loads (so the doc cannot rot)."""
    import re

    import yaml

    from walker.passive.config import params_from_dict

    doc = (REPO / "docs" / "benchmarks.md").read_text()
    block = doc.split("<!-- gpu-overrides:begin -->")[1].split("<!-- gpu-overrides:end -->")[0]
    overrides = re.findall(r"-S (\S+)=(\S+)", block)
    assert len(overrides) >= 4
    data = yaml.safe_load((REPO / "params.yaml").read_text())
    for key, value in overrides:
        *path, last = key.split(".")
        node = data
        for part in path:
            node = node.setdefault(part, {})
        node[last] = yaml.safe_load(value)
    p = params_from_dict(data)
    for variant in ("bc", "scratch"):
        cfg = p.ppo.for_variant(variant)
        assert cfg.batch_size * cfg.num_minibatches * cfg.unroll_length == cfg.eval_every_steps or variant == "scratch"
    assert p.ppo.num_envs == 2560


def test_the_gpu_capacity_sweep_differs_from_the_cpu_one_only_by_its_large_network():
    from walker.capacity import load_capacity

    cpu, gpu = load_capacity(REPO / "capacity" / "params.yaml"), load_capacity(REPO / "capacity" / "params-gpu.yaml")
    assert {k: v for k, v in gpu.networks.items() if k != "large"} == cpu.networks and "large" in gpu.networks
    assert (gpu.num_timesteps, gpu.seed) == (cpu.num_timesteps, cpu.seed)
