"""The networks: a multilayer perceptron (MLP) built from a config, and a plain linear model."""

from __future__ import annotations

import itertools
import math
from dataclasses import asdict, dataclass
from typing import Any

import torch
from torch import nn

from numpattern.errors import ConfigError
from numpattern.limits import LIMITS, check_range

ACTIVATIONS: dict[str, type[nn.Module]] = {
    "relu": nn.ReLU,
    "tanh": nn.Tanh,
    "sigmoid": nn.Sigmoid,
    "gelu": nn.GELU,
}
MODEL_KINDS = ("mlp", "linear")
ACTIVATION_NAMES = {"relu": "ReLU", "tanh": "tanh", "sigmoid": "sigmoid", "gelu": "GELU"}


@dataclass(frozen=True)
class ModelConfig:
    """Shape of the network. ``kind="linear"`` ignores the hidden layers: y = a*x + b."""

    hidden_sizes: tuple[int, ...] = (10,)
    activation: str = "relu"
    kind: str = "mlp"

    def __post_init__(self) -> None:
        object.__setattr__(self, "hidden_sizes", tuple(self.hidden_sizes))
        if self.kind not in MODEL_KINDS:
            raise ConfigError(f"Unknown model kind {self.kind!r}. Choose one of: {', '.join(MODEL_KINDS)}.")
        if self.activation not in ACTIVATIONS:
            raise ConfigError(
                f"Unknown activation {self.activation!r}. Choose one of: {', '.join(ACTIVATIONS)}."
            )
        if self.kind == "mlp":
            if not self.hidden_sizes:
                raise ConfigError("An MLP needs at least one hidden layer; use kind 'linear' for none.")
            check_range("hidden_layers", len(self.hidden_sizes))
            for size in self.hidden_sizes:
                check_range("hidden_size", size)
            # check_range accepts 10.0 as a whole number, but nn.Linear needs an int.
            object.__setattr__(self, "hidden_sizes", tuple(int(size) for size in self.hidden_sizes))

    @property
    def layer_sizes(self) -> tuple[int, ...]:
        """Sizes from input to output, for example (1, 10, 1)."""
        hidden = self.hidden_sizes if self.kind == "mlp" else ()
        return (1, *hidden, 1)

    def describe(self) -> str:
        """Describe the network in plain words, for example "neural network, 1 hidden layer of 10 neurons, ReLU"."""
        if self.kind == "linear":
            return "straight-line model y = a·x + b"
        sizes = self.hidden_sizes
        activation = ACTIVATION_NAMES[self.activation]
        if len(sizes) == 1:
            return f"neural network, 1 hidden layer of {sizes[0]} neurons, {activation}"
        if len(set(sizes)) == 1:
            return f"neural network, {len(sizes)} hidden layers of {sizes[0]} neurons, {activation}"
        listed = ", ".join(str(size) for size in sizes[:-1]) + f" and {sizes[-1]}"
        return f"neural network, hidden layers of {listed} neurons, {activation}"

    def to_dict(self) -> dict[str, Any]:
        values = asdict(self)
        values["hidden_sizes"] = list(self.hidden_sizes)
        return values

    @classmethod
    def from_dict(cls, values: dict[str, Any]) -> ModelConfig:
        try:
            sizes = values.get("hidden_sizes", [])
            if not isinstance(sizes, list) or len(sizes) > LIMITS["hidden_layers"].maximum:
                raise ConfigError(f"hidden_sizes must be a short list of whole numbers, got {sizes!r}.")
            return cls(
                hidden_sizes=tuple(sizes),
                activation=str(values.get("activation", "relu")),
                kind=str(values.get("kind", "mlp")),
            )
        except (TypeError, AttributeError) as error:
            raise ConfigError(f"Invalid model config: {error}.") from None


def build_model(config: ModelConfig, seed: int = 0) -> nn.Sequential:
    """Build the network with weights drawn from a private generator seeded by ``seed``.

    A private generator keeps initialization reproducible even when several threads
    train at once, which the global torch RNG would not.
    """
    generator = torch.Generator().manual_seed(int(seed))
    sizes = config.layer_sizes
    layers: list[nn.Module] = []
    for index, (fan_in, fan_out) in enumerate(itertools.pairwise(sizes)):
        linear = nn.Linear(fan_in, fan_out)
        _init_linear(linear, generator)
        layers.append(linear)
        if index < len(sizes) - 2:
            layers.append(ACTIVATIONS[config.activation]())
    return nn.Sequential(*layers)


def _init_linear(linear: nn.Linear, generator: torch.Generator) -> None:
    # The same bounds as PyTorch's default nn.Linear init, drawn from our generator.
    bound = 1.0 / math.sqrt(linear.in_features)
    with torch.no_grad():
        linear.weight.uniform_(-bound, bound, generator=generator)
        linear.bias.uniform_(-bound, bound, generator=generator)


def count_parameters(model: nn.Module) -> int:
    return sum(parameter.numel() for parameter in model.parameters())
