"""Formula parsing: allowed formulas evaluate like NumPy, everything else is rejected before it runs."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import numpy as np
import pytest

from numpattern.data import DataSpec, generate
from numpattern.errors import FormulaError
from numpattern.formula import FUNCTIONS, MAX_FORMULA_LENGTH, MAX_NODES, OPERATOR_SYMBOLS, parse_formula

# Positive x values, so that log and sqrt are defined everywhere in the reference.
X = np.linspace(0.1, 3.0, 7)

VALID_FORMULAS = [
    ("3*x + 2", lambda x: 3 * x + 2),
    ("-x", lambda x: -x),
    ("+x", lambda x: x),
    ("-x**2", lambda x: -(x**2)),
    ("(-x)**2", lambda x: x**2),
    ("x**2 - 1", lambda x: x**2 - 1),
    ("x / 2", lambda x: x / 2),
    ("1 / (1 + x**2)", lambda x: 1 / (1 + x**2)),
    ("(x + 1) * (x - 1)", lambda x: (x + 1) * (x - 1)),
    ("2.5e-1 * x", lambda x: 0.25 * x),
    ("2 ** -x", lambda x: 2.0**-x),
    ("pi", lambda x: np.full_like(x, np.pi)),
    ("e", lambda x: np.full_like(x, np.e)),
    ("2*pi*x", lambda x: 2 * np.pi * x),
    ("e**x", lambda x: np.e**x),
    ("7", lambda x: np.full_like(x, 7.0)),
    ("  3*x  ", lambda x: 3 * x),
    ("sin(x)", np.sin),
    ("cos(x)", np.cos),
    ("tan(x)", np.tan),
    ("exp(x)", np.exp),
    ("log(x)", np.log),
    ("sqrt(x)", np.sqrt),
    ("abs(x - 1)", lambda x: np.abs(x - 1)),
    ("tanh(x)", np.tanh),
    ("sin(cos(x)) + exp(-x**2)", lambda x: np.sin(np.cos(x)) + np.exp(-(x**2))),
]

REJECTED_FORMULAS = [
    ("x.__class__", "cannot use '.' to reach attributes"),
    ("x.real", "cannot use '.' to reach attributes"),
    ("__import__('os')", "'__import__' in .* is not an allowed function"),
    ("__import__('os').system('ls')", "is not an allowed function"),
    ("np.sin(x)", "'np.sin' in .* is not an allowed function"),
    ("print(x)", "'print' in 'print\\(x\\)' is not an allowed function"),
    ("eval('1')", "'eval' in .* is not an allowed function"),
    ("getattr(x, 'real')", "'getattr' in .* is not an allowed function"),
    ("sin(x)(1)", "is not an allowed function"),
    ("lambda: 1", "is not allowed in a formula"),
    ("[x for x in range(3)]", "is not allowed in a formula"),
    ("f'{x}'", "is not allowed in a formula"),
    ("(y := 3)", "is not allowed in a formula"),
    ("x[0]", "is not allowed in a formula"),
    ("x if x else 1", "is not allowed in a formula"),
    ("x < 1", "The comparison '<' in 'x < 1' is not allowed. A formula must give a number for each x"),
    ("(1, 2)", "is not allowed in a formula"),
    ("{}", "is not allowed in a formula"),
    ("not x", "The operator 'not' in 'not x' is not allowed"),
    ("~x", "The operator '~' \\(bitwise not\\) in '~x' is not allowed"),
    ("'abc'", "'abc'' is not a number"),
    ("b'x'", "is not a number"),
    ("True", "'True' is not a number"),
    ("1j", "'1j' is not a number"),
    ("1e999", "The number '1e999' is too large"),
    ("y + 1", "Unknown name 'y' at position 1"),
    ("os", "Unknown name 'os'"),
    ("__builtins__", "Unknown name '__builtins__'"),
    ("sin", "Unknown name 'sin'"),
    ("sin(x=1)", "sin takes exactly one value, for example sin\\(x\\)"),
    ("sin(x, x)", "sin takes exactly one value"),
    ("sin()", "sin takes exactly one value"),
    ("sin(*x)", "sin takes exactly one value"),
    ("x ^ 2", "The operator '\\^' \\(bitwise xor in Python\\) in 'x \\^ 2' is not allowed. Use \\*\\* for powers"),
    ("x % 2", "The operator '%' \\(remainder\\) in 'x % 2' is not allowed"),
    ("x // 2", "The operator '//' \\(division rounded down\\) in 'x // 2' is not allowed"),
    ("x << 2", "The operator '<<' \\(bit shift\\) in 'x << 2' is not allowed"),
    ("3x", "Write multiplication with \\*, for example 3\\*x"),
    ("x**", r"The formula ends with 'x\*\*', so something is missing after the last '\*'"),
    ("3*(x", r"has 1 '\(' but 0 '\)'"),
    ("x; import os", "Could not read the formula"),
    ("x +* 2", "Could not read the formula"),
    ("", "The formula is empty"),
    ("   ", "The formula is empty"),
    ("x+" * 150 + "x", f"the limit is {MAX_FORMULA_LENGTH}"),
    ("9" * 10000, f"The formula is 10000 characters long; the limit is {MAX_FORMULA_LENGTH}"),
    ("(" * 150 + "x" + ")" * 150, "characters long"),
    ("-(" * 40 + "x" + ")" * 40, "nested more than 30 levels deep"),
    ("sin(" * 35 + "x" + ")" * 35, "nested more than 30 levels deep"),
    # Three groups of 18 terms: 161 parts, yet shallower and shorter than the other limits.
    ("*".join(["(" + "+".join(["-1"] * 18) + ")"] * 3), f"more than {MAX_NODES} parts"),
]


@pytest.mark.parametrize(("text", "reference"), VALID_FORMULAS, ids=[text.strip() for text, _ in VALID_FORMULAS])
def test_formula_valid_matches_numpy(text, reference):
    y = parse_formula(text).evaluate(X)

    assert y.shape == X.shape
    assert y.dtype == np.float64
    np.testing.assert_allclose(y, reference(X), rtol=1e-12, atol=0)


def test_formula_long_flat_sum_accepted():
    y = parse_formula("1+" * 40 + "x").evaluate(X)

    np.testing.assert_allclose(y, X + 40)


@pytest.mark.parametrize("name", sorted(FUNCTIONS))
def test_formula_each_function_matches_numpy(name):
    y = parse_formula(f"{name}(x)").evaluate(X)

    np.testing.assert_allclose(y, FUNCTIONS[name](X), rtol=1e-12, atol=0)


@pytest.mark.parametrize(("text", "message"), REJECTED_FORMULAS, ids=[text[:30] for text, _ in REJECTED_FORMULAS])
def test_formula_rejected_with_message(text, message):
    with pytest.raises(FormulaError, match=message):
        parse_formula(text)


# One formula per operator that a formula rejects, with the symbol its message must quote.
REJECTED_OPERATORS = [
    ("x @ 2", ast.MatMult, "@"),
    ("x % 2", ast.Mod, "%"),
    ("x // 2", ast.FloorDiv, "//"),
    ("x << 2", ast.LShift, "<<"),
    ("x >> 2", ast.RShift, ">>"),
    ("x & 1", ast.BitAnd, "&"),
    ("x | 1", ast.BitOr, "|"),
    ("x ^ 2", ast.BitXor, "^"),
    ("~x", ast.Invert, "~"),
    ("not x", ast.Not, "not"),
    ("x and 1", ast.And, "and"),
    ("x or 1", ast.Or, "or"),
    ("x == 1", ast.Eq, "=="),
    ("x != 1", ast.NotEq, "!="),
    ("x < 1", ast.Lt, "<"),
    ("x <= 1", ast.LtE, "<="),
    ("x > 1", ast.Gt, ">"),
    ("x >= 1", ast.GtE, ">="),
    ("x is pi", ast.Is, "is"),
    ("x is not pi", ast.IsNot, "is not"),
    ("x in pi", ast.In, "in"),
    ("x not in pi", ast.NotIn, "not in"),
    ("0 < x <= 1", ast.Lt, "<"),
]


@pytest.mark.parametrize(("text", "operator", "symbol"), REJECTED_OPERATORS, ids=[text for text, _, _ in REJECTED_OPERATORS])
def test_formula_operator_named_by_symbol(text, operator, symbol):
    with pytest.raises(FormulaError) as raised:
        parse_formula(text)

    message = str(raised.value)
    assert f"'{symbol}'" in message
    assert f"in '{text}' is not allowed" in message
    assert operator.__name__ not in message


def test_operator_symbols_cover_all_operators():
    python_operators = {
        operator for base in (ast.operator, ast.unaryop, ast.cmpop, ast.boolop) for operator in base.__subclasses__()
    }

    assert python_operators <= set(OPERATOR_SYMBOLS)
    rejected = {operator for _, operator, _ in REJECTED_OPERATORS}
    allowed = {ast.Add, ast.Sub, ast.Mult, ast.Div, ast.Pow, ast.UAdd, ast.USub}
    assert python_operators == rejected | allowed


def test_formula_rejection_lists_what_is_allowed():
    with pytest.raises(FormulaError, match="A formula may use x, numbers, .* and the constants pi and e"):
        parse_formula("y")


@pytest.mark.parametrize("text", [None, 3, b"x"])
def test_formula_not_text_rejected(text):
    with pytest.raises(FormulaError, match="The formula must be text"):
        parse_formula(text)


def test_formula_text_is_stripped():
    formula = parse_formula("  x**2 ")

    assert formula.text == "x**2"
    assert str(formula) == "x**2"


def test_formula_injection_runs_no_code(tmp_path: Path):
    marker = tmp_path / "formula-payload-ran"
    attempts = [
        f"open({str(marker)!r}, 'w')",
        f"__import__('pathlib').Path({str(marker)!r}).touch()",
        "[c for c in ().__class__.__base__.__subclasses__()]",
    ]

    for text in attempts:
        with pytest.raises(FormulaError):
            parse_formula(text).evaluate(X)

    assert not marker.exists()


@pytest.mark.parametrize(
    ("text", "x", "message"),
    [
        ("10**10**10", np.array([1.0, 2.0]), "'10\\*\\*10\\*\\*10' has no finite value at 2 of 2 x values"),
        ("2**5000", np.array([0.0]), "the power is undefined or too large"),
        ("exp(x)", np.array([0.0, 1000.0]), "for example x = 1000\\) because exp overflows"),
        ("log(x)", np.array([0.0, 1.0]), "for example x = 0\\) because log is only defined for x > 0"),
        ("sqrt(x)", np.array([-2.0, -1.0, 0.0, 1.0, 2.0]), "at 2 of 5 x values \\(for example x = -2, -1\\)"),
        ("1/x", np.array([-1.0, 0.0, 1.0]), "'1/x' has no finite value at 1 of 3 x values \\(for example x = 0\\)"),
        ("3 + 1/x", np.array([0.0, 1.0]), "'1/x' has no finite value .* because it divides by zero"),
    ],
)
def test_formula_non_finite_names_x_values(text, x, message):
    formula = parse_formula(text)

    with pytest.raises(FormulaError, match=message):
        formula.evaluate(x)


@pytest.mark.parametrize(
    ("text", "x", "reason", "class_name"),
    [
        ("x*1e308", 10.0, "because the product is too large to compute", "Mult"),
        ("x + 1e308", 1e308, "because the sum is too large to compute", "Add"),
        ("x - 1e308", -1e308, "because the difference is too large to compute", "Sub"),
        ("1/x", 0.0, "because it divides by zero", "Div"),
        ("x**0.5", -1.0, "because the power is undefined or too large here", "Pow"),
    ],
)
def test_formula_operator_reason_in_words(text, x, reason, class_name):
    with pytest.raises(FormulaError) as raised:
        parse_formula(text).evaluate(np.array([x]))

    message = str(raised.value)
    assert reason in message
    assert class_name not in message


def test_formula_non_finite_message_says_what_to_do():
    with pytest.raises(FormulaError, match="Choose an x range where the formula is defined"):
        parse_formula("sqrt(x)").evaluate(np.array([-1.0]))


def test_formula_non_finite_examples_capped_at_five():
    x = -np.arange(1.0, 21.0)

    with pytest.raises(FormulaError, match="at 20 of 20 x values \\(for example x = -1, -2, -3, -4, -5\\)"):
        parse_formula("sqrt(x)").evaluate(x)


@pytest.mark.parametrize(
    ("formula", "x_min", "x_max", "n_points", "message"),
    [
        ("sqrt(x)", -1.0, 1.0, 11, "sqrt\\(x\\)' has no finite value at 5 of 11 x values \\(for example x = -1, -0.8"),
        ("1/x", -5.0, 5.0, 11, "'1/x' has no finite value at 1 of 11 x values \\(for example x = 0\\)"),
    ],
)
def test_formula_undefined_points_stop_generation(formula, x_min, x_max, n_points, message):
    spec = DataSpec(preset=None, formula=formula, x_min=x_min, x_max=x_max, n_points=n_points)

    with pytest.raises(FormulaError, match=message):
        generate(spec)


@pytest.mark.parametrize(("text", "wanted"), [("y = 3*x + 2", "3*x + 2"), ("y=x**2", "x**2"), ("f(x) = sin(x)", "sin(x)")])
def test_formula_with_y_equals_hints_right_side(text, wanted):
    with pytest.raises(FormulaError, match=re.escape(f"Type only what comes after '=': for '{text}', type {wanted}.")):
        parse_formula(text)
