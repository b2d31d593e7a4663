// The walker's task and policies in plain JavaScript, with no DOM: the same
// observation, action scaling, FSM and MLP as walker/passive/task.py, walker/passive/fsm.py and
// walker/policy.py, so that a policy drives MuJoCo's WebAssembly build exactly
// as it drives the native Python environment. Runs in the browser and in node.
//
// `site` is the parsed site.json that `dvc repro web` writes (walker/web.py).

const OBS_PITCH = 1, OBS_HIP = 2, OBS_VX = 5;
const OBS_FOOT_DX = [11, 12], OBS_FOOT_H = [13, 14];
const ROOTX = 0, ROOTZ = 1, PITCH = 2, KNEE_LEFT = 3, HIP = 4, KNEE_RIGHT = 5;
const SOLVERS = { cg: 1, newton: 2 };

/** Observation (18,) from qpos (6,), qvel (6,), previous action (3,); walker/passive/task.py:observation. */
export function observation(qpos, qvel, prevAction, geom) {
  const height = geom.hip_height + qpos[ROOTZ];
  const angleLeft = qpos[PITCH];
  const angleRight = qpos[PITCH] + qpos[HIP];
  const lenLeft = geom.leg_length + qpos[KNEE_LEFT];
  const lenRight = geom.leg_length + qpos[KNEE_RIGHT];
  return Float64Array.of(
    height, qpos[PITCH], qpos[HIP], qpos[KNEE_LEFT], qpos[KNEE_RIGHT],
    qvel[ROOTX], qvel[ROOTZ], qvel[PITCH], qvel[HIP], qvel[KNEE_LEFT], qvel[KNEE_RIGHT],
    -lenLeft * Math.sin(angleLeft), -lenRight * Math.sin(angleRight),
    height - lenLeft * Math.cos(angleLeft) - geom.foot_radius,
    height - lenRight * Math.cos(angleRight) - geom.foot_radius,
    prevAction[0], prevAction[1], prevAction[2],
  );
}

const clip = (x, lo, hi) => Math.min(hi, Math.max(lo, x));

/** Position-actuator targets from actions in [-1, 1] (3,); walker/passive/task.py:action_to_ctrl. */
export function actionToCtrl(action, geom) {
  return action.map((a, i) => clip(a, -1, 1) * geom.ctrl_scale[i]);
}

/** True when the torso is too low, pitched too far, or the state is not finite; walker/passive/task.py:fallen. */
export function fallen(obs, site) {
  return obs[0] < site.min_height || Math.abs(obs[OBS_PITCH]) > site.max_pitch || !obs.every(Number.isFinite);
}

const ACTIVATIONS = {
  tanh: Math.tanh,
  relu: (x) => Math.max(x, 0),
  swish: (x) => x / (1 + Math.exp(-x)),
  elu: (x) => (x > 0 ? x : Math.exp(Math.min(x, 0)) - 1),
};

/** An MLP policy from the portable policy file (walker/policy.py:apply): obs (18,) -> action (3,). */
export class MlpPolicy {
  constructor(spec) {
    this.spec = spec;
    this.act_fn = ACTIVATIONS[spec.activation];
    if (!this.act_fn) throw new Error(`policy ${spec.name}: unknown activation ${spec.activation}`);
  }

  reset() {}

  act(obs) {
    const { obs_mean: mean, obs_std: std, weights, biases } = this.spec;
    let x = Array.from(obs, (v, i) => (v - mean[i]) / std[i]);
    weights.forEach((w, layer) => {
      // w is (in, out), row-major as in NumPy
      const b = biases[layer];
      const y = b.slice();
      for (let i = 0; i < x.length; i++) {
        const xi = x[i], row = w[i];
        for (let j = 0; j < y.length; j++) y[j] += xi * row[j];
      }
      x = layer < weights.length - 1 ? y.map(this.act_fn) : y;
    });
    // squash: tanh (our clone, Brax PPO) or clip (a Gaussian mean clipped to the box, Stable-Baselines3); walker/policy.py
    return this.spec.squash === "clip" ? x.map((v) => Math.min(1, Math.max(-1, v))) : x.map(Math.tanh);
  }
}

