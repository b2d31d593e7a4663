"""dvc.yaml's code deps and params are derived from the code, not kept by hand.

For every stage of every pipeline (:data:`PIPELINES`), the Python files it
must list are exactly the project modules its script imports, transitively
(read with ``ast``, imports inside functions included, packages' ``__init__``
files included). Its ``params`` must be exactly its stage module's ``PARAMS`` (a ``{file: keys}`` entry for another params file)
(the checked convention the README names). Editing a module then reruns
exactly the stages that import it: the plots and the video code rerun the
report only.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parent.parent
PIPELINES = (
    REPO / "dvc.yaml", REPO / "capacity" / "dvc.yaml", REPO / "peer" / "dvc.yaml", REPO / "physics" / "dvc.yaml", REPO / "humanoid" / "dvc.yaml",
    REPO / "envelope" / "dvc.yaml",
)


def module_file(name: str) -> Path | None:
    """The project file of module ``name`` (``walker.x.y``), or None if it is not one of ours."""
    base = REPO / Path(*name.split("."))
    for path in (base.with_suffix(".py"), base / "__init__.py"):
        if path.is_file():
            return path
    return None


def imported_modules(path: Path) -> set[str]:
    """Every module name an ``import`` or ``from ... import`` in ``path`` may load (project or not), with
    ``from package import name`` counted as both the package and ``package.name``."""
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
    return names


def with_parents(name: str) -> list[str]:
    """``a.b.c`` -> ``a``, ``a.b``, ``a.b.c``: importing a module runs its packages' ``__init__`` first."""
    parts = name.split(".")
    return [".".join(parts[: i + 1]) for i in range(len(parts))]


def import_closure(script: Path) -> set[str]:
    """Repository-relative paths of the script and every project module it imports, transitively."""
    seen: set[Path] = set()
    todo = [script]
    while todo:
        path = todo.pop()
        if path in seen:
            continue
        seen.add(path)
        for name in imported_modules(path):
            for candidate in with_parents(name):
                found = module_file(candidate)
                if found is not None and found not in seen:
                    todo.append(found)
    return {p.relative_to(REPO).as_posix() for p in seen}


def stages(pipeline: Path) -> dict[str, dict]:
    """The stages of a dvc.yaml, with ``matrix``/``foreach`` stages as one entry (their deps do not vary)."""
    out = {}
    for name, stage in yaml.safe_load(pipeline.read_text())["stages"].items():
        out[name] = stage.get("do", stage)
    return out


def script_of(stage: dict) -> Path:
    match = re.search(r"python (pipeline/\w+\.py)", stage["cmd"])
    assert match, f"stage command does not run a pipeline/ script: {stage['cmd']}"
    return REPO / match.group(1)


def stage_closure(stage: dict) -> set[str]:
    """What a stage runs: its script's import closure and, for a generic stage that takes ``--body NAME`` (and finds
    the body by name, :func:`walker.plugin.load_body`), the closure of that body's plugin module."""
    closure = import_closure(script_of(stage))
    body = re.search(r"--body (\w+)", stage["cmd"])
    if body:
        plugin = REPO / "walker" / body.group(1) / "plugin.py"
        assert plugin.is_file(), f"stage command names body '{body.group(1)}', which has no {plugin.relative_to(REPO)}"
        closure |= import_closure(plugin)
    return closure


def listed_code(stage: dict) -> set[str]:
    """The .py files among a stage's deps (data, assets and web files are not checked here)."""
    return {d for d in stage.get("deps", []) if str(d).endswith(".py")}


CASES = [(pipeline, name) for pipeline in PIPELINES for name in stages(pipeline)]


@pytest.mark.parametrize(("pipeline", "name"), CASES, ids=[f"{p.parent.name}:{n}" for p, n in CASES])
def test_code_deps_are_the_import_closure(pipeline, name):
    stage = stages(pipeline)[name]
    want, have = stage_closure(stage), listed_code(stage)
    missing, extra = sorted(want - have), sorted(have - want)
    assert not missing and not extra, (
        f"{pipeline.relative_to(REPO)}: stage '{name}': " + (f"imports {missing} but does not list them in deps; " if missing else "")
        + (f"lists {extra} in deps but never imports them" if extra else "")
    )


@pytest.mark.parametrize(("pipeline", "name"), CASES, ids=[f"{p.parent.name}:{n}" for p, n in CASES])
def test_params_are_the_stage_modules(pipeline, name):
    import importlib

    stage = stages(pipeline)[name]
    module = importlib.import_module("walker.stages." + script_of(stage).stem)
    assert params_by_file(stage.get("params", [])) == params_by_file(module.PARAMS), (
        f"{pipeline.relative_to(REPO)}: stage '{name}' lists params {stage.get('params')}; {module.__name__}.PARAMS says {list(module.PARAMS)}"
    )


def params_by_file(entries) -> dict[str | None, list[str]]:
    """A stage's params (or a stage module's PARAMS) as {params file: keys}: plain keys are params.yaml's (None),
    a mapping ``{file: [keys]}`` names another file (the humanoid's humanoid/params.yaml)."""
    out: dict[str | None, list[str]] = {}
    for entry in entries:
        if isinstance(entry, dict):
            for params_file, keys in entry.items():
                out.setdefault(params_file, []).extend(keys or [])
        else:
            out.setdefault(None, []).append(entry)
    return out


def test_every_stage_script_calls_its_own_stage_module():
    """One hop from dvc.yaml to the code: pipeline/<x>.py imports walker.stages.<x>."""
    for pipeline, name in CASES:
        script = script_of(stages(pipeline)[name])
        assert f"walker.stages.{script.stem}" in imported_modules(script), f"{script} does not import walker.stages.{script.stem}"


