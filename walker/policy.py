"""The portable policy file: a learned policy as data, runnable without any training code.

A policy maps an observation (18,) to an action in [-1, 1]^3:

  ``action = tanh(mlp((obs - obs_mean) / obs_std))``

where the MLP applies ``activation`` after every layer but the last. The
pre-squash output is the mean of a tanh-squashed Gaussian, the same
parametrisation as Brax PPO's actor, so PPO can start from a cloned policy.

File layout (all integers little-endian; deterministic, so the same weights
always give the same bytes)::

  MAGIC (8 bytes) | header length (uint32) | header (UTF-8 JSON, sorted keys)
  | float32 arrays, in the order the header lists them | SHA-256 of all preceding bytes (32)

The header holds ``format_version``, ``obs_size``, ``action_size``,
``activation``, ``squash``, ``hidden_sizes``, ``arrays`` (name and shape of
each array) and free-form ``metadata`` (what produced the file).
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import struct
from pathlib import Path
from types import ModuleType
from typing import Any

import numpy as np

from walker.activations import ACTIVATIONS, activation_fn
from walker.io import write_bytes

POLICY_FILENAME = "policy.walker"
"""Name of the policy file inside a model folder such as ``models/bc/``."""
MAGIC = b"WLKPOL\x00\x01"
FORMAT_VERSION = 1
SQUASHES = ("tanh", "clip")
"""How the last layer becomes an action in [-1, 1]: ``tanh`` (our clone and Brax PPO) or ``clip`` (a Gaussian
mean clipped to the action box, as Stable-Baselines3's ``predict`` does)."""
_DIGEST = 32


class PolicyFileError(ValueError):
    """A policy file that cannot be used; the message names the file and the problem."""


@dataclasses.dataclass(frozen=True)
class PolicyFile:
    """An MLP policy with its observation normaliser; arrays are float32 NumPy (or JAX) arrays."""

    obs_mean: Any
    """(obs_size,)"""
    obs_std: Any
    """(obs_size,), all > 0"""
    weights: tuple[Any, ...]
    """one (in, out) matrix per layer; the last has out = action_size"""
    biases: tuple[Any, ...]
    """one (out,) vector per layer"""
    activation: str = "tanh"
    squash: str = "tanh"
    metadata: dict[str, Any] = dataclasses.field(default_factory=dict)

    @property
    def obs_size(self) -> int:
        return int(self.weights[0].shape[0])

    @property
    def action_size(self) -> int:
        return int(self.weights[-1].shape[1])

    @property
    def hidden_sizes(self) -> tuple[int, ...]:
        return tuple(int(w.shape[1]) for w in self.weights[:-1])


def normalise(obs: Any, mean: Any, std: Any) -> Any:
    """The policy's input: (obs - mean) / std, obs (..., obs_size)."""
    return (obs - mean) / std


def pre_squash(policy: PolicyFile, obs: Any, xp: ModuleType) -> Any:
    """The Gaussian mean before squashing: obs (..., obs_size) -> (..., action_size)."""
    act = activation_fn(policy.activation, xp)
    x = normalise(obs, policy.obs_mean, policy.obs_std)
    last = len(policy.weights) - 1
    for i, (w, b) in enumerate(zip(policy.weights, policy.biases)):
        x = x @ w + b
        if i < last:
            x = act(x)
    return x


def apply(policy: PolicyFile, obs: Any, xp: ModuleType) -> Any:
    """Deterministic action in [-1, 1]: obs (..., obs_size) -> (..., action_size).

    ``xp`` is ``numpy`` (one observation at a time in the native env) or
    ``jax.numpy`` (batched, inside jit); leading dimensions broadcast.
    """
    pre = pre_squash(policy, obs, xp)
    return xp.tanh(pre) if policy.squash == "tanh" else xp.clip(pre, -1.0, 1.0)


def as_numpy(policy: PolicyFile) -> PolicyFile:
    """The same policy with float32 NumPy arrays (e.g. after training in JAX)."""
    f32 = lambda a: np.asarray(a, dtype=np.float32)  # noqa: E731
    return dataclasses.replace(
        policy,
        obs_mean=f32(policy.obs_mean),
        obs_std=f32(policy.obs_std),
        weights=tuple(f32(w) for w in policy.weights),
        biases=tuple(f32(b) for b in policy.biases),
    )


def check_policy(policy: PolicyFile, where: str = "policy") -> None:
    """Raise :class:`PolicyFileError` if shapes, values or names are inconsistent."""
    if policy.activation not in ACTIVATIONS:
        raise PolicyFileError(f"{where}: unknown activation '{policy.activation}'; known: {list(ACTIVATIONS)}")
    if policy.squash not in SQUASHES:
        raise PolicyFileError(f"{where}: unknown squash '{policy.squash}'; known: {list(SQUASHES)}")
    if len(policy.weights) == 0 or len(policy.weights) != len(policy.biases):
        raise PolicyFileError(f"{where}: {len(policy.weights)} weight matrices but {len(policy.biases)} bias vectors")
    size = policy.obs_size
    for name, arr in (("obs_mean", policy.obs_mean), ("obs_std", policy.obs_std)):
        if tuple(arr.shape) != (size,):
            raise PolicyFileError(f"{where}: {name} has shape {tuple(arr.shape)}, expected ({size},)")
    for i, (w, b) in enumerate(zip(policy.weights, policy.biases)):
        if w.ndim != 2 or w.shape[0] != size or tuple(b.shape) != (w.shape[1],):
            raise PolicyFileError(
                f"{where}: layer {i} has weight {tuple(w.shape)} and bias {tuple(b.shape)}; expected ({size}, n) and (n,)"
            )
        size = w.shape[1]
    arrays = [policy.obs_mean, policy.obs_std, *policy.weights, *policy.biases]
    if not all(np.isfinite(np.asarray(a)).all() for a in arrays):
        raise PolicyFileError(f"{where}: contains NaN or infinite values")
    if not (np.asarray(policy.obs_std) > 0).all():
        raise PolicyFileError(f"{where}: obs_std must be positive")


def check_compatible(policy: PolicyFile, where: str, obs_size: int, action_size: int) -> None:
    """Raise :class:`PolicyFileError` if the policy does not fit a body's observation and action sizes.

    The policy file knows nothing of bodies: the caller passes the sizes of the
    env it will run the policy in (``env.observation_size``, ``env.action_size``).
    """
    if policy.obs_size != obs_size:
        raise PolicyFileError(f"{where}: policy expects observations of size {policy.obs_size}, this body's have {obs_size}")
    if policy.action_size != action_size:
        raise PolicyFileError(f"{where}: policy outputs {policy.action_size} actions, this body takes {action_size}")


def _array_list(policy: PolicyFile) -> list[tuple[str, np.ndarray]]:
    named = [("obs_mean", policy.obs_mean), ("obs_std", policy.obs_std)]
    for i, (w, b) in enumerate(zip(policy.weights, policy.biases)):
        named += [(f"layer{i}.weight", w), (f"layer{i}.bias", b)]
    return [(n, np.ascontiguousarray(a, dtype="<f4")) for n, a in named]


def policy_to_bytes(policy: PolicyFile) -> bytes:
    """Serialise (deterministically) after checking the policy."""
    policy = as_numpy(policy)
    check_policy(policy)
    arrays = _array_list(policy)
    header = {
        "format_version": FORMAT_VERSION,
        "obs_size": policy.obs_size,
        "action_size": policy.action_size,
        "activation": policy.activation,
        "squash": policy.squash,
        "hidden_sizes": list(policy.hidden_sizes),
        "arrays": [{"name": n, "shape": list(a.shape)} for n, a in arrays],
        "metadata": policy.metadata,
    }
    head = json.dumps(header, sort_keys=True, separators=(",", ":")).encode()
    body = MAGIC + struct.pack("<I", len(head)) + head + b"".join(a.tobytes() for _, a in arrays)
    return body + hashlib.sha256(body).digest()


def save_policy(policy: PolicyFile, path: str | Path) -> None:
    """Write the file atomically (temporary file, then rename)."""
    write_bytes(policy_to_bytes(policy), path)


def policy_from_bytes(data: bytes, where: str = "policy") -> PolicyFile:
    """Parse and verify; every problem raises :class:`PolicyFileError` naming ``where``."""
    fixed = len(MAGIC) + 4
    if len(data) < fixed + _DIGEST or not data.startswith(MAGIC):
        raise PolicyFileError(f"{where}: not a walker policy file (missing the {MAGIC!r} signature or too short)")
    body, digest = data[:-_DIGEST], data[-_DIGEST:]
    if hashlib.sha256(body).digest() != digest:
        raise PolicyFileError(f"{where}: checksum mismatch; the file is truncated or corrupt")
    (head_len,) = struct.unpack("<I", data[len(MAGIC) : fixed])
    try:
        header = json.loads(body[fixed : fixed + head_len].decode())
    except (UnicodeDecodeError, json.JSONDecodeError) as err:
        raise PolicyFileError(f"{where}: unreadable header: {err}") from err
    version = header.get("format_version")
    if version != FORMAT_VERSION:
        raise PolicyFileError(f"{where}: unknown format version {version!r}; this walker reads version {FORMAT_VERSION}")
    try:
        specs = [(a["name"], tuple(int(s) for s in a["shape"])) for a in header["arrays"]]
        activation, squash, metadata = header["activation"], header["squash"], header.get("metadata", {})
    except (KeyError, TypeError, ValueError) as err:
        raise PolicyFileError(f"{where}: malformed header ({err!r})") from err
    payload = body[fixed + head_len :]
    expected = sum(4 * int(np.prod(shape)) for _, shape in specs)
    if len(payload) != expected:
        raise PolicyFileError(f"{where}: {len(payload)} bytes of weights, the header describes {expected}")
    arrays: dict[str, np.ndarray] = {}
    offset = 0
    for name, shape in specs:
        count = int(np.prod(shape))
        arrays[name] = np.frombuffer(payload, dtype="<f4", count=count, offset=offset).reshape(shape).astype(np.float32)
        offset += 4 * count
    n_layers = sum(1 for name in arrays if name.endswith(".weight"))
    try:
        policy = PolicyFile(
            obs_mean=arrays["obs_mean"],
            obs_std=arrays["obs_std"],
            weights=tuple(arrays[f"layer{i}.weight"] for i in range(n_layers)),
            biases=tuple(arrays[f"layer{i}.bias"] for i in range(n_layers)),
            activation=activation,
            squash=squash,
            metadata=metadata,
        )
    except KeyError as err:
        raise PolicyFileError(f"{where}: missing array {err}") from err
    check_policy(policy, where)
    return policy


def load_policy(path: str | Path, obs_size: int | None = None, action_size: int | None = None) -> PolicyFile:
    """Read and verify a policy file (or the one in a model folder); with sizes given, check that it fits them."""
    path = Path(path)
    if path.is_dir():
        path = path / POLICY_FILENAME
    if not path.is_file():
        raise PolicyFileError(f"{path}: policy file not found")
    policy = policy_from_bytes(path.read_bytes(), str(path))
    if obs_size is not None or action_size is not None:
        check_compatible(policy, str(path), policy.obs_size if obs_size is None else obs_size,
                         policy.action_size if action_size is None else action_size)
    return policy

