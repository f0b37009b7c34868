"""Hand-written forward and backward passes of the MLP on one flat parameter buffer.

Autograd and ``torch.optim`` spend a few microseconds of Python and dispatch work per
operation, which is most of the run time of the small networks trained here. This module
computes the same loss and gradients with preallocated buffers and no autograd graph.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import NamedTuple

import torch
from torch import nn

_ACTIVATION_NAMES: dict[type[nn.Module], str] = {
    nn.ReLU: "relu",
    nn.Tanh: "tanh",
    nn.Sigmoid: "sigmoid",
    nn.GELU: "gelu",
}
_INVERSE_SQRT_2PI = 1.0 / math.sqrt(2.0 * math.pi)


@dataclass(frozen=True)
class _Layer:
    """One nn.Linear layer as views into the flat parameter and gradient buffers."""

    weight: torch.Tensor  # (out, in)
    weight_t: torch.Tensor  # (in, out), a transposed view of weight
    bias: torch.Tensor  # (out,)
    weight_gradient: torch.Tensor  # (out, in)
    bias_gradient: torch.Tensor  # (out,)
    activation: str | None  # None for the output layer


class _ForwardStep(NamedTuple):
    product: Callable[..., torch.Tensor]  # addmm, or addcmul when the layer has one input
    bias: torch.Tensor
    weight_t: torch.Tensor
    output: torch.Tensor  # z = inputs @ weight_t + bias, (N, out)
    activate: Callable[[torch.Tensor, torch.Tensor], None] | None  # None for the output layer
    activation: torch.Tensor  # a = f(z), the next layer's inputs; z itself for the output layer


class _BackwardStep(NamedTuple):
    delta_t: torch.Tensor  # (out, N), transposed view of delta
    inputs: torch.Tensor | None  # (N, in); None for the first layer, whose inputs are x
    weight_gradient: torch.Tensor
    delta: torch.Tensor  # dLoss/dz of this layer, (N, out)
    bias_gradient: torch.Tensor
    # The rest walks back to the layer below; all None for the first layer.
    walk_back: Callable[..., torch.Tensor] | None  # mm, or mul when the layer has one output
    weight: torch.Tensor | None
    previous: torch.Tensor | None  # dLoss/dz of the layer below, (N, in)
    activation_backward: Callable[..., None] | None
    z: torch.Tensor | None  # of the layer below
    a: torch.Tensor | None  # of the layer below
    scratch: torch.Tensor | None


class _Forward:
    """Buffers and steps of the forward pass for one number of rows, reused every epoch."""

    def __init__(self, n_rows: int, layers: list[_Layer]) -> None:
        # Outputs z of every layer, (N, out). ReLU, tanh and sigmoid overwrite z with
        # a = f(z) because their derivatives need only a. GELU keeps z beside a.
        self.outputs = [torch.empty(n_rows, layer.weight.shape[0]) for layer in layers]
        self.activations = [
            torch.empty_like(output) if layer.activation == "gelu" else output
            for layer, output in zip(layers, self.outputs)
        ]
        # With one input the product is an outer product, which addcmul computes faster than addmm.
        self.steps = [
            _ForwardStep(
                torch.addcmul if layer.weight.shape[1] == 1 else torch.addmm,
                layer.bias,
                layer.weight_t,
                output,
                _FORWARD[layer.activation] if layer.activation else None,
                activation,
            )
            for layer, output, activation in zip(layers, self.outputs, self.activations)
        ]
        self.backward_plans: dict[int, _Backward] = {}


class _Backward:
    """Views and steps for the backward pass over the first ``n_rows`` rows of a forward pass."""

    def __init__(self, n_rows: int, forward: _Forward, layers: list[_Layer]) -> None:
        outputs = [output[:n_rows] for output in forward.outputs]
        activations = [activation[:n_rows] for activation in forward.activations]
        widest = max(layer.weight.shape[0] for layer in layers)
        # dLoss/dz of each layer, (N, out). The output layer's is its residual buffer. Hidden
        # layers take turns in two buffers, because each is needed for one step only.
        turns = [torch.empty(n_rows * widest), torch.empty(n_rows * widest)]
        scratch = torch.empty(n_rows * widest)
        deltas = [turns[index % 2][: n_rows * layer.weight.shape[0]].view(n_rows, -1) for index, layer in enumerate(layers)]
        deltas[-1] = outputs[-1]
        self.residual = outputs[-1]
        # d(mean of squares)/d(residual) = residual · 2 / N. A 0-dim tensor, because in-place
        # operations with a Python float take about 2.5 µs against 1 µs with a tensor.
        self.scale = torch.tensor(2.0 / n_rows)

        # From the output layer down.
        self.steps: list[_BackwardStep] = []
        for index in range(len(layers) - 1, -1, -1):
            layer = layers[index]
            inputs = activations[index - 1] if index else None
            own = (deltas[index].t(), inputs, layer.weight_gradient, deltas[index], layer.bias_gradient)
            if index == 0:
                self.steps.append(_BackwardStep(*own, None, None, None, None, None, None, None))
                continue
            previous = deltas[index - 1]
            self.steps.append(
                _BackwardStep(
                    *own,
                    walk_back=torch.mul if layer.weight.shape[0] == 1 else torch.mm,
                    weight=layer.weight,
                    previous=previous,
                    activation_backward=_BACKWARD[layers[index - 1].activation],
                    z=outputs[index - 1],
                    a=activations[index - 1],
                    scratch=scratch[: previous.numel()].view(n_rows, -1),
                )
            )


class FlatMLP:
    """An ``nn.Sequential`` of Linear layers and activations, trained through one flat buffer.

    On construction the model's parameters become views into ``parameters``, so every
    update of the flat buffer is at once visible to the model (and to ``state_dict``,
    ``load_state_dict`` and predictions). Call ``release`` when training ends: it gives
    each parameter its own storage again, which safetensors requires when saving.

    Inputs ``x`` and targets ``y`` are float32 tensors shaped (N, 1). The loss is the
    mean squared error, the same as ``numpattern.training.mse_loss``.
    """

    def __init__(self, model: nn.Sequential) -> None:
        self.model = model
        linears, activations = _parse_layers(model)
        n_parameters = sum(linear.weight.numel() + linear.bias.numel() for linear in linears)
        self.parameters = torch.empty(n_parameters)
        self.gradient = torch.zeros(n_parameters)

        self.layers: list[_Layer] = []
        offset = 0
        for linear, activation in zip(linears, activations):
            weight, weight_gradient, offset = self._claim(linear.weight, offset)
            bias, bias_gradient, offset = self._claim(linear.bias, offset)
            self.layers.append(_Layer(weight, weight.t(), bias, weight_gradient, bias_gradient, activation))
        self._forwards: dict[int, _Forward] = {}

    def _claim(self, parameter: nn.Parameter, offset: int) -> tuple[torch.Tensor, torch.Tensor, int]:
        end = offset + parameter.numel()
        view = self.parameters[offset:end].view(parameter.shape)
        with torch.no_grad():
            view.copy_(parameter)
        parameter.data = view
        return view, self.gradient[offset:end].view(parameter.shape), end

    def release(self) -> None:
        """Give every model parameter its own storage again, holding the current values."""
        for parameter in self.model.parameters():
            parameter.data = parameter.data.clone()

    def loss(self, x: torch.Tensor, y: torch.Tensor) -> float:
        """Return the MSE of the current weights on (x, y) without computing gradients."""
        return mean_square(self.residual(x, y).view(-1))

    def loss_and_gradient(self, x: torch.Tensor, y: torch.Tensor) -> float:
        """Return the MSE on (x, y) and write its gradient into ``gradient``."""
        loss = mean_square(self.residual(x, y).view(-1))
        self.backward(x, x.shape[0])
        return loss

    def residual(self, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        """Run the forward pass and return prediction minus y, shaped (N, 1).

        The result and the activations stay in buffers owned by this object until the
        next forward pass on as many rows, which ``backward`` relies on.
        """
        forward = self._forwards.get(x.shape[0]) or self._add_forward(x.shape[0])
        inputs = x
        for product, bias, weight_t, output, activate, activation in forward.steps:
            product(bias, inputs, weight_t, out=output)
            if activate is not None:
                activate(output, activation)
            inputs = activation
        return inputs.sub_(y)

    def backward(self, x: torch.Tensor, n_rows: int) -> None:
        """Write the gradient of the MSE over the first ``n_rows`` rows into ``gradient``.

        Uses the buffers of the last ``residual`` call on ``x`` and overwrites its residual.
        """
        forward = self._forwards[x.shape[0]]
        plan = forward.backward_plans.get(n_rows)
        if plan is None:
            plan = forward.backward_plans[n_rows] = _Backward(n_rows, forward, self.layers)
        x_rows = x if n_rows == x.shape[0] else x[:n_rows]

        plan.residual.mul_(plan.scale)
        for (delta_t, inputs, weight_gradient, delta, bias_gradient,
             walk_back, weight, previous, activation_backward, z, a, scratch) in plan.steps:
            torch.mm(delta_t, x_rows if inputs is None else inputs, out=weight_gradient)
            torch.sum(delta, 0, out=bias_gradient)
            if walk_back is None:
                return
            # Walk back through the weights, then through the activation of the layer below.
            walk_back(delta, weight, out=previous)
            activation_backward(previous, z, a, scratch)

    def hidden_features(self, x: torch.Tensor) -> torch.Tensor:
        """Return the activations of the last hidden layer, shaped (N, width); x itself without hidden layers."""
        if len(self.layers) == 1:
            return x
        self.residual(x, torch.zeros_like(x))
        return self._forwards[x.shape[0]].activations[-2]

    def _add_forward(self, n_rows: int) -> _Forward:
        forward = self._forwards[n_rows] = _Forward(n_rows, self.layers)
        return forward


def mean_square(values: torch.Tensor) -> float:
    """Return the mean of the squares of a 1-D tensor, as a Python float."""
    return torch.dot(values, values).item() / values.shape[0]


def _parse_layers(model: nn.Sequential) -> tuple[list[nn.Linear], list[str | None]]:
    """Split ``model`` into its Linear layers and the activation after each (None after the last)."""
    linears: list[nn.Linear] = []
    activations: list[str | None] = []
    for position, module in enumerate(model):
        if position % 2 == 0 and isinstance(module, nn.Linear) and module.bias is not None:
            linears.append(module)
            activations.append(None)
        elif position % 2 == 1 and type(module) in _ACTIVATION_NAMES:
            if isinstance(module, nn.GELU) and module.approximate != "none":
                raise TypeError("FlatMLP supports only the exact GELU, approximate='none'.")
            activations[-1] = _ACTIVATION_NAMES[type(module)]
        else:
            raise TypeError(
                f"FlatMLP expects Linear layers with bias, each but the last followed by one of "
                f"{', '.join(kind.__name__ for kind in _ACTIVATION_NAMES)}; got {type(module).__name__} "
                f"at position {position}."
            )
    if not linears or activations[-1] is not None:
        raise TypeError("FlatMLP expects a model that starts and ends with a Linear layer.")
    if linears[0].in_features != 1 or linears[-1].out_features != 1:
        raise TypeError("FlatMLP expects one input and one output feature.")
    return linears, activations


# Activations write f(z) into ``out``; derivatives multiply ``delta`` in place by f'(z),
# given z, a = f(z) and a scratch buffer of the same shape.


def _relu(z: torch.Tensor, out: torch.Tensor) -> None:
    torch.clamp_min(z, 0.0, out=out)


def _relu_backward(delta: torch.Tensor, z: torch.Tensor, a: torch.Tensor, scratch: torch.Tensor) -> None:
    # a >= 0, so sign(a) is the ReLU derivative: 1 where z > 0, else 0 (PyTorch's choice at 0).
    torch.sign(a, out=scratch)
    delta.mul_(scratch)


def _tanh(z: torch.Tensor, out: torch.Tensor) -> None:
    torch.tanh(z, out=out)


def _tanh_backward(delta: torch.Tensor, z: torch.Tensor, a: torch.Tensor, scratch: torch.Tensor) -> None:
    # delta · (1 - a²)
    torch.mul(delta, a, out=scratch)
    delta.addcmul_(scratch, a, value=-1.0)


def _sigmoid(z: torch.Tensor, out: torch.Tensor) -> None:
    torch.sigmoid(z, out=out)


def _sigmoid_backward(delta: torch.Tensor, z: torch.Tensor, a: torch.Tensor, scratch: torch.Tensor) -> None:
    # delta · a · (1 - a)
    torch.mul(delta, a, out=scratch)
    torch.addcmul(scratch, scratch, a, value=-1.0, out=delta)


def _gelu(z: torch.Tensor, out: torch.Tensor) -> None:
    # nn.GELU's default is the exact form z·Φ(z), with Φ the standard normal CDF.
    torch.special.ndtr(z, out=out)
    out.mul_(z)


def _gelu_backward(delta: torch.Tensor, z: torch.Tensor, a: torch.Tensor, scratch: torch.Tensor) -> None:
    # d/dz z·Φ(z) = Φ(z) + z·φ(z), with φ the standard normal density.
    torch.mul(z, z, out=scratch)
    scratch.mul_(-0.5).exp_().mul_(z).mul_(_INVERSE_SQRT_2PI)
    scratch.add_(torch.special.ndtr(z))
    delta.mul_(scratch)


_FORWARD = {"relu": _relu, "tanh": _tanh, "sigmoid": _sigmoid, "gelu": _gelu}
_BACKWARD = {"relu": _relu_backward, "tanh": _tanh_backward, "sigmoid": _sigmoid_backward, "gelu": _gelu_backward}
