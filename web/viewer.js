// The page: MuJoCo (WebAssembly) steps the walker in real time, sim.js's policy
// drives it, three.js draws it. The ramp is made by pitching gravity (as in
// Python), so the drawing tilts the whole world by the slope to show a ramp.
//
// For tests and the curious, `window.walker` exposes the simulation
// (`sim`), `setPaused`, `screenOf(bodyName)` and `ready`.

import * as THREE from 'three';
import { OrbitControls } from 'three/addons/controls/OrbitControls.js';
import loadMujoco from './vendor/mujoco/mujoco.js';
import { WalkerSim } from './sim.js';

const GEOM_PLANE = 0, GEOM_SPHERE = 2, GEOM_CAPSULE = 3;
const MAX_STEPS_PER_FRAME = 10; // after a stall (hidden tab), drop time rather than freeze catching up
const $ = (id) => document.getElementById(id);

async function fetchOk(url) {
  const response = await fetch(url);
  if (!response.ok) throw new Error(`${url}: HTTP ${response.status}`);
  return response;
}

function checkerTexture() {
  const canvas = document.createElement('canvas');
  canvas.width = canvas.height = 64;
  const ctx = canvas.getContext('2d');
  for (let i = 0; i < 2; i++) {
    for (let j = 0; j < 2; j++) {
      ctx.fillStyle = (i + j) % 2 ? '#55616d' : '#404a55';
      ctx.fillRect(32 * i, 32 * j, 32, 32);
    }
  }
  const texture = new THREE.CanvasTexture(canvas);
  texture.wrapS = texture.wrapT = THREE.RepeatWrapping;
  texture.colorSpace = THREE.SRGBColorSpace;
  return texture;
}

/** One three.js mesh per MuJoCo geom; returns the meshes of moving bodies and the geom index of each. */
function buildGeoms(model, world) {
  const types = model.geom_type, sizes = model.geom_size, rgba = model.geom_rgba, bodies = model.geom_bodyid;
  const meshes = [];
  for (let i = 0; i < model.ngeom; i++) {
    const size = [sizes[3 * i], sizes[3 * i + 1], sizes[3 * i + 2]];
    const color = new THREE.Color(rgba[4 * i], rgba[4 * i + 1], rgba[4 * i + 2]);
    if (types[i] === GEOM_PLANE) {
      // a strip of ramp: the walker only moves along x
      const texture = checkerTexture();
      texture.repeat.set(200, 3);
      const floor = new THREE.Mesh(new THREE.PlaneGeometry(400, 6), new THREE.MeshStandardMaterial({ map: texture }));
      floor.position.set(190, 0, 0);
      floor.receiveShadow = true;
      world.add(floor);
      continue;
    }
    let geometry;
    if (types[i] === GEOM_SPHERE) geometry = new THREE.SphereGeometry(size[0], 24, 16);
    else if (types[i] === GEOM_CAPSULE) geometry = new THREE.CapsuleGeometry(size[0], 2 * size[1], 8, 16).rotateX(Math.PI / 2);
    else continue; // the walker has no other geom types
    const mesh = new THREE.Mesh(geometry, new THREE.MeshStandardMaterial({ color, roughness: 0.6 }));
    mesh.matrixAutoUpdate = false;
    mesh.castShadow = true;
    mesh.userData = { geom: i, body: bodies[i] };
    world.add(mesh);
    meshes.push(mesh);
  }
  return meshes;
}

/** Place each mesh at its geom's pose (MuJoCo's xmat is a row-major 3x3 rotation). */
function placeGeoms(meshes, data) {
  const xpos = data.geom_xpos, xmat = data.geom_xmat;
  for (const mesh of meshes) {
    const i = mesh.userData.geom, p = 3 * i, r = 9 * i;
    mesh.matrix.set(
      xmat[r], xmat[r + 1], xmat[r + 2], xpos[p],
      xmat[r + 3], xmat[r + 4], xmat[r + 5], xpos[p + 1],
      xmat[r + 6], xmat[r + 7], xmat[r + 8], xpos[p + 2],
      0, 0, 0, 1,
    );
    mesh.matrixWorldNeedsUpdate = true;
  }
}

