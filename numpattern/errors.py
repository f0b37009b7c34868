"""Exceptions that carry a message meant for the person using the app or the CLI."""


class NumpatternError(ValueError):
    """Base class: the message says what is wrong, with which value, and what to do."""


class FormulaError(NumpatternError):
    """A formula could not be parsed, was rejected, or gave non-finite values."""


class DataError(NumpatternError):
    """A dataset or a data setting is invalid."""


class ConfigError(NumpatternError):
    """A model or training setting is outside its valid range."""


class TrainingDivergedError(NumpatternError):
    """The loss became NaN or infinite during training."""


class CheckpointError(NumpatternError):
    """A checkpoint could not be saved, found, or loaded safely."""