def test_figures_and_videos_rerun_only_the_report():
    """Editing the plots or the video code leaves every training and evaluation stage up to date."""
    default = stages(REPO / "dvc.yaml")
    for module in ("walker/plots.py", "walker/render.py", "walker/passive/render.py", "walker/tables.py"):
        users = {name for name, stage in default.items() if module in stage_closure(stage)}
        assert "report" in users and users <= {"report", "bench"}, f"{module} is imported by stages {sorted(users)}"


def test_the_check_fails_when_a_dependency_is_dropped():
    """The deps check is not vacuous: a stage that loses a module it imports is caught, by name."""
    stage = dict(stages(REPO / "dvc.yaml")["evaluate"])
    stage["deps"] = [d for d in stage["deps"] if d != "walker/protocol.py"]
    assert "walker/protocol.py" in stage_closure(stage) - listed_code(stage)


def _reads_key(entries, params_file: str, key: str) -> bool:
    """Whether a stage's ``params`` list makes DVC rerun it when ``key`` of ``params_file`` changes (a listed key,
    one of its parents or one of its children; params.yaml's keys are the plain entries)."""
    listed = params_by_file(entries).get(None if params_file == "params.yaml" else params_file, [])
    listed = [re.sub(r"\$\{\w+\}", "*", k) for k in listed]  # a foreach stage's ${key}: any
    return any(k == key or key.startswith(k + ".") or k.startswith(key + ".") or k.endswith(".*") and key.startswith(k[:-2]) for k in listed)


def stages_touched(*, modules: tuple[str, ...] = (), params_file: str = "params.yaml", keys: tuple[str, ...] = ()) -> set[str]:
    """``pipeline:stage`` of every stage of every pipeline that an edit of ``modules`` or of ``keys`` in ``params_file`` reruns,
    read from the real dvc.yaml files."""
    touched = set()
    for pipeline in PIPELINES:
        for name, stage in stages(pipeline).items():
            deps = set(stage.get("deps", []))
            if deps & set(modules) or any(_reads_key(stage.get("params", []), params_file, k) for k in keys):
                touched.add(f"{pipeline.parent.name if pipeline.parent != REPO else 'main'}:{name}")
    return touched


def test_editing_the_humanoids_reward_reruns_no_walker_stage():
    touched = stages_touched(modules=("walker/humanoid/task.py", "walker/humanoid/env.py"), params_file="humanoid/params.yaml",
                             keys=("humanoid.reward",))
    assert touched and all(s.startswith("humanoid:") for s in touched), sorted(touched)


def test_editing_the_walkers_reward_reruns_no_humanoid_stage():
    touched = stages_touched(modules=("walker/passive/task.py", "walker/passive/env.py", "walker/passive/config.py"), keys=("walker.reward",))
    assert "main:ppo" in touched and not any(s.startswith("humanoid:") for s in touched), sorted(touched)


def test_editing_the_apg_block_reruns_only_the_apg_stages():
    assert stages_touched(modules=("walker/apg.py",), params_file="physics/params.yaml", keys=("apg",)) == {"physics:apg", "physics:apg_compare"}


def test_editing_a_studys_block_reruns_only_that_study():
    for study, keys in (("capacity", ("capacity",)), ("peer", ("peer",)), ("physics", ("backends", "gradients")), ("envelope", ("walkable",)), ("envelope", ("coverage",))):
        touched = stages_touched(params_file=f"{study}/params.yaml", keys=keys)
        assert touched and all(s.startswith(f"{study}:") for s in touched), (study, sorted(touched))
    assert stages_touched(modules=("walker/backend_table.py",)) == {"physics:backends"}
    assert stages_touched(modules=("walker/capacity.py", "walker/stages/capacity.py")) == {"capacity:train", "capacity:plot"}
    assert stages_touched(modules=("walker/walkable.py",)) == {"envelope:walkable"}
    assert stages_touched(modules=("walker/coverage.py",)) == {"envelope:coverage"}


def test_a_stage_that_names_its_body_depends_on_that_body_only():
    """A generic stage finds its body by name (``--body``); its derived deps hold that body's modules, no other's."""
    stage = stages(REPO / "envelope" / "dvc.yaml")["walkable"]
    deps = set(stage["deps"])
    assert {"walker/passive/plugin.py", "walker/passive/fsm.py", "walker/passive/assets/walker.xml"} <= deps
    assert not any(d.startswith("walker/humanoid/") for d in deps)
    assert "walker/passive/plugin.py" not in import_closure(script_of(stage)), "the body comes by name, not by import"


BODY_PLUGINS = ("walker.passive.plugin", "walker.humanoid.plugin")
"""Every body's plugin module (its ``BODY``): the model-file deps here and tests/test_body_contract.py run over these."""


@pytest.mark.parametrize(("pipeline", "name"), CASES, ids=[f"{p.parent.name}:{n}" for p, n in CASES])
def test_a_stage_that_loads_a_bodys_model_lists_its_files(pipeline, name):
    """Derived deps cover data files: a stage whose code imports a body's model loader lists the files the body's
    plugin declares (``Body.data_files``, its MJCF), so editing the model reruns it."""
    import importlib

    stage = stages(pipeline)[name]
    closure, deps = stage_closure(stage), set(stage.get("deps", []))
    for plugin in BODY_PLUGINS:
        body = importlib.import_module(plugin).BODY
        if body.model_module in closure:
            missing = sorted(set(body.data_files) - deps)
            assert not missing, f"{pipeline.relative_to(REPO)}: stage '{name}' loads {body.name}'s model but does not list {missing} in deps"