/** The finite-state-machine expert with its phase state; walker/passive/fsm.py. */
export class FsmPolicy {
  constructor(spec, geom) {
    this.cfg = spec.fsm;
    this.geom = geom;
    this.state = [0, 0, 0];
  }

  reset(obs) {
    const leftSwings = obs[OBS_FOOT_DX[0]] < obs[OBS_FOOT_DX[1]] ? 1 : 0;
    this.state = [leftSwings, leftSwings, 1 - leftSwings];
  }

  act(obs) {
    const cfg = this.cfg;
    let [phase, kneeLeft, kneeRight] = this.state;
    const angleLeft = obs[OBS_PITCH];
    const angleRight = obs[OBS_PITCH] + obs[OBS_HIP];
    const rightLeads = angleLeft - angleRight;
    const rightLands = phase === 0 && obs[OBS_FOOT_H[1]] < cfg.contact_height && rightLeads > cfg.switch_split;
    const leftLands = phase === 1 && obs[OBS_FOOT_H[0]] < cfg.contact_height && -rightLeads > cfg.switch_split;
    if (rightLands) [phase, kneeLeft, kneeRight] = [1, 1, 0];
    if (leftLands) [phase, kneeLeft, kneeRight] = [0, 0, 1];
    if (kneeLeft === 1 && -rightLeads > cfg.extend_split) kneeLeft = 0;
    if (kneeRight === 1 && rightLeads > cfg.extend_split) kneeRight = 0;
    this.state = [phase, kneeLeft, kneeRight];

    const placement = clip(
      cfg.step_angle + cfg.speed_gain * (obs[OBS_VX] - cfg.target_speed), cfg.min_step_angle, cfg.max_step_angle,
    );
    // the hip joint sets the right leg relative to the left: put the swing leg at -placement
    const hipTarget = phase === 0 ? -placement - angleLeft : angleRight + placement;
    const targets = [hipTarget, kneeLeft ? -cfg.knee_retract : 0, kneeRight ? -cfg.knee_retract : 0];
    return targets.map((t, i) => clip(t / this.geom.ctrl_scale[i], -1, 1));
  }
}

/** The policy object for one entry of site.policies. */
export function makePolicy(spec, geom) {
  return spec.kind === 'fsm' ? new FsmPolicy(spec, geom) : new MlpPolicy(spec);
}

/** Gravity pitched by the slope so that +x runs downhill along a flat floor (m/s^2, (3,)). */
export function gravity(slopeDeg, g = 9.81) {
  const s = (slopeDeg * Math.PI) / 180;
  return [g * Math.sin(s), 0, -g * Math.cos(s)];
}

/**
 * One walker in MuJoCo's WebAssembly build: the model with the params' options,
 * its data, the active policy and the control loop of walker/passive/native.py.
 *
 * MuJoCo's array fields are views into the WebAssembly heap; they go stale when
 * the heap grows, so every method reads them afresh from `this.data`.
 */
export class WalkerSim {
  constructor(mujoco, xml, site) {
    this.mujoco = mujoco;
    this.site = site;
    this.geom = site.geometry;
    this.model = mujoco.MjModel.from_xml_string(xml);
    this.data = new mujoco.MjData(this.model);
    const opt = this.model.opt;
    opt.timestep = site.timestep;
    opt.iterations = site.solver_iterations;
    opt.ls_iterations = site.ls_iterations;
    opt.solver = SOLVERS[site.solver];
    this.policies = Object.fromEntries(site.policies.map((spec) => [spec.name, makePolicy(spec, this.geom)]));
    this.policyName = site.policies[site.policies.length - 1].name;
    this.slopeDeg = site.slope_deg;
    this.dragForce = null; // {body, force: [fx, fy, fz]} while the mouse pulls a body
    this.reset();
  }

  get policy() {
    return this.policies[this.policyName];
  }

