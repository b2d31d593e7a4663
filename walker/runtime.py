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
