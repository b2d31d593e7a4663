"""Bodies are plugins: shared code never imports a body, and a body never imports another body.

A body is a package under ``walker/`` with its own MJCF (:data:`BODIES`). Read with ``ast``
(imports inside functions included). A body importing a sibling fails outright. Shared
modules that still import a body are listed in :data:`STILL_IMPORT_A_BODY`, the work left
for issue 32 (one set of stages for every body): the list may only shrink. A new shared
module that imports a body fails, and so does a listed module that no longer does (take it
off the list, so it cannot slip back).
"""

from __future__ import annotations

from pathlib import Path

from test_dvc_deps import REPO, imported_modules

BODIES = ("walker.passive", "walker.humanoid")

STILL_IMPORT_A_BODY = {
    # the CLI and the stages choose a body by name today; a body registry replaces these imports
    "walker/cli.py", "walker/stages/apg.py", "walker/stages/backends.py", "walker/stages/bc.py", "walker/stages/bench.py",
    "walker/stages/demos.py", "walker/stages/evaluate.py", "walker/stages/gradients.py",
    "walker/stages/humanoid_bench.py", "walker/stages/humanoid_evaluate.py", "walker/stages/humanoid_report.py",
    "walker/stages/humanoid_stand.py", "walker/stages/humanoid_tuning.py", "walker/stages/humanoid_walk.py",
    "walker/stages/peer.py", "walker/stages/peer_compare.py", "walker/stages/ppo.py", "walker/stages/ppo_wide.py", "walker/stages/report.py", "walker/stages/sac.py",
    "walker/stages/solvers.py", "walker/stages/system.py", "walker/stages/capacity.py",
    # main params.yaml's Params is the passive walker's (walker/passive/config.py): these imported it through
    # walker/config.py before its split, the same dependency made visible
    "walker/stages/critic.py", "walker/stages/timing.py", "walker/stages/web.py", "walker/info.py",
    # studies and tools written for the walker alone
    "walker/backend_table.py", "walker/capacity.py", "walker/gradients.py", "walker/peer.py", "walker/web.py",
}


def module_name(path: Path) -> str:
    return ".".join(path.relative_to(REPO).with_suffix("").parts).removesuffix(".__init__")


def body_of(name: str) -> str | None:
    """The body package that module ``name`` belongs to, or None for shared code."""
    return next((b for b in BODIES if name == b or name.startswith(b + ".")), None)


def bodies_imported(path: Path) -> set[str]:
    return {b for b in map(body_of, imported_modules(path)) if b is not None}


def project_modules() -> list[Path]:
    return sorted((REPO / "walker").rglob("*.py"))


def test_a_body_never_imports_another_body():
    for path in project_modules():
        own = body_of(module_name(path))
        if own is not None:
            others = bodies_imported(path) - {own}
            assert not others, f"{path.relative_to(REPO)} (body {own}) imports {sorted(others)}: share it through a module outside both"


def test_shared_code_imports_no_body_beyond_the_shrinking_list():
    importers = {path.relative_to(REPO).as_posix() for path in project_modules() if body_of(module_name(path)) is None and bodies_imported(path)}
    new, done = sorted(importers - STILL_IMPORT_A_BODY), sorted(STILL_IMPORT_A_BODY - importers)
    assert not new, f"shared modules that import a body: {new} (take the body's ids or sizes as arguments instead)"
    assert not done, f"no longer import a body: {done}: take them off STILL_IMPORT_A_BODY"


def test_the_check_sees_an_import_inside_a_function(tmp_path):
    """Not vacuous: a function-level import of a body counts."""
    module = tmp_path / "m.py"
    module.write_text("def f():\n    from walker.humanoid.env import HumanoidEnv\n    return HumanoidEnv\n")
    assert bodies_imported(module) == {"walker.humanoid"}
