"""The humanoid: params checked by name, the gymnasium env, the task's terms, MJX against native MuJoCo, the protocol."""

from __future__ import annotations

import copy
import dataclasses

import gymnasium
import numpy as np
import pytest
import yaml

from walker.config import ConfigError
from walker.humanoid import HUMANOID_ENV_ID, task
from walker.humanoid.config import HUMANOID_PARAMS_FILE, humanoid_params_from_dict, load_humanoid_params
from walker.humanoid.native import HumanoidNativeEnv, native_rollouts
from walker.humanoid.protocol import evaluation_set, horizon_steps, task_metrics
from walker.io import REPO_ROOT
from walker.rollout import Trajectories, nominal_conditions

RAW = yaml.safe_load((REPO_ROOT / HUMANOID_PARAMS_FILE).read_text())


@pytest.fixture(scope="module")
def hp():
    return load_humanoid_params(REPO_ROOT / HUMANOID_PARAMS_FILE)


def _with(change) -> dict:
    data = copy.deepcopy(RAW)
    change(data)
    return data


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda d: d["humanoid"].update(timestep=0.5), "humanoid.timestep: 0.5 is out of range"),
        (lambda d: d["humanoid"].update(control_hz=70.0), "humanoid.control_hz: 70.0 Hz must divide"),
        (lambda d: d["humanoid"].update(colour="red"), "unknown key humanoid.colour"),
        (lambda d: d["humanoid"]["reward"].update(preset="dance"), "humanoid.reward.preset: 'dance' is not one of the presets"),
        (lambda d: d["humanoid"]["reward"]["presets"].pop("stand"), "humanoid.reward.preset: 'stand' is not one of the presets"),
        (lambda d: d["humanoid"]["reward"]["presets"]["kneel"].update(target_height=0.5), "humanoid.reward.presets.kneel.target_height (0.5)"),
        (lambda d: d["walk"].update(policy_hidden_sizes=[32]), "walk.policy_hidden_sizes [32]"),
        (lambda d: d["stand"].update(critic_init="offline"), "stand: critic_init must be fresh"),
        (lambda d: d["evaluate"]["stand_set"].update(friction_scale=[2.0, 1.0]), "evaluate.stand_set.friction_scale: low 2.0 exceeds high 1.0"),
        (lambda d: d.pop("seeds"), "missing key seeds"),
        (lambda d: d["report"].update(video_fps=30), "report.video_fps: 30 must divide humanoid.control_hz"),
    ],
)
def test_bad_humanoid_params_fail_by_name(change, message):
    with pytest.raises(ConfigError, match=message.replace("(", r"\(").replace(")", r"\)").replace("[", r"\[").replace("]", r"\]")):
        humanoid_params_from_dict(_with(change))


def test_missing_params_file_and_model_are_named(tmp_path, hp):
    from walker.humanoid.model import load_humanoid_model

    with pytest.raises(ConfigError, match="params file not found"):
        load_humanoid_params(tmp_path / "nope.yaml")
    with pytest.raises(ConfigError, match="humanoid.model_file: model file not found"):
        load_humanoid_model(dataclasses.replace(hp.humanoid, model_file="walker/humanoid/assets/none.xml"))
    broken = tmp_path / "walker.xml"
    broken.write_text((REPO_ROOT / "walker/passive/assets/walker.xml").read_text())
    with pytest.raises(ConfigError, match="humanoid.model_file: .*free joint of body 'torso'"):
        load_humanoid_model(dataclasses.replace(hp.humanoid, model_file=str(broken)))


def test_gymnasium_makes_the_env_by_its_id():
    """check_env and the sizes are the body contract's (tests/test_body_contract.py); here: the registered id."""
    env = gymnasium.make(f"walker.humanoid:{HUMANOID_ENV_ID}", params_file=str(REPO_ROOT / HUMANOID_PARAMS_FILE))
    obs, _ = env.reset(seed=0)
    assert obs.shape == (task.OBS_SIZE,) and env.action_space.shape == (task.ACTION_SIZE,)


