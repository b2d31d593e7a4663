"""The browser viewer: a self-contained folder with MuJoCo's WebAssembly build, three.js and our policies.

``build_site`` assembles it from the page sources in ``web/`` (``index.html``,
``viewer.js``, ``sim.js``), the MJCF model, a ``site.json`` with the task's
settings and the policies exported from their portable files, and vendored
copies of ``@mujoco/mujoco`` and ``three`` taken from ``web/node_modules``
(installed by ``npm ci`` from the pinned ``web/package-lock.json``) with their
license notices. Nothing is fetched when the page runs.

``serve`` serves such a folder on localhost: browsers refuse ES modules and
WebAssembly from ``file://`` pages.
"""

from __future__ import annotations

import functools
import http.server
import json
import os
import shutil
import subprocess
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np

from walker.config import ConfigError
from walker.io import REPO_ROOT, atomic_dir, atomic_path
from walker.passive.config import FsmConfig, Params
from walker.passive.model import geometry, load_mj_model, resolve_model_file
from walker.passive.task import ACTION_SIZE, OBS_SIZE, start_state
from walker.policy import PolicyFile, load_policy

WEB_SOURCES = REPO_ROOT / "web"
PAGE_FILES = ("index.html", "viewer.js", "sim.js")
VENDOR_FILES = {
    # package -> [(file inside the package, path inside vendor/)]
    "@mujoco/mujoco": [("mujoco.js", "mujoco/mujoco.js"), ("mujoco.wasm", "mujoco/mujoco.wasm")],
    "three": [
        ("build/three.module.js", "three/three.module.js"),
        ("build/three.core.js", "three/three.core.js"),
        ("examples/jsm/controls/OrbitControls.js", "three/addons/controls/OrbitControls.js"),
        ("LICENSE", "three/LICENSE"),
    ],
}
MIME_TYPES = {".wasm": "application/wasm", ".js": "text/javascript", ".json": "application/json", ".xml": "text/xml"}


class WebBuildError(RuntimeError):
    """The viewer cannot be built; the message says what is missing and how to get it."""


def policy_spec(policy: PolicyFile, name: str, label: str) -> dict[str, Any]:
    """A policy file as JSON for sim.js's MlpPolicy: weights as (in, out) nested lists, float32 values."""
    as_list = lambda a: np.asarray(a, dtype=np.float32).astype(float).tolist()  # noqa: E731
    return {
        "name": name,
        "label": label,
        "kind": "mlp",
        "activation": policy.activation,
        "squash": policy.squash,
        "obs_mean": as_list(policy.obs_mean),
        "obs_std": as_list(policy.obs_std),
        "weights": [as_list(w) for w in policy.weights],
        "biases": [as_list(b) for b in policy.biases],
        "metadata": policy.metadata,
    }


def fsm_spec(cfg: FsmConfig) -> dict[str, Any]:
    """The FSM expert's settings for sim.js's FsmPolicy."""
    fields = ("step_angle", "speed_gain", "target_speed", "min_step_angle", "max_step_angle",
              "switch_split", "extend_split", "knee_retract", "contact_height")
    return {"name": "fsm", "label": "FSM expert", "kind": "fsm", "fsm": {f: float(getattr(cfg, f)) for f in fields}}


