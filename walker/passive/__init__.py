"""The planar passive-dynamic biped: everything specific to this body.

``assets/walker.xml`` (the MJCF), :mod:`~walker.passive.model` (loading it,
its joint layout), :mod:`~walker.passive.task` (observation, reward,
termination, written once for NumPy and JAX), :mod:`~walker.passive.fsm` and
:mod:`~walker.passive.expert` (the FSM expert), :mod:`~walker.passive.system`
(the cached Brax System), :mod:`~walker.passive.env` (the MJX env) and
:mod:`~walker.passive.native` (the gymnasium env), with
:mod:`~walker.passive.brax_env` (the same env on Brax's own pipelines, ``assets/walker_brax.xml``)
and :mod:`~walker.passive.backends` (``make_env``: the env ``walker.backend`` names). A second body is a sibling
folder with the same parts; the shared machinery (policy file, rollout,
protocol, BC, DAgger, PPO, stages, report) takes the body's env as an argument.
"""