def test_native_env_stands_up_straight_and_falls_when_it_holds_still(hp):
    env = HumanoidNativeEnv(hp.humanoid)
    obs, _ = env.reset(seed=1)
    assert obs[task.OBS_HEIGHT] == pytest.approx(1.28, abs=0.01)  # the standing pose, feet on the floor
    assert np.all(np.abs(obs[task.OBS_FOOT_H]) < 0.01)
    assert obs[3] == pytest.approx(1.0, abs=1e-3)  # upright: world z is the torso's z
    for step in range(200):  # the held pose is a statue: it topples within 5 s
        obs, _, terminated, _, _ = env.step(np.zeros(task.ACTION_SIZE))
        if terminated:
            break
    assert terminated and obs[task.OBS_HEIGHT] < hp.humanoid.min_height


def test_reward_presets_weigh_named_terms(hp):
    obs = np.zeros(task.OBS_SIZE, np.float32)
    obs[task.OBS_HEIGHT], obs[3], obs[task.OBS_VEL.start] = 1.25, 1.0, 1.0  # upright at the stand target, 1 m/s forward
    action = np.full(task.ACTION_SIZE, 0.5, np.float32)
    stand = task.weighted_terms(task.reward_terms(obs, action, hp.humanoid.for_task("stand"), np), hp.humanoid.reward.presets["stand"])
    walk = task.weighted_terms(task.reward_terms(obs, action, hp.humanoid.for_task("walk"), np), hp.humanoid.reward.presets["walk"])
    kneel = task.reward_terms(obs, action, hp.humanoid.for_task("kneel"), np)
    assert set(stand) == set(task.REWARD_TERMS)
    assert stand["still"] < 0 and stand["forward"] == 0  # standing: moving costs, speed earns nothing
    assert walk["forward"] == pytest.approx(2.0) and walk["still"] == 0
    assert stand["height"] == pytest.approx(1.0)
    assert kneel["height"] < 0.05  # 1.25 m is two widths above the kneel target
    assert stand["energy"] == pytest.approx(-0.1 * 0.25)


def test_stand_success_is_no_fall_and_walk_success_needs_speed(hp):
    from walker.humanoid.env import HumanoidEnv  # noqa: F401 - the gait model needs only the body

    body = task.body_of(HumanoidNativeEnv(hp.humanoid).model)
    T, n = 40, 3
    obs = np.zeros((T, n, task.OBS_SIZE), np.float32)
    fell = np.zeros((T, n), bool)
    fell[-1, 1] = True  # a fall in the last step is a fall
    alive = np.ones((T, n), bool)
    x = np.zeros((T + 1, n))
    traj = Trajectories(obs=obs, action=np.zeros((T, n, 21)), alive=alive, x=x, work=np.zeros((T, n)), mass=np.ones(n), fell=fell)
    stand = task_metrics(traj, "stand", hp.humanoid, hp.evaluate, task.foot_model(body))
    assert stand.success.tolist() == [True, False, True] and not stand.walking.any()
    walk = task_metrics(traj, "walk", hp.humanoid, hp.evaluate, task.foot_model(body))
    assert not walk.success.any()  # standing still is not a walk at >= 1 m/s
    assert horizon_steps("walk", hp.humanoid, hp.evaluate) == int(hp.evaluate.walk_seconds * hp.humanoid.control_hz)


def test_evaluation_sets_are_fixed_by_the_seed(hp):
    a, seed_a = evaluation_set("stand", hp.evaluate)
    b, seed_b = evaluation_set("stand", hp.evaluate)
    w, seed_w = evaluation_set("walk", hp.evaluate)
    assert np.array_equal(a.as_array(), b.as_array()) and seed_a == seed_b and seed_w != seed_a
    assert len(a) == hp.evaluate.cases and np.abs(a.push_impulse_ns).max() <= 10.0


@pytest.fixture(scope="module")
def mjx_env(hp):
    import jax

    from walker.humanoid.env import HumanoidEnv

    env = HumanoidEnv(hp.humanoid)
    return env, jax.jit(env.reset), jax.jit(env.step)


