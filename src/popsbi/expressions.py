"""Arithmetic and comparison expressions over named parameters, evaluated safely.

Used for placeholders in Demes models (``end_time: T_split + T_bot``) and for
constraints between parameters (``T_recent < T_old``). Only numbers, parameter
names, ``+ - * / **``, unary minus and comparisons are allowed: a config is
data, never code.
"""

import ast
import operator

import numpy as np

_BINARY = {
    ast.Add: operator.add,
    ast.Sub: operator.sub,
    ast.Mult: operator.mul,
    ast.Div: operator.truediv,
    ast.Pow: operator.pow,
}
_COMPARE = {
    ast.Lt: operator.lt,
    ast.LtE: operator.le,
    ast.Gt: operator.gt,
    ast.GtE: operator.ge,
}


class ExpressionError(ValueError):
    """The text is not an allowed expression."""


def parse(text):
    """Parse ``text`` and return (tree, names used); raise ExpressionError if not allowed."""
    try:
        tree = ast.parse(str(text), mode="eval").body
    except SyntaxError as err:
        raise ExpressionError(f"cannot parse {text!r}: {err.msg}") from None
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Name):
            names.add(node.id)
        elif isinstance(node, ast.Constant):
            if not isinstance(node.value, (int, float)) or isinstance(node.value, bool):
                raise ExpressionError(f"{text!r}: only numbers and parameter names are allowed")
        elif isinstance(node, ast.BinOp) and type(node.op) not in _BINARY:
            raise ExpressionError(f"{text!r}: operator not allowed (use + - * / **)")
        elif isinstance(node, ast.Compare) and any(type(op) not in _COMPARE for op in node.ops):
            raise ExpressionError(f"{text!r}: comparison not allowed (use < <= > >=)")
        elif not isinstance(
            node,
            (ast.Name, ast.Constant, ast.BinOp, ast.UnaryOp, ast.Compare, ast.Load)
            + tuple(_BINARY)
            + tuple(_COMPARE)
            + (ast.USub, ast.UAdd),
        ):
            raise ExpressionError(f"{text!r}: {type(node).__name__} is not allowed")
    return tree, names


def evaluate(tree, values):
    """Evaluate a parsed tree with ``values`` (name -> number or NumPy array)."""
    if isinstance(tree, ast.Constant):
        return tree.value
    if isinstance(tree, ast.Name):
        return values[tree.id]
    if isinstance(tree, ast.UnaryOp):
        operand = evaluate(tree.operand, values)
        return -operand if isinstance(tree.op, ast.USub) else operand
    if isinstance(tree, ast.BinOp):
        return _BINARY[type(tree.op)](evaluate(tree.left, values), evaluate(tree.right, values))
    # A chained comparison a < b < c holds when every link holds.
    left = evaluate(tree.left, values)
    result = True
    for op, right_tree in zip(tree.ops, tree.comparators):
        right = evaluate(right_tree, values)
        result = np.logical_and(result, _COMPARE[type(op)](left, right))
        left = right
    return result


def is_comparison(tree):
    return isinstance(tree, ast.Compare)
