"""The same bits on every x86-64 host: the ISA pin, the LAPACK-free linear algebra, and the entry points that set them."""

import ast
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from walker.numerics import DEFAULT_CPU_ISA, cholesky_lower, is_x86_64, pin_cpu_isa, triangular_solve

REPO = Path(__file__).resolve().parent.parent


def spd(n: int, batch: int, seed: int = 0) -> np.ndarray:
    m = np.random.default_rng(seed).normal(size=(batch, n, n))
    return (m @ np.swapaxes(m, 1, 2) + n * np.eye(n)).astype(np.float32)


def test_cholesky_matches_numpy_and_fails_as_nan():
    a = spd(6, 5)
    np.testing.assert_allclose(np.asarray(cholesky_lower(a)), np.linalg.cholesky(a), rtol=1e-5, atol=1e-5)
    assert np.isnan(np.asarray(cholesky_lower(-a))).all()


@pytest.mark.parametrize("left_side", [True, False])
@pytest.mark.parametrize("lower", [True, False])
@pytest.mark.parametrize("transpose_a", [True, False])
@pytest.mark.parametrize("unit_diagonal", [True, False])
def test_triangular_solve_solves_every_case(left_side, lower, transpose_a, unit_diagonal):
    rng = np.random.default_rng(1)
    a = spd(5, 1)[0]
    a = np.tril(a) if lower else np.triu(a)
    b = rng.normal(size=(5, 3) if left_side else (3, 5)).astype(np.float32)
    x = np.asarray(triangular_solve(a, b, left_side=left_side, lower=lower, transpose_a=transpose_a, conjugate_a=False,
                                    unit_diagonal=unit_diagonal))
    op = a.copy()
    if unit_diagonal:
        np.fill_diagonal(op, 1.0)
    op = op.T if transpose_a else op
    np.testing.assert_allclose(op @ x if left_side else x @ op, b, atol=1e-4)


def test_isa_pin_respects_the_users_choice_and_leaves_openblas_alone():
    env = {"OPENBLAS_CORETYPE": "Haswell", "OPENBLAS_L2_SIZE": "512", "XLA_FLAGS": "--xla_foo=1"}
    isa = pin_cpu_isa(env)
    if is_x86_64():
        assert isa == DEFAULT_CPU_ISA and env["XLA_FLAGS"] == f"--xla_foo=1 --xla_cpu_max_isa={DEFAULT_CPU_ISA}"
    assert env["OPENBLAS_CORETYPE"] == "Haswell" and env["OPENBLAS_L2_SIZE"] == "512"
    mine = {"XLA_FLAGS": "--xla_cpu_max_isa=AVX512"}
    assert pin_cpu_isa(mine) == "AVX512" and mine == {"XLA_FLAGS": "--xla_cpu_max_isa=AVX512"}


def entry_points() -> list[Path]:
    return sorted((REPO / "pipeline").glob("*.py"))


def calls_in_main(path: Path) -> list[str]:
    """Names called, in order, in the ``if __name__ == "__main__":`` block of a script."""
    tree = ast.parse(path.read_text())
    main = next(n for n in tree.body if isinstance(n, ast.If) and "__main__" in ast.unparse(n.test))
    return [ast.unparse(n.value.func) for n in main.body if isinstance(n, ast.Expr) and isinstance(n.value, ast.Call)]


@pytest.mark.parametrize("script", entry_points(), ids=lambda p: p.name)
def test_every_entry_point_that_computes_sets_its_pins_first(script):
    text = script.read_text()
    if "configure_jax" not in text:  # web, capacity_plot: no JAX computation
        return
    calls = calls_in_main(script)
    assert "prepare_process" in calls, f"{script.name} does not call prepare_process()"
    assert calls.index("prepare_process") < calls.index("quiet_logs") < calls.index("configure_jax")
    assert "OPENBLAS" not in text


def test_a_started_process_has_the_pins_unless_the_user_set_them():
    code = ("from walker.runtime import prepare_process, configure_jax; prepare_process(); configure_jax(); import jax, os; "
            "jax.numpy.zeros(1).block_until_ready(); "
            "print(os.environ['XLA_FLAGS'], os.environ.get('OPENBLAS_CORETYPE'), jax.local_device_count())")
    base = {k: v for k, v in os.environ.items() if k != "XLA_FLAGS"}
    base["OPENBLAS_CORETYPE"] = "Haswell"
    out = subprocess.run([sys.executable, "-c", code], env=base, capture_output=True, text=True, check=True).stdout.split()
    if is_x86_64():
        assert f"--xla_cpu_max_isa={DEFAULT_CPU_ISA}" in out
    assert "Haswell" in out and int(out[-1]) == (os.cpu_count() or 1)
    mine = {**base, "XLA_FLAGS": "--xla_cpu_max_isa=SSE4_2 --xla_force_host_platform_device_count=1"}
    out = subprocess.run([sys.executable, "-c", code], env=mine, capture_output=True, text=True, check=True).stdout.split()
    assert "--xla_cpu_max_isa=SSE4_2" in out and f"--xla_cpu_max_isa={DEFAULT_CPU_ISA}" not in out and out[-1] == "1"


def test_mjx_step_uses_no_lapack_once_configured(mjx_env):
    import jax

    from walker.numerics import blas_free_linalg

    blas_free_linalg()
    state = jax.jit(mjx_env.reset)(jax.random.PRNGKey(0))
    hlo = jax.jit(mjx_env.step).lower(state, np.zeros(3, np.float32)).as_text()
    assert "lapack" not in hlo.lower() and "potrf" not in hlo.lower()
