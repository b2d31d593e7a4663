"""The portable policy file: round trip, NumPy/JAX agreement, and clear errors for bad files."""

from __future__ import annotations

import hashlib
import json
import struct

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from walker.policy import (
    MAGIC,
    POLICY_FILENAME,
    PolicyFile,
    PolicyFileError,
    apply,
    load_policy,
    policy_from_bytes,
    policy_to_bytes,
    pre_squash,
    save_policy,
)


def random_policy(seed: int = 0, sizes=(18, 64, 64, 3), activation: str = "tanh") -> PolicyFile:
    rng = np.random.default_rng(seed)
    return PolicyFile(
        obs_mean=rng.normal(size=sizes[0]).astype(np.float32),
        obs_std=rng.uniform(0.1, 3.0, sizes[0]).astype(np.float32),
        weights=tuple((rng.normal(size=(i, o)) / np.sqrt(i)).astype(np.float32) for i, o in zip(sizes[:-1], sizes[1:])),
        biases=tuple(rng.normal(scale=0.1, size=o).astype(np.float32) for o in sizes[1:]),
        activation=activation,
        metadata={"source": "test"},
    )


def _resealed(data: bytes, edit) -> bytes:
    """Edit the header JSON and recompute the checksum (a well-formed file with different content)."""
    (n,) = struct.unpack("<I", data[len(MAGIC) : len(MAGIC) + 4])
    start = len(MAGIC) + 4
    header = json.loads(data[start : start + n])
    edit(header)
    head = json.dumps(header, sort_keys=True, separators=(",", ":")).encode()
    body = MAGIC + struct.pack("<I", len(head)) + head + data[start + n : -32]
    return body + hashlib.sha256(body).digest()


@pytest.mark.parametrize("activation", ["tanh", "relu", "swish", "elu"])
def test_round_trip_same_actions_in_numpy_and_jax(tmp_path, activation):
    policy = random_policy(1, activation=activation)
    save_policy(policy, tmp_path / "m" / POLICY_FILENAME)
    loaded = load_policy(tmp_path / "m")  # a model folder resolves to its policy file
    for a, b in zip([policy.obs_mean, *policy.weights, *policy.biases], [loaded.obs_mean, *loaded.weights, *loaded.biases]):
        np.testing.assert_array_equal(a, b)
    assert loaded.metadata == {"source": "test"} and loaded.activation == activation
    obs = np.random.default_rng(2).normal(size=(256, 18)).astype(np.float32) * 3
    batched_jax = np.asarray(jax.jit(lambda o: apply(loaded, o, jnp))(obs))
    one_at_a_time = np.stack([apply(loaded, o, np) for o in obs])
    assert one_at_a_time.dtype == np.float32
    np.testing.assert_allclose(batched_jax, one_at_a_time, atol=1e-5)
    np.testing.assert_allclose(apply(policy, obs, np), one_at_a_time, atol=1e-6)
    assert np.abs(one_at_a_time).max() <= 1.0 and one_at_a_time.std() > 0.05


def test_serialisation_is_deterministic():
    assert policy_to_bytes(random_policy(3)) == policy_to_bytes(random_policy(3))
    assert policy_to_bytes(random_policy(3)) != policy_to_bytes(random_policy(4))


def test_learned_policy_matches_the_file():
    from walker.rollout import learned_policy

    policy = random_policy(5)
    runner = learned_policy(policy)
    obs = np.random.default_rng(6).normal(size=(8, 18)).astype(np.float32)
    _, action = jax.jit(jax.vmap(runner.step, in_axes=(None, None, 0)))(runner.params, (), obs)
    np.testing.assert_allclose(np.asarray(action), apply(policy, obs, np), atol=1e-5)


def test_missing_file(tmp_path):
    with pytest.raises(PolicyFileError, match=r"nothere\.walker: policy file not found"):
        load_policy(tmp_path / "nothere.walker")


