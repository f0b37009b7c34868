"""Adam and SGD on flat buffers against torch.optim, step by step on the same gradients."""

from __future__ import annotations

import copy

import pytest
import torch

from numpattern.fast_mlp import FlatMLP
from numpattern.flat_optimizers import Adam, SGDMomentum
from numpattern.model import ModelConfig, build_model
from numpattern.training import mse_loss

STEPS = 300


def train_both(flat_optimizer, torch_optimizer, learning_rate: float):
    model = build_model(ModelConfig(hidden_sizes=(10,), activation="tanh"), seed=1)
    reference = copy.deepcopy(model)
    generator = torch.Generator().manual_seed(0)
    x = torch.randn(100, 1, generator=generator)
    y = torch.sin(3 * x)

    network = FlatMLP(model)
    optimizer = flat_optimizer(network.parameters, learning_rate)
    reference_optimizer = torch_optimizer(reference.parameters(), learning_rate)
    for _ in range(STEPS):
        network.loss_and_gradient(x, y)
        optimizer.step(network.gradient)

        reference_optimizer.zero_grad()
        mse_loss(reference(x), y).backward()
        reference_optimizer.step()
    return model, reference


@pytest.mark.parametrize(
    ("flat_optimizer", "torch_optimizer", "learning_rate"),
    [
        (Adam, lambda parameters, lr: torch.optim.Adam(parameters, lr=lr), 0.01),
        (SGDMomentum, lambda parameters, lr: torch.optim.SGD(parameters, lr=lr, momentum=0.9), 0.05),
    ],
    ids=["adam", "sgd"],
)
def test_flat_optimizer_matches_torch_optim(flat_optimizer, torch_optimizer, learning_rate):
    initial = build_model(ModelConfig(hidden_sizes=(10,), activation="tanh"), seed=1)

    model, reference = train_both(flat_optimizer, torch_optimizer, learning_rate)

    for parameter, expected, start in zip(model.parameters(), reference.parameters(), initial.parameters()):
        assert (expected - start).abs().max() > 1e-2  # training moved it, so the comparison means something
        torch.testing.assert_close(parameter.detach(), expected.detach(), atol=1e-5, rtol=1e-4)


def test_adam_first_step_moves_each_parameter_by_learning_rate():
    # With bias correction, Adam's first step is lr · sign(gradient) up to eps.
    parameters = torch.zeros(4)
    gradient = torch.tensor([3.0, -0.5, 1e-3, -20.0])

    Adam(parameters, learning_rate=0.1).step(gradient)

    torch.testing.assert_close(parameters, torch.tensor([-0.1, 0.1, -0.1, 0.1]), atol=1e-5, rtol=0)


def test_sgd_momentum_accumulates_velocity():
    parameters = torch.zeros(1)
    optimizer = SGDMomentum(parameters, learning_rate=0.1, momentum=0.5)

    optimizer.step(torch.tensor([1.0]))  # velocity 1
    optimizer.step(torch.tensor([1.0]))  # velocity 0.5 · 1 + 1 = 1.5

    torch.testing.assert_close(parameters, torch.tensor([-0.25]))
