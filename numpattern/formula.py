"""Safe parsing and evaluation of formulas such as ``3*x + 2`` typed by users.

The text is parsed with :mod:`ast` and checked against an allow-list of node
types; it is never passed to ``eval`` or ``exec``. Evaluation walks the checked
tree with NumPy, so only the listed operations can run.
"""

from __future__ import annotations

import ast
import itertools
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from numpattern.errors import FormulaError

MAX_FORMULA_LENGTH = 200
MAX_NESTING_DEPTH = 30
MAX_NODES = 150

FUNCTIONS: dict[str, Callable[[np.ndarray], np.ndarray]] = {
    "sin": np.sin,
    "cos": np.cos,
    "tan": np.tan,
    "exp": np.exp,
    "log": np.log,
    "sqrt": np.sqrt,
    "abs": np.abs,
    "tanh": np.tanh,
}
CONSTANTS = {"pi": float(np.pi), "e": float(np.e)}
BINARY_OPERATORS: dict[type, Callable[[np.ndarray, np.ndarray], np.ndarray]] = {
    ast.Add: np.add,
    ast.Sub: np.subtract,
    ast.Mult: np.multiply,
    ast.Div: np.true_divide,
    ast.Pow: np.power,
}
_SAME_PRECEDENCE = {
    ast.Add: (ast.Add, ast.Sub),
    ast.Sub: (ast.Add, ast.Sub),
    ast.Mult: (ast.Mult, ast.Div),
    ast.Div: (ast.Mult, ast.Div),
}
ALLOWED_HELP = (
    "A formula may use x, numbers, + - * / ** (power), parentheses, "
    f"the functions {', '.join(FUNCTIONS)}, and the constants pi and e."
)

# The symbol a user types for each operator node. Messages quote these, because the AST class
# names (MatMult, BitXor, NotEq) mean nothing to someone who typed @, ^ or !=.
OPERATOR_SYMBOLS: dict[type, str] = {
    ast.Add: "+",
    ast.Sub: "-",
    ast.Mult: "*",
    ast.Div: "/",
    ast.Pow: "**",
    ast.UAdd: "+",
    ast.USub: "-",
    ast.MatMult: "@",
    ast.Mod: "%",
    ast.FloorDiv: "//",
    ast.LShift: "<<",
    ast.RShift: ">>",
    ast.BitAnd: "&",
    ast.BitOr: "|",
    ast.BitXor: "^",
    ast.Invert: "~",
    ast.Not: "not",
    ast.And: "and",
    ast.Or: "or",
    ast.Eq: "==",
    ast.NotEq: "!=",
    ast.Lt: "<",
    ast.LtE: "<=",
    ast.Gt: ">",
    ast.GtE: ">=",
    ast.Is: "is",
    ast.IsNot: "is not",
    ast.In: "in",
    ast.NotIn: "not in",
}
# Meanings in Python of the rejected symbols that a beginner may not guess.
_OPERATOR_MEANINGS = {
    ast.MatMult: "matrix multiplication",
    ast.Mod: "remainder",
    ast.FloorDiv: "division rounded down",
    ast.LShift: "bit shift",
    ast.RShift: "bit shift",
    ast.BitAnd: "bitwise and",
    ast.BitOr: "bitwise or",
    ast.BitXor: "bitwise xor in Python",
    ast.Invert: "bitwise not",
}

# Why a result can stop being a finite number, by the function name or operator symbol that produced it.
_NON_FINITE_CAUSES = {
    "log": "log is only defined for x > 0",
    "sqrt": "sqrt is only defined for values ≥ 0",
    "exp": "exp overflows for large values",
    "tan": "tan is infinite near pi/2 + k*pi",
    "/": "it divides by zero",
    "**": "the power is undefined or too large here",
    "+": "the sum is too large to compute",
    "-": "the difference is too large to compute",
    "*": "the product is too large to compute",
}


@dataclass(frozen=True)
class Formula:
    """A checked formula: its source text and the tree that evaluates it."""

    text: str
    tree: ast.Expression

    def evaluate(self, x: np.ndarray) -> np.ndarray:
        """Evaluate at each x; raise FormulaError naming the x values where the result is not finite."""
        x = np.asarray(x, dtype=np.float64)
        evaluator = _Evaluator(self.text, x)
        with np.errstate(all="ignore"):
            y = evaluator.visit(self.tree.body)
        y = np.broadcast_to(y, x.shape).astype(np.float64)
        evaluator.raise_if_not_finite(y)
        return y

    def __str__(self) -> str:
        return self.text


