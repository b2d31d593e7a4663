"""The same bits on every x86-64 host: what decides the last bits of a CPU run, and the pins that fix it.

Two things make a CPU run's results depend on the host:

1. **XLA's code generation** targets the host's widest vector ISA (AVX-512 where
   the CPU has it, AVX2 where not), and a reduction vectorised 16 wide sums in
   another order than one vectorised 8 wide. :func:`pin_cpu_isa` caps it at
   AVX2 (``--xla_cpu_max_isa``), which every x86-64 host we run on has.
2. **LAPACK.** On a CPU JAX lowers ``cholesky`` and ``triangular_solve`` (MJX's
   Newton solver and implicit integrator factor a small matrix every step) to
   LAPACK ``potrf``/``trsm`` from the OpenBLAS that SciPy ships, and OpenBLAS
   picks its kernels by CPU type. :func:`blas_free_linalg` lowers both to
   plain JAX loops instead, compiled by XLA like the rest of the step. The
   matrices are ``nv x nv`` (6 for the walker), so the loops cost nothing
   measurable (docs/benchmarks.md).

The OpenBLAS variables (``OPENBLAS_CORETYPE``, ``OPENBLAS_L2_SIZE``) are left as
the machine sets them: some machines set them on purpose, because older OpenBLAS
builds compute wrong results or crash there. With the LAPACK path gone they no
longer reach the bits.

Entry points call :func:`pin_numerics` before JAX starts (``walker.runtime``).
"""

from __future__ import annotations

import os
import platform

import numpy as np

DEFAULT_CPU_ISA = "AVX2"
"""The widest ISA XLA may use on x86-64; override with ``--xla_cpu_max_isa=...`` in ``XLA_FLAGS``."""

ISA_FLAG = "--xla_cpu_max_isa"


def is_x86_64() -> bool:
    return platform.machine().lower() in {"x86_64", "amd64"}


def pin_cpu_isa(environ: os._Environ | dict = os.environ) -> str | None:
    """Add ``--xla_cpu_max_isa=AVX2`` to ``XLA_FLAGS`` unless the user chose an ISA; returns the ISA in force.

    Only on x86-64 (the flag names x86 ISAs). XLA reads ``XLA_FLAGS`` when JAX
    starts its CPU backend: call this before the first computation.
    """
    flags = environ.get("XLA_FLAGS", "")
    if ISA_FLAG in flags:
        return flags.split(f"{ISA_FLAG}=")[1].split()[0]
    if not is_x86_64():
        return None
    environ["XLA_FLAGS"] = f"{flags} {ISA_FLAG}={DEFAULT_CPU_ISA}".strip()
    return DEFAULT_CPU_ISA


def cholesky_lower(a):
    """Lower Cholesky factor of ``a`` (..., n, n) by columns, in plain JAX (n static).

    Column ``j``: ``L[j, j] = sqrt(a[j, j] - sum_k L[j, k]^2)`` and
    ``L[i, j] = (a[i, j] - sum_k L[i, k] L[j, k]) / L[j, j]`` for ``i > j``,
    the sums over the columns ``k < j`` already done. A matrix that is not
    positive definite gives NaN, as JAX's LAPACK path does.
    """
    import jax.numpy as jnp

    n = a.shape[-1]
    rows = jnp.arange(n)
    factor = jnp.zeros_like(a)
    for j in range(n):
        done = jnp.einsum("...ik,...k->...i", factor, factor[..., j, :])  # (..., n); columns >= j are still zero
        pivot = jnp.sqrt(a[..., j, j] - done[..., j])
        column = (a[..., :, j] - done) / pivot[..., None]
        column = jnp.where(rows > j, column, jnp.where(rows == j, pivot[..., None], 0.0))
        factor = factor.at[..., :, j].set(column)
    failed = jnp.isnan(jnp.diagonal(factor, axis1=-2, axis2=-1)).any(axis=-1)
    return jnp.where(failed[..., None, None], jnp.nan, factor)  # all NaN, like JAX's LAPACK path


def solve_lower_left(a, b, unit_diagonal: bool):
    """``x`` with ``a x = b`` for lower-triangular ``a`` (..., n, n) and ``b`` (..., n, m), by forward substitution."""
    import jax.numpy as jnp

    n = a.shape[-1]
    x = jnp.zeros_like(b)
    for i in range(n):
        row = b[..., i, :] - jnp.einsum("...k,...km->...m", a[..., i, :], x)  # x's rows >= i are still zero
        x = x.at[..., i, :].set(row if unit_diagonal else row / a[..., i, i][..., None])
    return x


def triangular_solve(a, b, *, left_side: bool, lower: bool, transpose_a: bool, conjugate_a: bool, unit_diagonal: bool):
    """``jax.lax.linalg.triangular_solve`` for real matrices, in plain JAX: every case reduced to a lower, left solve."""
    import jax.numpy as jnp

    del conjugate_a  # real matrices only (the caller checks)
    if transpose_a:
        a, lower = jnp.swapaxes(a, -1, -2), not lower
    if not left_side:  # x a = b  <=>  a^T x^T = b^T
        x = triangular_solve(jnp.swapaxes(a, -1, -2), jnp.swapaxes(b, -1, -2), left_side=True, lower=not lower,
                             transpose_a=False, conjugate_a=False, unit_diagonal=unit_diagonal)
        return jnp.swapaxes(x, -1, -2)
    if not lower:  # reverse rows and columns: an upper-triangular system becomes a lower one
        return solve_lower_left(a[..., ::-1, ::-1], b[..., ::-1, :], unit_diagonal)[..., ::-1, :]
    return solve_lower_left(a, b, unit_diagonal)


_REGISTERED = [False]


def blas_free_linalg() -> bool:
    """Lower ``cholesky`` and ``triangular_solve`` of real matrices on the CPU to plain JAX (no LAPACK); idempotent.

    Complex matrices keep JAX's LAPACK path (we have none). Returns True when the
    lowerings are in place. Call before anything is compiled: a program compiled
    earlier in the process keeps the LAPACK calls.
    """
    if _REGISTERED[0]:
        return True
    from jax.interpreters import mlir
    from jax.lax import linalg

    cpu_cholesky = mlir.lower_fun(cholesky_lower, multiple_results=False)
    cpu_solve = mlir.lower_fun(triangular_solve, multiple_results=False)
    lapack_cholesky = mlir._platform_specific_lowerings["cpu"][linalg.cholesky_p]
    lapack_solve = mlir._platform_specific_lowerings["cpu"][linalg.triangular_solve_p]

    def cholesky_rule(ctx, x):
        real = not np.issubdtype(ctx.avals_in[0].dtype, np.complexfloating)
        return (cpu_cholesky if real else lapack_cholesky)(ctx, x)

    def solve_rule(ctx, a, b, **kwargs):
        real = not any(np.issubdtype(v.dtype, np.complexfloating) for v in ctx.avals_in)
        return (cpu_solve if real else lapack_solve)(ctx, a, b, **kwargs)

    mlir.register_lowering(linalg.cholesky_p, cholesky_rule, platform="cpu")
    mlir.register_lowering(linalg.triangular_solve_p, solve_rule, platform="cpu")
    _REGISTERED[0] = True
    return True
