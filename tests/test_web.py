"""The browser viewer: the built folder, `walker serve`, and the page in a real headless Chromium.

The policies are tests/data/bc.walker and tests/data/ppo_bc.walker, copies of
models/bc and the best BC-seeded PPO run of the committed default run, so a
clean checkout tests the page with a policy that really walks.

Chromium comes from the system (Debian's `chromium`, installed by
scripts/system-packages.sh), driven by Playwright's Python package; no browser
is downloaded. Without a Chromium the browser tests skip, unless
WALKER_REQUIRE_BROWSER=1 (set by CI) makes that a failure.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import urllib.request
from pathlib import Path

import numpy as np
import pytest

from walker.passive.config import load_params
from walker.passive.native import FsmController, PassiveWalkerNativeEnv, PolicyController, run_episode
from walker.policy import load_policy
from walker.summary import best_run
from walker.web import CHROMIUM_ARGS, WebBuildError, build_site, check_site, find_chromium, serving

REPO = Path(__file__).resolve().parent.parent
DATA = REPO / "tests/data"
# the GPU-less WebGL's performance notes are not errors of the page
BENIGN_CONSOLE = re.compile(r"GPU stall due to ReadPixels|GL Driver Message")


@pytest.fixture(scope="module")
def params():
    return load_params(REPO / "params.yaml")


@pytest.fixture(scope="module")
def site(params, tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("web") / "site"
    summary = build_site(params, [("bc", "BC clone", DATA / "bc.walker"), ("ppo", "PPO from BC", DATA / "ppo_bc.walker")], out)
    assert summary["policies"] == ["fsm", "bc", "ppo"]
    return out


@pytest.mark.slow  # npm install and a headless browser
def test_site_is_self_contained(site):
    for name in ("index.html", "viewer.js", "sim.js", "walker.xml", "site.json",
                 "vendor/mujoco/mujoco.js", "vendor/mujoco/mujoco.wasm", "vendor/mujoco/LICENSE",
                 "vendor/three/three.module.js", "vendor/three/three.core.js",
                 "vendor/three/addons/controls/OrbitControls.js", "vendor/three/LICENSE", "vendor/NOTICE.txt"):
        assert (site / name).is_file(), name
    page = (site / "index.html").read_text() + (site / "viewer.js").read_text()
    assert "http://" not in page and "https://" not in page, "the page must not load anything from the network"
    assert "Apache" in (site / "vendor/mujoco/LICENSE").read_text()
    settings = json.loads((site / "site.json").read_text())
    assert [p["name"] for p in settings["policies"]] == ["fsm", "bc", "ppo"]
    assert settings["slope_range_deg"][0] <= settings["slope_deg"] <= settings["slope_range_deg"][1]


def test_best_run_picks_highest_suite_success_lowest_seed_on_ties():
    policies = {f"ppo_bc-{s}": {"group": "ppo_bc", "suite": {"success": v}} for s, v in ((0, 0.9), (2, 0.95), (1, 0.95))}
    policies["ppo_scratch-3"] = {"group": "ppo_scratch", "suite": {"success": 1.0}}
    assert best_run(policies, "ppo_bc") == "ppo_bc-1"
    with pytest.raises(ValueError, match="ppo_bc"):
        best_run({"bc": {"group": "bc", "suite": {"success": 1.0}}}, "ppo_bc")


def test_missing_npm_or_evaluation_is_named_before_any_copying(params, tmp_path, monkeypatch):
    from walker import web
    from walker.stages import web as web_stage

    for name in ("package.json", "package-lock.json"):
        (tmp_path / name).write_text((REPO / "web" / name).read_text())
    monkeypatch.setattr(web.shutil, "which", lambda name: None)
    with pytest.raises(WebBuildError, match="npm not found.*system-packages.sh"):
        web.npm_install(tmp_path)
    with pytest.raises(WebBuildError, match="evaluation.json: not found"):
        web_stage.run(params, "models/bc", "models/ppo", str(tmp_path / "evaluation.json"), str(tmp_path / "site"),
                      str(tmp_path / "w.json"), str(tmp_path / "shot"))
    assert not (tmp_path / "site").exists()


def test_serve_refuses_a_folder_without_a_viewer(tmp_path):
    with pytest.raises(Exception, match="dvc repro web"):
        check_site(tmp_path)


@pytest.mark.slow  # npm install and a headless browser
def test_walker_serve_prints_a_url_that_serves_the_page(site):
    proc = subprocess.Popen([sys.executable, "-m", "walker.cli", "serve", "--folder", str(site)],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        line = proc.stdout.readline()
        url = re.search(r"http://127\.0\.0\.1:\d+/", line).group(0)
        with urllib.request.urlopen(url) as r:
            assert "viewer.js" in r.read().decode()
        with urllib.request.urlopen(url + "vendor/mujoco/mujoco.wasm") as r:
            assert r.headers["Content-Type"] == "application/wasm"  # needed for streaming compilation
    finally:
        proc.terminate()
        proc.wait(timeout=30)


@pytest.fixture(scope="module")
def page(site):
    """The viewer, loaded and running, with every console message recorded in ``page.messages``."""
    chromium = find_chromium()
    if chromium is None:
        if os.environ.get("WALKER_REQUIRE_BROWSER") == "1":
            pytest.fail("no Chromium found; run scripts/system-packages.sh")
        pytest.skip("no Chromium found (scripts/system-packages.sh installs Debian's)")
    sync_api = pytest.importorskip("playwright.sync_api")
    with serving(site) as url, sync_api.sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=chromium, args=list(CHROMIUM_ARGS))
        page = browser.new_page(viewport={"width": 960, "height": 600})
        page.messages = []
        page.on("console", lambda m: page.messages.append((m.type, m.text)))
        page.on("pageerror", lambda e: page.messages.append(("pageerror", str(e))))
        page.goto(url)
        page.wait_for_function("window.walker && window.walker.ready", timeout=120_000)
        yield page
        browser.close()


@pytest.mark.slow  # npm install and a headless browser
def test_page_loads_and_walks_without_console_errors(page):
    page.wait_for_function("walker.sim.time > 1.0", timeout=60_000)  # real-time stepping runs
    errors = [(kind, text) for kind, text in page.messages
              if kind in ("error", "pageerror", "warning") and not BENIGN_CONSOLE.search(text)]
    assert errors == []
    assert page.evaluate("document.getElementById('status').textContent") == ""
    assert page.evaluate("walker.sim.policyName") == "ppo"  # the page opens on the learned walker


def _native_observations(params, controller, seconds: float) -> np.ndarray:
    env = PassiveWalkerNativeEnv(params.walker)
    episode = run_episode(env, controller, int(seconds * params.walker.control_hz), seed=3)
    env.close()
    return episode.obs


@pytest.mark.slow  # npm install and a headless browser
def test_javascript_policies_match_the_numpy_runner(page, params):
    geom = PassiveWalkerNativeEnv(params.walker).geom
    for name, file in (("bc", "bc.walker"), ("ppo", "ppo_bc.walker")):
        controller = PolicyController(load_policy(DATA / file))
        obs = _native_observations(params, controller, 4.0)
        want = np.stack([controller.act(o) for o in obs])
        got = np.array(page.evaluate(
            "([name, obs]) => obs.map((o) => walker.sim.policies[name].act(o))", [name, obs.tolist()]))
        np.testing.assert_allclose(got, want, atol=1e-4, err_msg=name)
    # the FSM carries a phase: feed the same observation sequence through both
    obs = _native_observations(params, FsmController(params.fsm, geom), 4.0)
    expert = FsmController(params.fsm, geom)
    expert.reset(obs[0])
    want = np.stack([expert.act(o) for o in obs])
    got = np.array(page.evaluate(
        "(obs) => { const p = walker.sim.policies.fsm; p.reset(obs[0]); return obs.map((o) => p.act(o)); }", obs.tolist()))
    np.testing.assert_allclose(got, want, atol=1e-4, err_msg="fsm")


@pytest.mark.slow  # npm install and a headless browser
def test_ppo_walks_in_the_browser_as_far_as_in_python(page, params):
    seconds = 5.0
    page.evaluate("() => walker.setPaused(true)")
    site = page.evaluate("walker.site")
    browser_m = page.evaluate(
        "(s) => { walker.sim.setPolicy('ppo'); const x0 = walker.sim.torso().x; walker.sim.advance(s);"
        " return walker.sim.hasFallen ? -1 : walker.sim.torso().x - x0; }", seconds)
    env = PassiveWalkerNativeEnv(params.walker)
    steps = int(seconds * params.walker.control_hz)
    episode = run_episode(env, PolicyController(load_policy(DATA / "ppo_bc.walker")), steps,
                          options={"qpos": np.array(site["start_qpos"]), "qvel": np.array(site["start_qvel"])})
    env.close()
    python_m = episode.x[-1] - episode.x[0]
    assert episode.fell_at is None and python_m > 5.0, python_m  # the reference really walks
    print(f"PPO in {seconds} s: {browser_m:.2f} m in the browser, {python_m:.2f} m in Python")
    assert browser_m >= 0.8 * python_m, (browser_m, python_m)
    page.evaluate("() => { walker.restart(); walker.setPaused(false); }")


@pytest.mark.slow  # npm install and a headless browser
def test_a_mouse_drag_pulls_the_torso(page):
    page.evaluate("() => { walker.setPaused(true); walker.restart(); }")
    free_x = page.evaluate("() => { walker.sim.advance(0.6); return walker.sim.torso().x; }")
    page.evaluate("() => { walker.restart(); walker.draw(); }")
    page.wait_for_timeout(300)  # a few frames: the camera settles on the reset walker
    torso = page.evaluate("walker.screenOf('torso', 0.06)")  # the top of the torso sphere, clear of the thighs
    page.mouse.move(torso["x"], torso["y"])
    page.mouse.down()
    page.mouse.move(torso["x"] - 200, torso["y"] - 60, steps=10)  # back up the ramp
    force = page.evaluate("() => { walker.sim.advance(0.1); return walker.sim.dragForce; }")
    pulled = page.evaluate("() => { walker.sim.advance(0.5); return walker.sim.torso().x; }")
    page.mouse.up()
    assert force is not None and force["body"] == 1 and force["force"][0] < -10, force  # the torso, uphill
    print(f"torso after 0.6 s: {pulled:.3f} m pulled back, {free_x:.3f} m free")
    assert pulled < free_x - 0.1, (pulled, free_x)
    assert page.evaluate("walker.sim.drag") is None  # released: no force left behind
    page.evaluate("() => { walker.restart(); walker.setPaused(false); }")