  setPolicy(name) {
    if (!(name in this.policies)) throw new Error(`no policy '${name}'; have ${Object.keys(this.policies)}`);
    this.policyName = name;
    this.reset();
  }

  setSlope(deg) {
    this.slopeDeg = deg;
    this.model.opt.gravity.set(gravity(deg));
  }

  /** Back to the nominal start state (walker/passive/task.py:start_state without noise). */
  reset() {
    const { mujoco, model, data } = this;
    mujoco.mj_resetData(model, data);
    this.setSlope(this.slopeDeg);
    data.qpos.set(this.site.start_qpos);
    data.qvel.set(this.site.start_qvel);
    mujoco.mj_forward(model, data);
    this.prevAction = [0, 0, 0];
    this.obs = observation(data.qpos, data.qvel, this.prevAction, this.geom);
    this.action = [0, 0, 0];
    this.hasFallen = false;
    if (this.drag) this.drag.lastPos = null;
    this.policy.reset(this.obs);
  }

  get time() {
    return this.data.time;
  }

  /** Torso position in the walker's plane: x along the ramp (+ downhill), z height (m). */
  torso() {
    const xpos = this.data.xpos;
    const b = this.geom.torso_body;
    return { x: xpos[3 * b], z: xpos[3 * b + 2] };
  }

  /** One control step: the policy acts on the current observation, then n_substeps physics steps. */
  controlStep() {
    const { mujoco, model, data, site } = this;
    const action = this.policy.act(this.obs).map((a) => clip(a, -1, 1));
    data.ctrl.set(actionToCtrl(action, this.geom));
    for (let k = 0; k < site.n_substeps; k++) {
      this.applyDrag();
      mujoco.mj_step(model, data);
    }
    this.action = action;
    this.obs = observation(data.qpos, data.qvel, action, this.geom);
    this.hasFallen = this.hasFallen || fallen(this.obs, site);
  }

  /** Run control steps for `seconds` of simulated time (no rendering). */
  advance(seconds) {
    const steps = Math.round(seconds * this.site.control_hz);
    for (let i = 0; i < steps; i++) this.controlStep();
  }

  /** The spring force of a mouse drag; xfrc_applied persists, so it is written every physics step and cleared on release. */
  applyDrag() {
    const xfrc = this.data.xfrc_applied;
    xfrc.fill(0);
    if (!this.drag) return;
    const { body, target, stiffness, damping, maxForce } = this.drag;
    const xpos = this.data.xpos;
    const pos = [0, 1, 2].map((i) => xpos[3 * body + i]);
    // velocity by finite difference over one physics step (zero on the first step of a grab)
    const vel = this.drag.lastPos ? pos.map((p, i) => (p - this.drag.lastPos[i]) / this.model.opt.timestep) : [0, 0, 0];
    this.drag.lastPos = pos;
    const force = [0, 1, 2].map((i) => stiffness * (target[i] - pos[i]) - damping * vel[i]);
    force[1] = 0; // the walker is planar
    const norm = Math.hypot(...force);
    const scale = norm > maxForce ? maxForce / norm : 1;
    for (let i = 0; i < 3; i++) xfrc[6 * body + i] = force[i] * scale;
    this.dragForce = { body, force: force.map((f) => f * scale) };
  }

  /** Pull `body` towards `target` (world frame, m) with a spring until release(). */
  grab(body, target) {
    const mass = this.model.body_subtreemass[body] || 1;
    // about 2 g per metre of stretch for the grabbed subtree, critically damped so it does not
    // swing past the mouse, and capped at 3 g so a long pull cannot launch the walker
    const stiffness = 20 * mass;
    const lastPos = this.drag && this.drag.body === body ? this.drag.lastPos : null;
    this.drag = { body, target: target.slice(), stiffness, damping: 2 * Math.sqrt(stiffness * mass), maxForce: 30 * mass, lastPos };
  }

  release() {
    this.drag = null;
    this.dragForce = null;
    this.data.xfrc_applied.fill(0);
  }

  dispose() {
    this.data.delete();
    this.model.delete();
  }
}