def parse_formula(text: str) -> Formula:
    """Parse and check ``text``; raise FormulaError that points at the first part not allowed."""
    if not isinstance(text, str):
        raise FormulaError(f"The formula must be text, not {type(text).__name__}.")
    text = text.strip()
    if not text:
        raise FormulaError("The formula is empty. Type one such as 3*x + 2.")
    if len(text) > MAX_FORMULA_LENGTH:
        raise FormulaError(
            f"The formula is {len(text)} characters long; the limit is {MAX_FORMULA_LENGTH}. "
            "Type a shorter formula."
        )

    try:
        tree = ast.parse(text, mode="eval")
    except SyntaxError as error:
        raise FormulaError(_syntax_message(text, error)) from None
    except (RecursionError, MemoryError, ValueError):
        raise FormulaError(
            "The formula is nested too deeply to read. Use fewer parentheses."
        ) from None

    _check_tree(text, tree)
    return Formula(text=text, tree=tree)


def _syntax_message(text: str, error: SyntaxError) -> str:
    if text[-1] in "+-*/(^,.":
        # Python reports an unfinished formula at its start, so name its end instead.
        return (
            f"The formula ends with '{text[-10:]}', so something is missing after the last '{text[-1]}'. "
            f"{ALLOWED_HELP}"
        )
    column = error.offset or 1
    near = text[max(column - 1, 0) : column + 9] or text[-10:]
    hint = ""
    left, equals, right = text.partition("=")
    if equals and left.replace(" ", "") in ("y", "f(x)", "y(x)") and right.strip() and not right.startswith("="):
        # People write a rule the way school taught it, as y = 3*x + 2; only the right side is wanted.
        hint = f" Type only what comes after '=': for '{text[:40]}', type {right.strip()[:40]}."
    elif text.count("(") != text.count(")"):
        hint = f" The formula has {text.count('(')} '(' but {text.count(')')} ')'."
    elif "^" in text:
        hint = " Use ** for powers, for example x**2."
    elif any(ch.isdigit() and nxt.isalpha() for ch, nxt in itertools.pairwise(text)):
        hint = " Write multiplication with *, for example 3*x instead of 3x."
    return f"Could not read the formula near position {column} ('{near}').{hint} {ALLOWED_HELP}"


def _check_tree(text: str, tree: ast.Expression) -> None:
    node_count = 0
    stack: list[tuple[ast.AST, int]] = [(tree.body, 1)]
    while stack:
        node, depth = stack.pop()
        node_count += 1
        if node_count > MAX_NODES:
            raise FormulaError(
                f"The formula has more than {MAX_NODES} parts. Type a shorter formula."
            )
        if depth > MAX_NESTING_DEPTH:
            raise FormulaError(
                f"The formula is nested more than {MAX_NESTING_DEPTH} levels deep. "
                "Use fewer parentheses or function calls inside each other."
            )
        for child in _checked_children(text, node):
            stack.append((child, depth if _continues_chain(node, child) else depth + 1))


def _continues_chain(parent: ast.AST, child: ast.AST) -> bool:
    """A sum such as 1+2+3 nests one level per term in the tree; such chains count as one level."""
    return (
        isinstance(parent, ast.BinOp)
        and isinstance(child, ast.BinOp)
        and child is parent.left
        and isinstance(child.op, _SAME_PRECEDENCE.get(type(parent.op), ()))
    )


def _checked_children(text: str, node: ast.AST) -> list[ast.AST]:
    """Return the children of an allowed node, or raise for a node that is not allowed."""
    if isinstance(node, ast.BinOp):
        if type(node.op) not in BINARY_OPERATORS:
            raise FormulaError(_operator_message(text, node, node.op))
        return [node.left, node.right]
    if isinstance(node, ast.UnaryOp):
        if not isinstance(node.op, (ast.USub, ast.UAdd)):
            raise FormulaError(_operator_message(text, node, node.op))
        return [node.operand]
    if isinstance(node, ast.BoolOp):
        raise FormulaError(_operator_message(text, node, node.op))
    if isinstance(node, ast.Compare):
        # A chain such as 0 < x <= 1 contains several comparisons, and the message names the first.
        raise FormulaError(_operator_message(text, node, node.ops[0]))
    if isinstance(node, ast.Constant):
        if isinstance(node.value, bool) or not isinstance(node.value, (int, float)):
            raise FormulaError(
                f"'{_segment(text, node)}' is not a number. {ALLOWED_HELP}"
            )
        if not np.isfinite(_to_float(text, node)):
            raise FormulaError(f"The number '{_segment(text, node)}' is too large.")
        return []
    if isinstance(node, ast.Name):
        if node.id != "x" and node.id not in CONSTANTS:
            raise FormulaError(
                f"Unknown name '{node.id}' at position {node.col_offset + 1}. "
                f"Use x for the input value. {ALLOWED_HELP}"
            )
        return []
    if isinstance(node, ast.Call):
        return _checked_call(text, node)
    if isinstance(node, ast.Attribute):
        raise FormulaError(
            f"'{_segment(text, node)}' is not allowed: a formula cannot use '.' to reach "
            f"attributes. {ALLOWED_HELP}"
        )
    raise FormulaError(
        f"'{_segment(text, node)}' is not allowed in a formula. {ALLOWED_HELP}"
    )


