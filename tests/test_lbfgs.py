"""L-BFGS on functions with known minima: convergence, the stopping rules and the line search."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest

from numpattern.lbfgs import LBFGS, LBFGSSettings


def quadratic(scales: np.ndarray, center: np.ndarray):
    """f(p) = Σ scales · (p - center)², minimum 0 at ``center``."""

    def objective(parameters: np.ndarray) -> tuple[float, np.ndarray]:
        difference = parameters - center
        return float(np.sum(scales * difference**2)), 2 * scales * difference

    return objective


def rosenbrock(parameters: np.ndarray) -> tuple[float, np.ndarray]:
    a, b = parameters
    loss = (1 - a) ** 2 + 100 * (b - a * a) ** 2
    gradient = np.array([-2 * (1 - a) - 400 * a * (b - a * a), 200 * (b - a * a)])
    return float(loss), gradient


def run(optimizer: LBFGS, max_iterations: int) -> int:
    iterations = 0
    while not optimizer.converged and iterations < max_iterations:
        optimizer.iterate()
        iterations += 1
    return iterations


def test_lbfgs_ill_conditioned_quadratic_reaches_center():
    center = np.array([1.0, -2.0, 3.0, 0.5])
    optimizer = LBFGS(quadratic(np.array([1.0, 10.0, 100.0, 1000.0]), center), np.zeros(4))

    iterations = run(optimizer, 200)

    assert optimizer.converged
    assert iterations < 50
    np.testing.assert_allclose(optimizer.parameters, center, atol=1e-6)


def test_lbfgs_rosenbrock_reaches_minimum():
    optimizer = LBFGS(rosenbrock, np.array([-1.2, 1.0]), LBFGSSettings(stall_tolerance=0.0))

    run(optimizer, 500)

    assert optimizer.converged
    np.testing.assert_allclose(optimizer.parameters, [1.0, 1.0], atol=1e-4)


def test_lbfgs_iterate_returns_start_loss():
    optimizer = LBFGS(rosenbrock, np.array([-1.2, 1.0]))
    losses = [optimizer.loss]  # 24.2

    for _ in range(20):
        before = optimizer.loss
        assert optimizer.iterate() == before
        losses.append(optimizer.loss)

    assert all(later <= earlier for earlier, later in itertools.pairwise(losses))
    assert losses[-1] < losses[0] / 50


def test_lbfgs_leaves_objective_at_accepted_parameters():
    visited = []

    def objective(parameters: np.ndarray) -> tuple[float, np.ndarray]:
        visited.append(parameters.copy())
        return rosenbrock(parameters)

    optimizer = LBFGS(objective, np.array([-1.2, 1.0]))
    for _ in range(10):
        optimizer.iterate()
        np.testing.assert_array_equal(visited[-1], optimizer.parameters)


def test_lbfgs_zero_gradient_converges_without_moving():
    optimizer = LBFGS(quadratic(np.ones(3), np.zeros(3)), np.zeros(3))

    loss = optimizer.iterate()

    assert loss == 0.0
    assert optimizer.converged
    np.testing.assert_array_equal(optimizer.parameters, np.zeros(3))


def test_lbfgs_stalled_loss_converges():
    # Each iteration gains far less than 0.1 % of the loss: stop after the stall window.
    def objective(parameters: np.ndarray) -> tuple[float, np.ndarray]:
        return 1.0 + 1e-9 * float(parameters @ parameters), 2e-9 * parameters

    settings = LBFGSSettings(stall_iterations=3, stall_tolerance=1e-3, gradient_tolerance=0.0)
    optimizer = LBFGS(objective, np.ones(2), settings)

    iterations = run(optimizer, 100)

    assert optimizer.converged
    assert iterations == 3


def test_lbfgs_rejects_non_finite_trial_points():
    # The loss is infinite beyond p = 1, where the unconstrained minimum at 3 lies.
    def objective(parameters: np.ndarray) -> tuple[float, np.ndarray]:
        if parameters[0] > 1.0:
            return math.inf, np.array([math.nan])
        return float((parameters[0] - 3.0) ** 2), 2 * (parameters - 3.0)

    optimizer = LBFGS(objective, np.array([0.0]), LBFGSSettings(initial_step=100.0))

    run(optimizer, 50)

    assert math.isfinite(optimizer.loss)
    assert 0.0 < optimizer.parameters[0] <= 1.0


def test_lbfgs_no_lower_loss_converges_at_start():
    # The gradient points the wrong way, so no step along -gradient lowers the loss.
    def objective(parameters: np.ndarray) -> tuple[float, np.ndarray]:
        return float(parameters[0] ** 2), -2 * parameters

    optimizer = LBFGS(objective, np.array([1.0]), LBFGSSettings(max_line_search_evaluations=8))

    optimizer.iterate()

    assert optimizer.converged
    np.testing.assert_array_equal(optimizer.parameters, [1.0])
    assert optimizer.loss == 1.0


@pytest.mark.parametrize("initial_step", [1e-3, 1.0, 30.0])
def test_lbfgs_initial_step_only_changes_the_path(initial_step):
    center = np.array([2.0, -1.0])
    optimizer = LBFGS(quadratic(np.array([1.0, 5.0]), center), np.zeros(2), LBFGSSettings(initial_step=initial_step))

    run(optimizer, 200)

    np.testing.assert_allclose(optimizer.parameters, center, atol=1e-5)
