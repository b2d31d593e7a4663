"""Errors shared by the training stages."""


class TrainingDiverged(RuntimeError):
    """A loss, observation or parameter became NaN or infinite; the message says what and when."""
