"""Process-level JAX settings, applied by entry points (never at import)."""

from __future__ import annotations

import os
from pathlib import Path


def enable_compilation_cache() -> Path:
    """Turn on JAX's persistent compilation cache so reruns (and other seeds) skip recompiling.

    The directory is ``$WALKER_JAX_CACHE`` or ``~/.cache/walker/jax``.
    """
    import jax

    path = Path(os.environ.get("WALKER_JAX_CACHE", Path.home() / ".cache" / "walker" / "jax"))
    path.mkdir(parents=True, exist_ok=True)
    jax.config.update("jax_compilation_cache_dir", str(path))
    jax.config.update("jax_persistent_cache_min_compile_time_secs", 1.0)
    jax.config.update("jax_persistent_cache_min_entry_size_bytes", 0)
    return path


def select_gl_backend() -> str:
    """Choose MuJoCo's offscreen OpenGL backend through ``MUJOCO_GL`` (read when MuJoCo is imported).

    An explicit ``MUJOCO_GL`` wins (``egl`` on a GPU machine). Otherwise a Linux
    machine without a display gets ``osmesa`` (software rendering; the set-up
    script installs it). Call this in an entry point before anything imports mujoco.
    """
    import sys

    chosen = os.environ.get("MUJOCO_GL")
    if not chosen:
        headless = sys.platform.startswith("linux") and not (os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))
        if not headless:
            return "default"  # MuJoCo's own choice (GLFW with a display, CGL on macOS)
        if "mujoco" in sys.modules:
            raise RuntimeError("select_gl_backend() must run before mujoco is imported (MUJOCO_GL is read at import)")
        chosen = os.environ["MUJOCO_GL"] = "osmesa"
    return chosen


def use_all_cpu_cores() -> int:
    """Give XLA one CPU device per core (``--xla_force_host_platform_device_count``); returns the count.

    One XLA CPU device runs a vmapped physics step on a single core, so the
    benchmark splits its batch over one device per core to compare with native
    MuJoCo on all cores. Only the CPU platform is affected (a GPU stays one
    device). XLA reads the flag when JAX starts: call this before importing jax.
    """
    import sys

    flags = os.environ.get("XLA_FLAGS", "")
    if "xla_force_host_platform_device_count" in flags:  # the user's choice
        return int(flags.split("xla_force_host_platform_device_count=")[1].split()[0])
    if "jax" in sys.modules:
        raise RuntimeError("use_all_cpu_cores() must run before jax is imported (XLA_FLAGS is read at start-up)")
    cores = os.cpu_count() or 1
    os.environ["XLA_FLAGS"] = f"{flags} --xla_force_host_platform_device_count={cores}".strip()
    return cores


def share_gpu_memory() -> None:
    """Let several runs share one GPU: JAX takes GPU memory as it needs it, not 75 % of it up front.

    Two queued experiments (`dvc queue start -j 2`) on one GPU otherwise fail
    with out-of-memory in the second. JAX reads this when it creates its GPU
    backend, at the first computation: call it before any. An explicit
    ``XLA_PYTHON_CLIENT_PREALLOCATE`` or ``XLA_PYTHON_CLIENT_MEM_FRACTION`` wins.
    """
    if not {"XLA_PYTHON_CLIENT_PREALLOCATE", "XLA_PYTHON_CLIENT_MEM_FRACTION", "XLA_CLIENT_MEM_FRACTION"} & os.environ.keys():
        os.environ["XLA_PYTHON_CLIENT_PREALLOCATE"] = "false"


def quiet_logs() -> None:
    """Silence start-up lines that read like errors but are not; call in an entry point before jax or mujoco is imported.

    - XLA's C++ warnings (``Assume version compatibility`` on every load from the
      compilation cache): ``TF_CPP_MIN_LOG_LEVEL=2`` hides INFO and WARNING, never
      ERROR. A value the user set wins.
    - MJX probes for its optional Warp backend at import and prints ``Failed to
      import warp`` / ``mujoco_warp``; when Warp is simply not installed those two
      lines are dropped, any other line of the probe still prints.
    - Brax's notice that its own pipelines are "not actively being maintained",
      printed wherever ``brax.io.mjcf`` loads our model: we load through it but
      simulate with MJX, the maintained path. Only that message is filtered.

    What remains is listed in docs/troubleshooting.md.
    """
    import contextlib
    import importlib.util
    import io
    import sys

    import warnings

    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    warnings.filterwarnings("ignore", message=r"Brax System, piplines and environments are not actively being maintained")
    if "mujoco.mjx.warp" in sys.modules or importlib.util.find_spec("warp") is not None:
        return  # already probed, or installed: then a failure to import it is real news
    probe = io.StringIO()
    with contextlib.redirect_stdout(probe):
        import mujoco.mjx.warp  # noqa: F401
    for line in probe.getvalue().splitlines():
        if "No module named 'warp'" not in line:
            print(line)


def configure_jax() -> Path:
    """What every entry point sets before JAX computes: GPU memory on demand, and the compilation cache."""
    share_gpu_memory()
    return enable_compilation_cache()