def _operator_message(text: str, node: ast.AST, operator: ast.AST) -> str:
    symbol = OPERATOR_SYMBOLS.get(type(operator))
    if symbol is None:
        # An operator that a later Python version adds has no symbol here, so quote the formula
        # rather than the class name.
        return f"'{_segment(text, node)}' is not allowed in a formula. {ALLOWED_HELP}"
    kind = "comparison" if isinstance(operator, ast.cmpop) else "operator"
    meaning = _OPERATOR_MEANINGS.get(type(operator))
    described = f"'{symbol}' ({meaning})" if meaning else f"'{symbol}'"
    hint = ""
    if isinstance(operator, ast.BitXor):
        hint = " Use ** for powers, for example x**2."
    elif isinstance(operator, (ast.cmpop, ast.boolop, ast.Not)):
        hint = " A formula must give a number for each x, not true or false."
    return f"The {kind} {described} in '{_segment(text, node)}' is not allowed.{hint} {ALLOWED_HELP}"


def _checked_call(text: str, node: ast.Call) -> list[ast.AST]:
    if not isinstance(node.func, ast.Name) or node.func.id not in FUNCTIONS:
        name = node.func.id if isinstance(node.func, ast.Name) else _segment(text, node.func)
        raise FormulaError(
            f"'{name}' in '{_segment(text, node)}' is not an allowed function. {ALLOWED_HELP}"
        )
    if node.keywords or len(node.args) != 1 or isinstance(node.args[0], ast.Starred):
        raise FormulaError(
            f"'{_segment(text, node)}': {node.func.id} takes exactly one value, "
            f"for example {node.func.id}(x)."
        )
    return [node.args[0]]


def _segment(text: str, node: ast.AST) -> str:
    segment = ast.get_source_segment(text, node) or text
    return segment if len(segment) <= 40 else segment[:37] + "..."


def _to_float(text: str, node: ast.Constant) -> float:
    try:
        return float(node.value)
    except OverflowError:
        raise FormulaError(f"The number '{_segment(text, node)}' is too large.") from None


class _Evaluator:
    """Evaluate a checked tree on an array of x values, remembering the first non-finite step."""

    def __init__(self, text: str, x: np.ndarray) -> None:
        self.text = text
        self.x = x
        self.first_bad: tuple[ast.AST, str, np.ndarray] | None = None

    def visit(self, node: ast.AST) -> np.ndarray:
        if isinstance(node, ast.Constant):
            return np.float64(float(node.value))
        if isinstance(node, ast.Name):
            return self.x if node.id == "x" else np.float64(CONSTANTS[node.id])
        if isinstance(node, ast.UnaryOp):
            operand = self.visit(node.operand)
            return -operand if isinstance(node.op, ast.USub) else operand
        if isinstance(node, ast.BinOp):
            left, right = self.visit(node.left), self.visit(node.right)
            result = BINARY_OPERATORS[type(node.op)](left, right)
            return self._note_non_finite(node, OPERATOR_SYMBOLS[type(node.op)], result, left, right)
        if isinstance(node, ast.Call):
            argument = self.visit(node.args[0])
            result = FUNCTIONS[node.func.id](argument)
            return self._note_non_finite(node, node.func.id, result, argument)
        raise FormulaError(f"'{_segment(self.text, node)}' is not allowed in a formula.")

    def _note_non_finite(self, node: ast.AST, cause: str, result, *inputs) -> np.ndarray:
        if self.first_bad is None:
            inputs_finite = np.ones(np.shape(self.x), dtype=bool)
            for value in inputs:
                inputs_finite &= np.broadcast_to(np.isfinite(value), np.shape(self.x))
            new_bad = inputs_finite & ~np.broadcast_to(np.isfinite(result), np.shape(self.x))
            if new_bad.any():
                self.first_bad = (node, cause, new_bad)
        return result

    def raise_if_not_finite(self, y: np.ndarray) -> None:
        bad = ~np.isfinite(y)
        if not bad.any():
            return
        where = self.first_bad[2] if self.first_bad is not None else bad
        examples = ", ".join(f"{value:g}" for value in self.x[where][:5])
        count = int(bad.sum())
        part, reason = self.text, "the result is not a finite number"
        if self.first_bad is not None:
            part = _segment(self.text, self.first_bad[0])
            reason = _NON_FINITE_CAUSES.get(self.first_bad[1], reason)
        raise FormulaError(
            f"'{part}' has no finite value at {count} of {y.size} x values "
            f"(for example x = {examples}) because {reason}. "
            "Choose an x range where the formula is defined, or change the formula."
        )
