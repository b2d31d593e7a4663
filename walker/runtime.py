"""Process-level JAX settings, applied by entry points (never at import)."""

from __future__ import annotations

import dataclasses
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


def _jax_started() -> bool:
    """Whether JAX has created a backend in this process (XLA_FLAGS was read then); importing jax alone does not."""
    import sys

    if "jax" not in sys.modules:
        return False
    from jax._src import xla_bridge

    return xla_bridge.backends_are_initialized()


def use_all_cpu_cores() -> int:
    """Give XLA one CPU device per core (``--xla_force_host_platform_device_count``); returns the count.

    One XLA CPU device runs a vmapped physics step on a single core, so the
    benchmark splits its batch over one device per core to compare with native
    MuJoCo on all cores. Only the CPU platform is affected (a GPU stays one
    device). XLA reads the flag when JAX starts: call this before importing jax.
    """

    flags = os.environ.get("XLA_FLAGS", "")
    if "xla_force_host_platform_device_count" in flags:  # the user's choice
        return int(flags.split("xla_force_host_platform_device_count=")[1].split()[0])
    if _jax_started():
        raise RuntimeError("use_all_cpu_cores() must run before JAX starts a backend (XLA_FLAGS is read then)")
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


def prepare_process() -> dict[str, str | int | None]:
    """What every entry point sets first, before JAX starts: the CPU ISA pin, one XLA device per core, GPU memory on demand.

    Each respects a choice the user made in the environment (``XLA_FLAGS``,
    ``XLA_PYTHON_CLIENT_*``); the OpenBLAS variables are never touched
    (:mod:`walker.numerics` says why). Returns what it set; nothing once JAX has
    started a backend in this process (XLA has read its flags then).
    """
    from walker.numerics import pin_cpu_isa

    if _jax_started():  # called again in a process that already computes (e.g. `walker` commands inside the tests)
        return {"cpu_max_isa": None, "cpu_devices": None}
    isa = pin_cpu_isa()
    devices = use_all_cpu_cores()
    share_gpu_memory()
    return {"cpu_max_isa": isa, "cpu_devices": devices}


DISTRIBUTED_VARIABLES = ("WALKER_COORDINATOR", "WALKER_NUM_PROCESSES", "WALKER_PROCESS_ID")
"""A run across hosts: the coordinator's host:port, how many processes, and this one's id (0 .. n-1)."""


def init_distributed(environ: os._Environ | dict = os.environ) -> tuple[int, int]:
    """Join a multi-process JAX run when ``WALKER_COORDINATOR``, ``WALKER_NUM_PROCESSES`` and ``WALKER_PROCESS_ID``
    are set (all three, or none); returns (process id, process count), (0, 1) alone.

    Brax's PPO then splits its environments over every process's devices and
    averages gradients across them; on CPUs the collectives go through Gloo.
    Call after :func:`prepare_process` and before the first computation.
    """
    given = {name: environ.get(name) for name in DISTRIBUTED_VARIABLES}
    if not any(given.values()):
        return 0, 1
    missing = [name for name, value in given.items() if not value]
    if missing:
        raise ValueError(f"a distributed run needs all of {list(DISTRIBUTED_VARIABLES)}; missing {missing}")
    try:
        count, index = int(given["WALKER_NUM_PROCESSES"]), int(given["WALKER_PROCESS_ID"])
    except ValueError:
        raise ValueError(f"WALKER_NUM_PROCESSES and WALKER_PROCESS_ID must be integers, got {given}") from None
    if not 0 <= index < count:
        raise ValueError(f"WALKER_PROCESS_ID ({index}) must lie in 0 .. WALKER_NUM_PROCESSES - 1 ({count - 1})")
    import jax

    jax.config.update("jax_cpu_collectives_implementation", "gloo")  # CPU devices of other processes; GPUs use NCCL
    # Brax 0.14's PPO averages its pmap's metrics with jnp.mean, which JAX 0.9's shard_map-based pmap refuses
    # across processes ("CopyArrays only supports destination device list of the same size"); the classic pmap
    # (deprecated, removed in JAX 0.10) returns per-process arrays as Brax expects.
    jax.config.update("jax_pmap_shmap_merge", False)
    jax.distributed.initialize(coordinator_address=given["WALKER_COORDINATOR"], num_processes=count, process_id=index)
    # On CPUs JAX 0.9 places new arrays on global device 0, which belongs to process 0; keep each process's own.
    jax.config.update("jax_default_device", jax.local_devices()[0])
    from jax.experimental import multihost_utils

    # Gloo sets up its connections at the first collective and waits only 30 s for the other processes: do it
    # now, while they start together, not after compilations that may take one process longer than another.
    multihost_utils.sync_global_devices("walker: all processes started")
    return index, count


def configure_jax() -> Path:
    """What every entry point sets before JAX computes: LAPACK-free small linear algebra (the same bits on every
    x86-64 host), GPU memory on demand, and the compilation cache."""
    from walker.numerics import blas_free_linalg

    share_gpu_memory()
    blas_free_linalg()
    return enable_compilation_cache()


@dataclasses.dataclass
class CompileLog:
    """What JAX compiled in this process since :func:`track_compiles`: XLA compile time and persistent-cache use."""

    compile_s: float = 0.0
    """seconds XLA spent compiling (programs loaded from the persistent cache cost nothing here)"""
    cache_hits: int = 0
    cache_misses: int = 0


def track_compiles() -> CompileLog:
    """Start counting compilations through ``jax.monitoring`` (process-wide; call once, in an entry point or a stage)."""
    import jax

    log = CompileLog()

    def on_duration(event: str, duration: float, **kwargs: object) -> None:
        if event == "/jax/core/compile/backend_compile_duration":
            log.compile_s += duration

    def on_event(event: str, **kwargs: object) -> None:
        if event == "/jax/compilation_cache/cache_hits":
            log.cache_hits += 1
        elif event == "/jax/compilation_cache/cache_misses":
            log.cache_misses += 1

    jax.monitoring.register_event_duration_secs_listener(on_duration)
    jax.monitoring.register_event_listener(on_event)
    return log
