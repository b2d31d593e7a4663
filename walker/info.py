"""`walker info`: what a bug report needs, as ``key: value`` lines.

Versions of the packages the pipeline rests on, the JAX backend and devices,
the MuJoCo rendering backend (tried, not guessed), the compilation cache and
whether the params file is valid.
"""

from __future__ import annotations

import importlib.metadata
import os
import platform
import sys
from pathlib import Path

PACKAGES = (
    "walker", "jax", "jaxlib", "mujoco", "mujoco-mjx", "brax", "equinox", "optax", "flax",
    "dvc", "dvclive", "gymnasium", "numpy", "imageio-ffmpeg",
)


def package_versions() -> dict[str, str]:
    """Installed version of each of :data:`PACKAGES` (``not installed`` if missing)."""
    versions = {}
    for name in PACKAGES:
        try:
            versions[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            versions[name] = "not installed"
    return versions


def rendering_backend() -> str:
    """The offscreen OpenGL backend MuJoCo gets here, and whether a tiny render works with it.

    Must run before anything imports mujoco (``MUJOCO_GL`` is read at import).
    """
    from walker.runtime import select_gl_backend

    backend = select_gl_backend()
    try:
        import mujoco

        model = mujoco.MjModel.from_xml_string('<mujoco><worldbody><geom size=".1"/></worldbody></mujoco>')
        renderer = mujoco.Renderer(model, 16, 16)
        try:
            renderer.update_scene(mujoco.MjData(model))
            renderer.render()
        finally:
            renderer.close()
        return f"{backend} (MUJOCO_GL={os.environ.get('MUJOCO_GL', 'unset')}): renders"
    except Exception as err:  # noqa: BLE001 - any failure is what the report should show
        return f"{backend} (MUJOCO_GL={os.environ.get('MUJOCO_GL', 'unset')}): fails ({type(err).__name__}: {err})"


def jax_devices() -> str:
    import jax

    return f"{jax.default_backend()}: " + ", ".join(f"{d.platform}:{d.id} {d.device_kind}" for d in jax.devices())


def xla_cpu_isa() -> str:
    """The widest ISA XLA may use on this CPU, as the entry points pin it (walker.numerics), and who chose it."""
    from walker.numerics import ISA_FLAG, pin_cpu_isa

    chosen = ISA_FLAG in os.environ.get("XLA_FLAGS", "")
    isa = pin_cpu_isa(dict(os.environ))  # on a copy: what an entry point would set here
    return f"{isa or 'host default (not x86-64)'} ({'XLA_FLAGS' if chosen else 'walker default'})"


def openblas_kernel() -> str:
    """The CPU kernel that SciPy's OpenBLAS chose. The entry points keep it out of JAX's programs
    (:func:`walker.numerics.blas_free_linalg`); before that, jaxlib's LAPACK calls (MJX's Cholesky) ran on it
    and another kernel changed the last bits of every trajectory."""
    import ctypes

    import scipy

    forced = os.environ.get("OPENBLAS_CORETYPE", "unset")
    libs = sorted((Path(scipy.__file__).resolve().parent.parent / "scipy.libs").glob("libscipy_openblas*"))
    try:
        get_corename = ctypes.CDLL(str(libs[0])).scipy_openblas_get_corename
    except (IndexError, OSError, AttributeError):  # another SciPy build (e.g. Accelerate on macOS)
        return f"not found (OPENBLAS_CORETYPE={forced})"
    get_corename.restype = ctypes.c_char_p
    return f"{get_corename().decode()} (OPENBLAS_CORETYPE={forced})"


def transfer_versions(versions: dict[str, str], web_lock: Path) -> str:
    """Which MuJoCo each check compares: MJX (batched, float32) in training and evaluation, native MuJoCo (float64)
    in the transfer check, and the WebAssembly build pinned for the browser viewer."""
    import json

    try:
        wasm = json.loads(web_lock.read_text())["packages"][""]["dependencies"]["@mujoco/mujoco"]
    except (OSError, KeyError, ValueError):
        wasm = "unknown (web/package-lock.json not found)"
    return (f"MJX (mujoco-mjx {versions['mujoco-mjx']}) vs native MuJoCo (mujoco {versions['mujoco']}); "
            f"browser viewer: @mujoco/mujoco {wasm} (WebAssembly)")


def params_status(path: str | Path) -> tuple[bool, str]:
    """(valid, message) for a params file: ``valid`` or the loader's error naming the key."""
    from walker.config import ConfigError
    from walker.passive.config import load_params

    try:
        load_params(path)
    except ConfigError as err:
        return False, f"INVALID: {err}"
    return True, "valid"


def info_lines(params_path: str | Path) -> tuple[bool, list[str]]:
    """(params valid, the report's lines)."""
    from walker.runtime import enable_compilation_cache

    rendering = rendering_backend()  # first: nothing may import mujoco before it
    lines = [f"python: {sys.version.split()[0]} ({sys.executable})", f"platform: {platform.platform()}"]
    versions = package_versions()
    lines += [f"{name}: {version}" for name, version in versions.items()]
    lines.append(f"transfer check compares: {transfer_versions(versions, Path(__file__).resolve().parent.parent / 'web' / 'package-lock.json')}")
    lines.append(f"jax devices: {jax_devices()}")
    lines.append(f"mujoco rendering: {rendering}")
    lines.append(f"jax compilation cache: {enable_compilation_cache()}")
    lines.append(f"cpu cores: {os.cpu_count()}")
    lines.append(f"openblas kernel: {openblas_kernel()} (not used by the pipeline's JAX programs)")
    lines.append(f"xla cpu isa: {xla_cpu_isa()}")
    valid, message = params_status(params_path)
    lines.append(f"params ({params_path}): {message}")
    if valid:
        for name, message in study_params_status(params_path, Path(params_path).resolve().parent):
            lines.append(f"params ({name}): {message}")
    return valid, lines


def study_params_status(params_path: str | Path, root: Path) -> list[tuple[str, str]]:
    """(file, ``valid`` or the loader's error) for each other pipeline's params file found under ``root``: the
    studies' (read with ``params_path``'s blocks) and the humanoid's."""
    from walker.apg import ApgParams
    from walker.backend_table import BackendsParams
    from walker.capacity import load_capacity
    from walker.config import ConfigError, load_study
    from walker.coverage import load_coverage
    from walker.humanoid.config import load_humanoid_params
    from walker.passive.config import load_params
    from walker.peer import load_peer
    from walker.walkable import load_walkable
    from walker.wide_from_scratch import load_wide_from_scratch

    params = load_params(params_path)
    checks = {
        "capacity/params.yaml": load_capacity,
        "peer/params.yaml": load_peer,
        "physics/params.yaml": lambda path: (load_study(BackendsParams, params, path), load_study(ApgParams, params, path)),
        "humanoid/params.yaml": load_humanoid_params,
        "envelope/params.yaml": lambda path: (load_walkable(path), load_coverage(path), load_wide_from_scratch(path)),
    }
    out = []
    for name, check in checks.items():
        path = root / name
        if not path.is_file():
            continue
        try:
            check(path)
        except ConfigError as err:
            out.append((name, f"INVALID: {err}"))
        else:
            out.append((name, "valid"))
    return out
