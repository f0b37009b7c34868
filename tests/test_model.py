"""Model configs and networks: validation, layer layout, parameter counts and seeded initialization."""

from __future__ import annotations

import math

import pytest
import torch
from torch import nn

from numpattern.errors import ConfigError
from numpattern.model import ACTIVATIONS, ModelConfig, build_model, count_parameters


@pytest.mark.parametrize(
    ("config", "layer_sizes", "parameters"),
    [
        (ModelConfig(), (1, 10, 1), 2 * 10 + 10 + 1),
        (ModelConfig(hidden_sizes=(32, 32)), (1, 32, 32, 1), (1 * 32 + 32) + (32 * 32 + 32) + (32 + 1)),
        (ModelConfig(hidden_sizes=[4, 3, 2, 1]), (1, 4, 3, 2, 1, 1), 8 + 15 + 8 + 3 + 2),
        (ModelConfig(kind="linear", hidden_sizes=()), (1, 1), 2),
        (ModelConfig(kind="linear", hidden_sizes=(64,)), (1, 1), 2),
    ],
)
def test_model_layer_sizes_and_parameter_count(config, layer_sizes, parameters):
    model = build_model(config)

    assert config.layer_sizes == layer_sizes
    assert count_parameters(model) == parameters


@pytest.mark.parametrize("activation", sorted(ACTIVATIONS))
def test_model_activation_between_linear_layers(activation):
    model = build_model(ModelConfig(hidden_sizes=(5, 5), activation=activation))

    kinds = [type(layer) for layer in model]
    activation_class = ACTIVATIONS[activation]
    assert kinds == [nn.Linear, activation_class, nn.Linear, activation_class, nn.Linear]


def test_model_linear_has_no_activation():
    model = build_model(ModelConfig(kind="linear", hidden_sizes=()))

    assert [type(layer) for layer in model] == [nn.Linear]


@pytest.mark.parametrize("activation", sorted(ACTIVATIONS))
def test_model_forward_keeps_column_shape(activation):
    model = build_model(ModelConfig(hidden_sizes=(6,), activation=activation))

    output = model(torch.linspace(-3, 3, 17).reshape(-1, 1))

    assert output.shape == (17, 1)
    assert torch.isfinite(output).all()


def test_model_same_seed_same_weights():
    first = build_model(ModelConfig(hidden_sizes=(16, 16)), seed=3)
    second = build_model(ModelConfig(hidden_sizes=(16, 16)), seed=3)

    for (name, a), (_, b) in zip(first.state_dict().items(), second.state_dict().items()):
        assert torch.equal(a, b), name


def test_model_other_seed_other_weights():
    first = build_model(ModelConfig(), seed=0)
    second = build_model(ModelConfig(), seed=1)

    assert not torch.equal(first[0].weight, second[0].weight)


def test_model_seed_ignores_global_generator():
    torch.manual_seed(123)
    first = build_model(ModelConfig(), seed=0)
    torch.manual_seed(456)
    second = build_model(ModelConfig(), seed=0)

    assert torch.equal(first[0].weight, second[0].weight)


def test_model_init_inside_default_bounds():
    model = build_model(ModelConfig(hidden_sizes=(100,)), seed=0)

    first_bound = 1.0 / math.sqrt(1)
    second_bound = 1.0 / math.sqrt(100)
    assert model[0].weight.abs().max() <= first_bound
    assert model[2].weight.abs().max() <= second_bound
    assert model[2].bias.abs().max() <= second_bound


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        ({"kind": "cnn"}, "Unknown model kind 'cnn'. Choose one of: mlp, linear"),
        ({"activation": "swish"}, "Unknown activation 'swish'. Choose one of: relu, tanh, sigmoid, gelu"),
        ({"hidden_sizes": ()}, "An MLP needs at least one hidden layer; use kind 'linear' for none"),
        ({"hidden_sizes": (8,) * 5}, "Number of hidden layers must be between 0 and 4. You gave 5."),
        ({"hidden_sizes": (0,)}, "Hidden layer width must be between 1 and 256. You gave 0."),
        ({"hidden_sizes": (257,)}, "Hidden layer width must be between 1 and 256. You gave 257."),
        ({"hidden_sizes": (2.5,)}, "Hidden layer width must be a whole number between 1 and 256. You gave 2.5."),
        ({"hidden_sizes": ("10",)}, "Hidden layer width must be a whole number between 1 and 256. You gave '10'."),
        ({"hidden_sizes": (True,)}, "Hidden layer width must be a whole number between 1 and 256. You gave True."),
    ],
)
def test_model_config_invalid_rejected(arguments, message):
    with pytest.raises(ConfigError, match=message):
        ModelConfig(**arguments)


def test_model_config_whole_float_width_builds():
    config = ModelConfig(hidden_sizes=(10.0,))

    model = build_model(config)

    assert config.hidden_sizes == (10,)
    assert count_parameters(model) == 31


@pytest.mark.parametrize(
    "config",
    [ModelConfig(), ModelConfig(hidden_sizes=(64, 64), activation="tanh"), ModelConfig(kind="linear", hidden_sizes=())],
)
def test_model_config_dict_round_trip(config):
    values = config.to_dict()

    assert values["hidden_sizes"] == list(config.hidden_sizes)
    assert ModelConfig.from_dict(values) == config


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"hidden_sizes": "10"}, "hidden_sizes must be a short list of whole numbers, got '10'"),
        ({"hidden_sizes": [1] * 100}, "hidden_sizes must be a short list"),
        ({"hidden_sizes": [10], "kind": "transformer"}, "Unknown model kind 'transformer'"),
        ({"hidden_sizes": [None]}, "Hidden layer width must be a whole number between 1 and 256. You gave None."),
    ],
)
def test_model_config_from_dict_invalid_rejected(values, message):
    with pytest.raises(ConfigError, match=message):
        ModelConfig.from_dict(values)


@pytest.mark.parametrize(
    ("config", "text"),
    [
        (ModelConfig(), "neural network, 1 hidden layer of 10 neurons, ReLU"),
        (ModelConfig(hidden_sizes=(64, 64), activation="tanh"), "neural network, 2 hidden layers of 64 neurons, tanh"),
        (ModelConfig(hidden_sizes=(32, 16, 8), activation="gelu"), "neural network, hidden layers of 32, 16 and 8 neurons, GELU"),
        (ModelConfig(kind="linear", hidden_sizes=()), "straight-line model y = a·x + b"),
    ],
)
def test_model_config_describe(config, text):
    assert config.describe() == text