def site_settings(params: Params) -> dict[str, Any]:
    """What sim.js needs besides the policies: physics options, geometry, start state, fall limits, slope range."""
    w = params.walker
    geom = geometry(load_mj_model(w))
    qpos, qvel = start_state(w.start, np.zeros(2), np.zeros(6), geom, np)
    return {
        "timestep": w.timestep,
        "n_substeps": w.n_substeps,
        "control_hz": w.control_hz,
        "solver": w.solver,
        "solver_iterations": w.solver_iterations,
        "ls_iterations": w.ls_iterations,
        "slope_deg": w.slope_deg,
        # the slider spans what PPO trained on
        "slope_range_deg": [params.ppo.randomization.slope_deg.low, params.ppo.randomization.slope_deg.high],
        "min_height": w.min_height,
        "max_pitch": w.max_pitch,
        "episode_seconds": w.episode_seconds,
        "geometry": {
            "hip_height": geom.hip_height,
            "leg_length": geom.leg_length,
            "foot_radius": geom.foot_radius,
            "ctrl_scale": list(geom.ctrl_scale),
            "torso_body": geom.torso_body,
        },
        "start_qpos": np.asarray(qpos, dtype=float).tolist(),
        "start_qvel": np.asarray(qvel, dtype=float).tolist(),
    }


def npm_install(web_dir: Path = WEB_SOURCES) -> Path:
    """``npm ci`` in ``web_dir`` unless node_modules already matches the lock file; returns node_modules."""
    lock = web_dir / "package-lock.json"
    modules = web_dir / "node_modules"
    installed = modules / ".package-lock.json"  # npm writes it; equal content means the install is current
    if installed.is_file() and _same_packages(lock, installed):
        return modules
    npm = shutil.which("npm")
    if npm is None:
        raise WebBuildError(
            "npm not found: the viewer vendors @mujoco/mujoco and three from the npm registry; "
            "install Node.js and npm (bash scripts/system-packages.sh does it on Debian/Ubuntu)"
        )
    proc = subprocess.run([npm, "ci", "--no-audit", "--no-fund"], cwd=web_dir, capture_output=True, text=True)
    if proc.returncode != 0:
        raise WebBuildError(f"`npm ci` in {web_dir} failed:\n{proc.stdout[-2000:]}{proc.stderr[-2000:]}")
    return modules


def _same_packages(lock: Path, installed: Path) -> bool:
    want = json.loads(lock.read_text()).get("packages", {})
    have = json.loads(installed.read_text()).get("packages", {})
    return {k: v.get("version") for k, v in want.items() if k} == {k: v.get("version") for k, v in have.items()}


def vendor(modules: Path, out: Path) -> dict[str, str]:
    """Copy the vendored files and write their license notices; returns package -> version."""
    versions = {}
    for package, files in VENDOR_FILES.items():
        root = modules / package
        meta = json.loads((root / "package.json").read_text())
        versions[package] = meta["version"]
        for src, dst in files:
            target = out / "vendor" / dst
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(root / src, target)
    notices = [
        f"{package} {versions[package]} (npm), license {json.loads((modules / package / 'package.json').read_text())['license']}"
        for package in VENDOR_FILES
    ]
    # @mujoco/mujoco ships no license file; MuJoCo's own (Apache-2.0) comes with the Python wheel
    mujoco_license = _mujoco_license_text()
    (out / "vendor/mujoco/LICENSE").write_text(mujoco_license)
    (out / "vendor/NOTICE.txt").write_text(
        "Third-party files in this folder, copied unmodified from their npm packages:\n\n"
        + "\n".join(f"- {n}" for n in notices)
        + "\n\nvendor/mujoco/LICENSE and vendor/three/LICENSE hold the license texts.\n"
    )
    return versions


def _mujoco_license_text() -> str:
    from importlib.metadata import files

    for f in files("mujoco") or []:
        if f.name.upper().startswith("LICENSE"):
            return Path(f.locate()).read_text()
    raise WebBuildError("the mujoco Python package has no LICENSE file to copy for the vendored MuJoCo build")