@pytest.mark.slow
def test_mjx_and_native_agree_over_half_a_second(hp, mjx_env):
    """Same start, same actions: MJX (3.17, float32) and native MuJoCo (4.0, float64) stay within 3 cm
    (root position) and 0.1 rad (every hinge) over 20 control steps (0.5 s) of a standing humanoid, the
    step's reward within 0.05 and its positive work within 0.1 J; measured on one host: 4-10 mm,
    0.016-0.031 rad, 0.001 and 0.01-0.05 J (docs/humanoid.md). MJX on a CPU is not bit-identical across
    hosts, hence the margins."""
    import jax
    import jax.numpy as jnp

    env, reset, step = mjx_env
    native = HumanoidNativeEnv(hp.humanoid)
    for k in range(2):
        key = jax.random.PRNGKey(k)
        state = reset(key)
        qpos, qvel = env.start_state(key)
        obs, _ = native.reset(options={"qpos": np.asarray(qpos, float), "qvel": np.asarray(qvel, float)})
        np.testing.assert_allclose(obs, np.asarray(state.obs), atol=1e-4)
        for t in range(20):
            action = (0.2 * np.sin(2 * np.pi * t / 40 + np.arange(task.ACTION_SIZE))).astype(np.float32)
            state = step(state, jnp.asarray(action))
            obs, reward, _, _, info = native.step(action)
        q = np.asarray(state.pipeline_state.qpos)
        assert np.abs(q[:3] - native.data.qpos[:3]).max() < 0.03
        assert np.abs(q[7:] - native.data.qpos[7:]).max() < 0.1
        assert float(state.reward) == pytest.approx(reward, abs=0.05)
        assert float(state.metrics["positive_work"]) == pytest.approx(info["positive_work"], abs=0.1)


@pytest.mark.slow
def test_mjx_push_and_conditions(hp, mjx_env):
    """The push moves the torso along its sign, in proportion to the impulse; set_conditions reaches the physics."""
    import jax
    import jax.numpy as jnp

    env, reset, step = mjx_env
    base = reset(jax.random.PRNGKey(3))
    conditions = {"slope_deg": 0.0, "friction_scale": 1.0, "torso_mass_scale": 1.0, "push_impulse_ns": 0.0, "push_time_s": 0.0,
                  "push_duration_s": 0.025}

    def torso_speed(impulse: float) -> float:
        state = step(env.set_conditions(base, {**conditions, "push_impulse_ns": impulse}), jnp.zeros(task.ACTION_SIZE))
        return float(state.pipeline_state.qvel[0])

    calm = torso_speed(0.0)
    forward, twice, backward = torso_speed(10.0) - calm, torso_speed(20.0) - calm, torso_speed(-10.0) - calm
    assert forward > 0.1 and backward < -0.1
    assert twice == pytest.approx(2 * forward, rel=0.1)  # the push's effect scales with its impulse
    mass = float(env.total_mass(env.set_conditions(base, conditions)))  # reset drew a torso mass from the training range
    heavy = env.set_conditions(base, {**conditions, "torso_mass_scale": 1.5})
    assert float(env.total_mass(heavy)) == pytest.approx(mass + 0.5 * float(env.sys.body_mass[env.body.torso]), rel=1e-5)


@pytest.mark.slow
def test_native_rollouts_replay_mjx_starts(hp, mjx_env):
    from walker.rollout import start_states

    env, _, _ = mjx_env
    qpos, qvel = start_states(env, 7, 2)
    traj = native_rollouts(hp.humanoid, None, nominal_conditions(2, hp.humanoid), qpos, qvel, 80)
    assert traj.obs.shape == (80, 2, task.OBS_SIZE)
    assert traj.fell.sum(axis=0).tolist() == [1, 1]  # the held pose falls within 2 s, once
    assert np.all(traj.alive[~np.cumsum(traj.fell, axis=0).astype(bool)])


def test_gpu_params_change_budgets_only(hp):
    """humanoid/params-gpu.yaml is the same body, task, rewards and evaluation sets with other budgets."""
    gpu = load_humanoid_params(REPO_ROOT / "humanoid/params-gpu.yaml")
    assert gpu.humanoid == hp.humanoid and gpu.report == hp.report and gpu.seeds == hp.seeds
    budget = {"cases", "rollout_batch", "rollout_devices"}
    assert {f.name for f in dataclasses.fields(hp.evaluate) if getattr(hp.evaluate, f.name) != getattr(gpu.evaluate, f.name)} <= budget
    for block in ("stand", "walk"):
        cpu_cfg, gpu_cfg = hp.ppo(block), gpu.ppo(block)
        changed = {f.name for f in dataclasses.fields(cpu_cfg) if getattr(cpu_cfg, f.name) != getattr(gpu_cfg, f.name)}
        assert changed <= {"num_timesteps", "eval_every_steps", "num_envs", "batch_size", "devices"}, changed
    assert gpu.walk.num_timesteps >= 50 * hp.walk.num_timesteps
