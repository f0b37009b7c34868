"""FlatMLP: hand-written loss and gradients against torch autograd, the flat buffer shared
with the model, and the rejection of models it cannot handle."""

from __future__ import annotations

import copy

import pytest
import safetensors.torch
import torch
from torch import nn

from numpattern.fast_mlp import FlatMLP
from numpattern.model import ACTIVATIONS, ModelConfig, build_model
from numpattern.training import mse_loss

ARCHITECTURES = [(10,), (7, 5, 3), (64, 64)]


def random_data(n_rows: int, seed: int) -> tuple[torch.Tensor, torch.Tensor]:
    generator = torch.Generator().manual_seed(seed)
    return torch.randn(n_rows, 1, generator=generator) * 2, torch.randn(n_rows, 1, generator=generator)


def autograd_loss_and_gradient(model: nn.Module, x: torch.Tensor, y: torch.Tensor) -> tuple[float, torch.Tensor]:
    reference = copy.deepcopy(model)
    loss = mse_loss(reference(x), y)
    loss.backward()
    return loss.item(), torch.cat([parameter.grad.reshape(-1) for parameter in reference.parameters()])


@pytest.mark.parametrize("hidden_sizes", ARCHITECTURES, ids=str)
@pytest.mark.parametrize("activation", sorted(ACTIVATIONS))
def test_flat_mlp_gradient_matches_autograd(activation, hidden_sizes):
    model = build_model(ModelConfig(hidden_sizes=hidden_sizes, activation=activation), seed=3)
    x, y = random_data(50, seed=4)
    expected_loss, expected_gradient = autograd_loss_and_gradient(model, x, y)

    network = FlatMLP(model)
    loss = network.loss_and_gradient(x, y)

    assert loss == pytest.approx(expected_loss, rel=1e-5)
    scale = expected_gradient.abs().max().item()
    torch.testing.assert_close(network.gradient, expected_gradient, atol=1e-6 * max(scale, 1.0), rtol=1e-4)


def test_flat_mlp_linear_model_gradient_matches_autograd():
    model = build_model(ModelConfig(kind="linear", hidden_sizes=()), seed=0)
    x, y = random_data(30, seed=1)
    expected_loss, expected_gradient = autograd_loss_and_gradient(model, x, y)

    network = FlatMLP(model)

    assert network.loss_and_gradient(x, y) == pytest.approx(expected_loss, rel=1e-6)
    torch.testing.assert_close(network.gradient, expected_gradient)


@pytest.mark.parametrize("activation", sorted(ACTIVATIONS))
def test_flat_mlp_backward_over_first_rows_ignores_the_rest(activation):
    model = build_model(ModelConfig(hidden_sizes=(6, 4), activation=activation), seed=2)
    x, y = random_data(40, seed=5)
    expected_loss, expected_gradient = autograd_loss_and_gradient(model, x[:25], y[:25])

    network = FlatMLP(model)
    residual = network.residual(x, y)
    train_part = residual[:25].reshape(-1)
    loss = torch.dot(train_part, train_part).item() / 25
    network.backward(x, 25)

    assert loss == pytest.approx(expected_loss, rel=1e-5)
    torch.testing.assert_close(network.gradient, expected_gradient, atol=1e-6, rtol=1e-4)


@pytest.mark.parametrize("activation", sorted(ACTIVATIONS))
def test_flat_mlp_loss_matches_model_forward(activation):
    model = build_model(ModelConfig(hidden_sizes=(9,), activation=activation), seed=6)
    x, y = random_data(20, seed=7)

    network = FlatMLP(model)

    with torch.no_grad():
        expected = mse_loss(model(x), y).item()
    assert network.loss(x, y) == pytest.approx(expected, rel=1e-6)


def test_flat_mlp_buffer_updates_reach_model():
    model = build_model(ModelConfig(hidden_sizes=(4,)), seed=0)
    network = FlatMLP(model)

    network.parameters.add_(1.0)

    first_weight = model[0].weight
    assert torch.equal(first_weight.reshape(-1), network.parameters[: first_weight.numel()])


def test_flat_mlp_keeps_initial_weights():
    model = build_model(ModelConfig(hidden_sizes=(4, 3)), seed=0)
    before = {name: value.clone() for name, value in model.state_dict().items()}

    FlatMLP(model)

    for name, value in model.state_dict().items():
        assert torch.equal(value, before[name]), name


def test_flat_mlp_release_gives_separate_storage(tmp_path):
    model = build_model(ModelConfig(hidden_sizes=(4,)), seed=0)
    network = FlatMLP(model)
    network.parameters.fill_(0.5)

    network.release()
    network.parameters.fill_(2.0)

    assert all(torch.all(parameter == 0.5) for parameter in model.parameters())
    # safetensors refuses tensors that share memory, so this fails without release().
    safetensors.torch.save_file(model.state_dict(), tmp_path / "weights.safetensors")


def test_flat_mlp_load_state_dict_writes_into_buffer():
    model = build_model(ModelConfig(hidden_sizes=(4,)), seed=0)
    other = build_model(ModelConfig(hidden_sizes=(4,)), seed=1)
    network = FlatMLP(model)

    model.load_state_dict(other.state_dict())

    expected = torch.cat([parameter.detach().reshape(-1) for parameter in other.parameters()])
    assert torch.equal(network.parameters, expected)


@pytest.mark.parametrize(
    ("model", "message"),
    [
        (nn.Sequential(nn.Linear(1, 4), nn.ReLU(), nn.ReLU(), nn.Linear(4, 1)), "got ReLU at position 2"),
        (nn.Sequential(nn.Linear(1, 4), nn.ELU(), nn.Linear(4, 1)), "got ELU at position 1"),
        (nn.Sequential(nn.Linear(1, 4), nn.ReLU()), "starts and ends with a Linear layer"),
        (nn.Sequential(nn.Linear(2, 4), nn.ReLU(), nn.Linear(4, 1)), "one input and one output"),
        (nn.Sequential(nn.Linear(1, 4, bias=False), nn.ReLU(), nn.Linear(4, 1)), "got Linear at position 0"),
        (nn.Sequential(nn.Linear(1, 4), nn.GELU(approximate="tanh"), nn.Linear(4, 1)), "only the exact GELU"),
    ],
    ids=["two-activations", "unknown-activation", "ends-with-activation", "two-inputs", "no-bias", "tanh-gelu"],
)
def test_flat_mlp_unsupported_model_raises(model, message):
    with pytest.raises(TypeError, match=message):
        FlatMLP(model)
