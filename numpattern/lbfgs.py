"""L-BFGS on a flat float64 parameter vector, one iteration per call, with a weak Wolfe line search."""

from __future__ import annotations

import logging
import math
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

logger = logging.getLogger(__name__)

# Returns the loss and its gradient at the given parameters, and leaves the model there.
Objective = Callable[[np.ndarray], tuple[float, np.ndarray]]


@dataclass(frozen=True)
class LBFGSSettings:
    """Settings of the L-BFGS iterations.

    ``initial_step`` scales the first trial step of every line search, where 1 is the
    full quasi-Newton step, and the line search doubles or halves it from there. An
    iteration without curvature information (the first, or one after a reset) also
    divides its trial step by the sum of the absolute gradient entries when that exceeds 1.
    A run has converged when the largest gradient entry is at most ``gradient_tolerance``,
    when the last ``stall_iterations`` iterations together lowered the loss by less than
    ``stall_tolerance`` times the loss, or when the line search finds no lower loss at all.
    """

    history_size: int = 10
    initial_step: float = 1.0
    max_line_search_evaluations: int = 25
    gradient_tolerance: float = 1e-7
    stall_iterations: int = 10
    stall_tolerance: float = 1e-4
    # Armijo (sufficient decrease) and curvature constants of the weak Wolfe conditions.
    sufficient_decrease: float = 1e-4
    curvature: float = 0.9


class LBFGS:
    """Minimize ``objective`` from ``start``; call ``iterate`` once per epoch."""

    def __init__(self, objective: Objective, start: np.ndarray, settings: LBFGSSettings = LBFGSSettings()) -> None:
        self.objective = objective
        self.settings = settings
        self.parameters = np.array(start, dtype=np.float64)
        self.loss, self.gradient = objective(self.parameters)
        self.converged = False
        # Curvature pairs (s, y, 1 / s·y), oldest first.
        self._history: deque[tuple[np.ndarray, np.ndarray, float]] = deque(maxlen=settings.history_size)
        self._recent_losses: deque[float] = deque([self.loss], maxlen=settings.stall_iterations + 1)

    def iterate(self) -> float:
        """Run one iteration and return the loss at its start (the loss of the weights it began with)."""
        start_loss = self.loss
        if self.converged:
            return start_loss
        if float(np.max(np.abs(self.gradient))) <= self.settings.gradient_tolerance:
            self.converged = True
            return start_loss

        # Direction: the two-loop recursion; fall back to steepest descent if it does not descend.
        direction = self._direction()
        slope = float(direction @ self.gradient)
        if not slope < 0.0:
            self._history.clear()
            direction = -self.gradient
            slope = -float(self.gradient @ self.gradient)
        first_step = self.settings.initial_step
        if not self._history:
            # Without curvature information the scale of a good step is unknown, so start small.
            first_step *= min(1.0, 1.0 / float(np.sum(np.abs(self.gradient))))

        # Line search, then remember the step as a curvature pair.
        found = self._line_search(direction, slope, first_step)
        if found is None:
            logger.debug("L-BFGS line search found no lower loss; stopping at loss %.3e", start_loss)
            self.objective(self.parameters)
            self.converged = True
            return start_loss
        step, loss, gradient = found
        change = step * direction
        gradient_change = gradient - self.gradient
        curvature = float(change @ gradient_change)
        if curvature > 1e-12 * float(gradient_change @ gradient_change):
            self._history.append((change, gradient_change, 1.0 / curvature))
        self.parameters = self.parameters + change
        self.gradient = gradient
        self.loss = loss
        self._recent_losses.append(loss)
        if len(self._recent_losses) == self._recent_losses.maxlen:
            earlier = self._recent_losses[0]
            self.converged = earlier - loss <= self.settings.stall_tolerance * abs(earlier)
        return start_loss

    def _direction(self) -> np.ndarray:
        q = self.gradient.copy()
        alphas = []
        for change, gradient_change, rho in reversed(self._history):
            alpha = rho * float(change @ q)
            q -= alpha * gradient_change
            alphas.append(alpha)
        if self._history:
            change, gradient_change, rho = self._history[-1]
            # Scale of the initial inverse Hessian: s·y / y·y of the newest pair.
            q *= 1.0 / (rho * float(gradient_change @ gradient_change))
        for (change, gradient_change, rho), alpha in zip(self._history, reversed(alphas)):
            beta = rho * float(gradient_change @ q)
            q += (alpha - beta) * change
        return -q

    def _line_search(
        self, direction: np.ndarray, slope: float, step: float
    ) -> tuple[float, float, np.ndarray] | None:
        """Find a step meeting the weak Wolfe conditions by doubling and bisection.

        Returns (step, loss, gradient), or None when no step lowers the loss. When the
        evaluations run out, the last step with sufficient decrease is returned.
        """
        settings = self.settings
        lower, upper = 0.0, math.inf
        acceptable: tuple[float, float, np.ndarray] | None = None
        for _ in range(settings.max_line_search_evaluations):
            loss, gradient = self.objective(self.parameters + step * direction)
            if not math.isfinite(loss) or loss > self.loss + settings.sufficient_decrease * step * slope:
                upper = step
            elif float(gradient @ direction) < settings.curvature * slope:
                lower = step
                acceptable = (step, loss, gradient)
            else:
                return step, loss, gradient
            step = 0.5 * (lower + upper) if math.isfinite(upper) else 2.0 * step
        if acceptable is not None:
            self.objective(self.parameters + acceptable[0] * direction)
        return acceptable