def test_not_a_policy_file(tmp_path):
    path = tmp_path / "notes.walker"
    path.write_text("these are not weights, but long enough to pass the length check easily")
    with pytest.raises(PolicyFileError, match=r"notes\.walker: not a walker policy file"):
        load_policy(path)


def test_truncated_file(tmp_path):
    path = tmp_path / "cut.walker"
    path.write_bytes(policy_to_bytes(random_policy())[:-100])
    with pytest.raises(PolicyFileError, match=r"cut\.walker: checksum mismatch; the file is truncated or corrupt"):
        load_policy(path)


def test_corrupt_byte(tmp_path):
    data = bytearray(policy_to_bytes(random_policy()))
    data[len(data) // 2] ^= 0xFF
    path = tmp_path / "flip.walker"
    path.write_bytes(bytes(data))
    with pytest.raises(PolicyFileError, match=r"flip\.walker: checksum mismatch"):
        load_policy(path)


def test_unknown_version():
    data = _resealed(policy_to_bytes(random_policy()), lambda h: h.update(format_version=7))
    with pytest.raises(PolicyFileError, match=r"here: unknown format version 7; this walker reads version 1"):
        policy_from_bytes(data, "here")


def test_header_and_weights_disagree():
    def grow(h):
        h["arrays"][2]["shape"] = [18, 65]

    with pytest.raises(PolicyFileError, match=r"bytes of weights, the header describes"):
        policy_from_bytes(_resealed(policy_to_bytes(random_policy()), grow), "here")


def test_wrong_observation_size(tmp_path):
    path = tmp_path / "small.walker"
    save_policy(random_policy(sizes=(17, 8, 3)), path)
    with pytest.raises(PolicyFileError, match=r"small\.walker: policy expects observations of size 17, this body's have 18"):
        load_policy(path, 18, 3)
    assert load_policy(path).obs_size == 17  # the file itself is fine: only a body's sizes can reject it


def test_wrong_action_size(tmp_path):
    path = tmp_path / "four.walker"
    save_policy(random_policy(sizes=(18, 8, 4)), path)
    with pytest.raises(PolicyFileError, match=r"four\.walker: policy outputs 4 actions, this body takes 3"):
        load_policy(path, 18, 3)


def test_refuses_to_save_non_finite_weights(tmp_path):
    policy = random_policy()
    policy.weights[0][0, 0] = np.nan
    with pytest.raises(PolicyFileError, match="NaN or infinite"):
        save_policy(policy, tmp_path / "nan.walker")
    assert not (tmp_path / "nan.walker").exists()


def test_inconsistent_layers():
    policy = random_policy()
    bad = PolicyFile(policy.obs_mean, policy.obs_std, policy.weights[:2] + (policy.weights[1],), policy.biases)
    with pytest.raises(PolicyFileError, match=r"layer 2 has weight \(64, 64\)"):
        policy_to_bytes(bad)


def test_clip_squash_round_trips_and_clips_in_numpy_and_jax(tmp_path):
    """squash='clip' (the SB3 peer's policies): the Gaussian mean clipped to [-1, 1], the same in NumPy and JAX."""
    import dataclasses

    import jax.numpy as jnp

    policy = dataclasses.replace(random_policy(5), squash="clip")
    policy = dataclasses.replace(policy, biases=policy.biases[:-1] + (policy.biases[-1] + np.array([3.0, -3.0, 0.0], np.float32),))
    save_policy(policy, tmp_path / POLICY_FILENAME)
    loaded = load_policy(tmp_path)
    assert loaded.squash == "clip"
    obs = np.random.default_rng(1).normal(size=(32, 18)).astype(np.float32)
    pre = pre_squash(loaded, obs, np)
    np.testing.assert_array_equal(apply(loaded, obs, np), np.clip(pre, -1.0, 1.0))
    assert (apply(loaded, obs, np)[:, 0] == 1.0).any() and (apply(loaded, obs, np)[:, 1] == -1.0).any()
    np.testing.assert_allclose(np.asarray(apply(loaded, jnp.asarray(obs), jnp)), apply(loaded, obs, np), atol=1e-5)