async function main() {
  const [site, xml, mujoco] = await Promise.all([
    fetchOk('./site.json').then((r) => r.json()),
    fetchOk('./walker.xml').then((r) => r.text()),
    loadMujoco(),
  ]);
  const sim = new WalkerSim(mujoco, xml, site);
  const model = sim.model;

  const renderer = new THREE.WebGLRenderer({ antialias: true, preserveDrawingBuffer: true });
  renderer.setPixelRatio(window.devicePixelRatio);
  renderer.shadowMap.enabled = true;
  $('view').appendChild(renderer.domElement);

  const scene = new THREE.Scene();
  scene.background = new THREE.Color(0x1d2329);
  scene.fog = new THREE.Fog(0x1d2329, 12, 40);
  const camera = new THREE.PerspectiveCamera(40, 1, 0.05, 200);
  camera.up.set(0, 0, 1); // MuJoCo's z is up
  camera.position.set(0.6, -4.4, 1.5);
  const controls = new OrbitControls(camera, renderer.domElement);
  controls.target.set(0, 0, 1.1);
  controls.enableDamping = false;

  scene.add(new THREE.HemisphereLight(0xdde6f0, 0x30363c, 1.6));
  const sun = new THREE.DirectionalLight(0xffffff, 2.0);
  sun.position.set(-2, -3, 6);
  sun.castShadow = true;
  scene.add(sun, sun.target);

  const world = new THREE.Group(); // MuJoCo's frame, tilted by the slope
  scene.add(world);
  const meshes = buildGeoms(model, world);

  const dragLine = new THREE.Line(
    new THREE.BufferGeometry().setFromPoints([new THREE.Vector3(), new THREE.Vector3()]),
    new THREE.LineBasicMaterial({ color: 0xffdd33 }),
  );
  const dragHandle = new THREE.Mesh(new THREE.SphereGeometry(0.03), new THREE.MeshBasicMaterial({ color: 0xffdd33 }));
  dragLine.visible = dragHandle.visible = false;
  world.add(dragLine, dragHandle);

  let paused = false;
  let budget = 0;
  let last = performance.now();
  let startX = sim.torso().x;
  const torsoWorld = new THREE.Vector3();

  // --- controls -------------------------------------------------------------
  const picker = $('policy');
  for (const spec of site.policies) picker.add(new Option(spec.label, spec.name));
  picker.value = sim.policyName;
  const restart = () => { sim.reset(); startX = sim.torso().x; budget = 0; };
  picker.addEventListener('change', () => { sim.setPolicy(picker.value); restart(); });
  const slope = $('slope');
  [slope.min, slope.max, slope.value] = [...site.slope_range_deg, site.slope_deg];
  const applySlope = () => {
    sim.setSlope(Number(slope.value));
    world.rotation.y = (sim.slopeDeg * Math.PI) / 180; // +x (downhill) tilts down
    $('slope-value').textContent = `${sim.slopeDeg.toFixed(1)}° (trained on ${site.slope_range_deg.join('–')}°)`;
  };
  slope.addEventListener('input', applySlope);
  applySlope();
  const setPaused = (value) => { paused = value; $('pause').textContent = paused ? 'play' : 'pause'; };
  $('pause').addEventListener('click', () => setPaused(!paused));
  $('reset').addEventListener('click', restart);

  // --- drag: a spring from the grabbed body to the mouse, in the walker's plane ---
  const raycaster = new THREE.Raycaster();
  const ndc = new THREE.Vector2();
  let grab = null; // {body, offset (MuJoCo frame), plane (world frame)}
  const ray = (event) => {
    const rect = renderer.domElement.getBoundingClientRect();
    ndc.set(((event.clientX - rect.left) / rect.width) * 2 - 1, -((event.clientY - rect.top) / rect.height) * 2 + 1);
    raycaster.setFromCamera(ndc, camera);
    return raycaster.ray;
  };
  const bodyPos = (body) => {
    const xpos = sim.data.xpos;
    return new THREE.Vector3(xpos[3 * body], xpos[3 * body + 1], xpos[3 * body + 2]);
  };
  renderer.domElement.addEventListener('pointerdown', (event) => {
    if (event.button !== 0) return;
    ray(event);
    const hits = raycaster.intersectObjects(meshes, false);
    if (!hits.length) return;
    const body = hits[0].object.userData.body;
    const local = world.worldToLocal(hits[0].point.clone());
    // the rotation is about y, so the walker's plane keeps its y normal in the world frame
    const plane = new THREE.Plane(new THREE.Vector3(0, 1, 0), -hits[0].point.y);
    grab = { body, offset: local.sub(bodyPos(body)), plane };
    controls.enabled = false;
    renderer.domElement.setPointerCapture(event.pointerId);
    moveGrab(event);
  });
  const moveGrab = (event) => {
    if (!grab) return;
    const point = new THREE.Vector3();
    if (!ray(event).intersectPlane(grab.plane, point)) return;
    const target = world.worldToLocal(point).sub(grab.offset);
    sim.grab(grab.body, [target.x, target.y, target.z]);
  };
  renderer.domElement.addEventListener('pointermove', moveGrab);
  const endGrab = () => {
    if (!grab) return;
    grab = null;
    sim.release();
    controls.enabled = true;
  };
  renderer.domElement.addEventListener('pointerup', endGrab);
  renderer.domElement.addEventListener('pointercancel', endGrab);

  // --- frame loop -------------------------------------------------------------
  const resize = () => {
    const { clientWidth: w, clientHeight: h } = $('view');
    renderer.setSize(w, h, false);
    renderer.domElement.style.width = '100%';
    renderer.domElement.style.height = '100%';
    camera.aspect = w / h;
    camera.updateProjectionMatrix();
  };
  window.addEventListener('resize', resize);
  resize();

  const draw = () => {
    placeGeoms(meshes, sim.data);
    const t = sim.torso();
    world.updateMatrixWorld();
    torsoWorld.copy(world.localToWorld(new THREE.Vector3(t.x, 0, t.z)));
    // follow the torso: move camera and orbit target together
    const shift = torsoWorld.clone().sub(controls.target);
    camera.position.add(shift);
    controls.target.add(shift);
    controls.update();
    sun.position.copy(controls.target).add(new THREE.Vector3(-2, -3, 6));
    sun.target.position.copy(controls.target);
    if (sim.drag) {
      const from = bodyPos(sim.drag.body);
      const to = new THREE.Vector3(...sim.drag.target);
      dragLine.geometry.setFromPoints([from, to]);
      dragHandle.position.copy(to);
    }
    dragLine.visible = dragHandle.visible = Boolean(sim.drag);
    const force = sim.dragForce ? Math.hypot(...sim.dragForce.force) : 0;
    const speed = sim.data.qvel[0];
    $('readout').textContent = [
      `time      ${sim.time.toFixed(2)} s`,
      `distance  ${(t.x - startX).toFixed(2)} m`,
      `speed     ${speed.toFixed(2)} m/s`,
      `drag      ${force.toFixed(0)} N`,
      sim.hasFallen ? 'FALLEN: press reset' : paused ? 'upright (paused)' : 'upright',
    ].join('\n');
    renderer.render(scene, camera);
  };

  const frame = (now) => {
    const dt = Math.min((now - last) / 1000, 0.25);
    last = now;
    if (!paused) {
      budget += dt;
      const controlDt = 1 / site.control_hz;
      let steps = 0;
      while (budget >= controlDt && steps < MAX_STEPS_PER_FRAME) {
        sim.controlStep();
        budget -= controlDt;
        steps++;
      }
      if (steps === MAX_STEPS_PER_FRAME) budget = 0;
    }
    draw();
    requestAnimationFrame(frame);
  };
  requestAnimationFrame(frame);

  /** CSS-pixel position on the canvas of a body's origin raised by `dz` m (for scripted drags). */
  const screenOf = (name, dz = 0) => {
    const body = mujoco.mj_name2id(model, mujoco.mjtObj.mjOBJ_BODY.value, name);
    world.updateMatrixWorld();
    const p = world.localToWorld(bodyPos(body).add(new THREE.Vector3(0, 0, dz))).project(camera);
    const rect = renderer.domElement.getBoundingClientRect();
    return { x: rect.left + ((p.x + 1) / 2) * rect.width, y: rect.top + ((1 - p.y) / 2) * rect.height };
  };
  window.walker = { sim, site, setPaused, restart, screenOf, draw, ready: true };
}

main().catch((err) => {
  $('status').textContent = `error: ${err.message}`;
  console.error(err);
});