def build_site(params: Params, policies: list[tuple[str, str, Path]], out_dir: str | Path, modules: Path | None = None) -> dict[str, Any]:
    """Write the viewer folder atomically.

    Args:
      params: validated params (the ``walker`` and ``fsm`` blocks are used).
      policies: (name, label, model folder or policy file) of each learned policy; the FSM is always included.
      out_dir: the folder to (re)create, e.g. ``results/web``.
      modules: an installed ``node_modules``; by default ``npm ci`` in ``web/``.

    Returns a summary: policies, vendored package versions, folder size.
    """
    loaded = [(name, label, load_policy(path, OBS_SIZE, ACTION_SIZE)) for name, label, path in policies]  # fail before any copying
    model_path = resolve_model_file(params.walker.model_file)
    modules = modules or npm_install()
    settings = site_settings(params)
    settings["policies"] = [fsm_spec(params.fsm)] + [policy_spec(p, n, label) for n, label, p in loaded]
    with atomic_dir(out_dir) as tmp:
        tmp = Path(tmp)
        for name in PAGE_FILES:
            shutil.copyfile(WEB_SOURCES / name, tmp / name)
        shutil.copyfile(model_path, tmp / "walker.xml")
        (tmp / "site.json").write_text(json.dumps(settings))
        versions = vendor(modules, tmp)
        size = sum(f.stat().st_size for f in tmp.rglob("*") if f.is_file())
    return {
        "policies": [s["name"] for s in settings["policies"]],
        "vendored": versions,
        "size_mb": round(size / 1e6, 2),
    }


CHROMIUM_ARGS = (
    "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    # without these Chromium keeps calling Google's servers, which a closed network refuses
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--use-angle=swiftshader", "--enable-unsafe-swiftshader",  # WebGL in software: no GPU or display needed
)
CHROMIUM_NAMES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")


def find_chromium() -> str | None:
    """A Chromium or Chrome executable: $WALKER_CHROMIUM, else the first of CHROMIUM_NAMES on PATH."""
    if path := os.environ.get("WALKER_CHROMIUM"):
        return path
    return next((p for p in map(shutil.which, CHROMIUM_NAMES) if p), None)


def screenshot(folder: str | Path, png: str | Path, seconds: float = 3.0, size: tuple[int, int] = (960, 600)) -> bool:
    """Open the viewer headless, let the default policy walk ``seconds`` of simulated time, save a PNG.

    The walk is stepped to the same simulated time every run, so the picture
    does not depend on how fast the machine renders. Returns False (and writes
    nothing) when no Chromium is installed.
    """
    chromium = find_chromium()
    if chromium is None:
        return False
    from playwright.sync_api import sync_playwright

    with serving(folder) as url, sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=chromium, args=list(CHROMIUM_ARGS))
        try:
            page = browser.new_page(viewport={"width": size[0], "height": size[1]})
            page.goto(url)
            page.wait_for_function("window.walker && window.walker.ready", timeout=120_000)
            page.evaluate("(s) => { walker.setPaused(true); walker.restart(); walker.sim.advance(s); walker.draw(); }", seconds)
            page.wait_for_timeout(500)  # the follow camera settles over a few frames
            with atomic_path(png) as tmp:
                page.screenshot(path=str(tmp))
        finally:
            browser.close()
    return True


class _Handler(http.server.SimpleHTTPRequestHandler):
    extensions_map = {**http.server.SimpleHTTPRequestHandler.extensions_map, **MIME_TYPES}

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 (the base class's name)
        pass  # one line per request would drown the URL the user needs


def check_site(folder: str | Path) -> Path:
    """The folder, if it holds a built viewer; else a clear error."""
    folder = Path(folder)
    missing = [name for name in ("index.html", "site.json", "vendor/mujoco/mujoco.wasm") if not (folder / name).is_file()]
    if missing:
        raise ConfigError(f"{folder}: not a built viewer (missing {', '.join(missing)}); run `dvc repro web` first")
    return folder


@contextmanager
def serving(folder: str | Path, port: int = 0, host: str = "127.0.0.1") -> Iterator[str]:
    """Serve ``folder`` in a background thread; yields its URL (port 0 picks a free one)."""
    handler = functools.partial(_Handler, directory=str(check_site(folder)))
    server = http.server.ThreadingHTTPServer((host, port), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://{host}:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()
