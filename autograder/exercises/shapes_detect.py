"""Wrong answers, detectors and judges for the misconceptions of 04-shapes.

Trusted code: what a learner holding one misconception would compute, for
the declarations in :mod:`autograder.exercises.shapes` to compare answers with.
"""
from __future__ import annotations

import math

import numpy as np

from .. import references as ref

#: Keras's "Total params" for the notes' model.
KERAS_TOTAL = 243786


def is_float(got) -> bool:
    return isinstance(got, (float, np.floating))


# --------------------------------------------------------------------------- conv_output_size

def truncating(n, k, padding=0, stride=1, dilation=1):
    """int() of the quotient: rounds -0.5 up to 0, so a window that does not fit counts once."""
    if min(k, stride, dilation) < 1 or padding < 0 or n < 1:
        raise ValueError("bad size")
    out = int((n + 2 * padding - dilation * (k - 1) - 1) / stride) + 1
    if out < 1:
        raise ValueError("does not fit")
    return out


def dilation_ignored(n, k, padding=0, stride=1, dilation=1):
    if dilation == 1:
        return None
    return ref.conv_output_size(n, k, padding, stride, 1)


# --------------------------------------------------------------------------- tf_padding

def symmetric(n, k, stride, padding):
    out, before, after = ref.tf_padding(n, k, stride, padding)
    return (out, after, before) if before != after else None


def stride_ignored_tf(n, k, stride, padding):
    return None if stride == 1 else ref.tf_padding(n, k, 1, padding)


# --------------------------------------------------------------------------- pool_output_size

def pool_ceil(n, pool, stride=None):
    stride = pool if stride is None else stride
    return -(-(n - pool) // stride) + 1


def pool_stride_one(n, pool, stride=None):
    return n - pool + 1


def pool_size_ignores_pool(n, pool, stride=None):
    """The input split into strides, the window forgotten: n // s, or n / s rounded up."""
    stride = pool if stride is None else stride
    return [n // stride, -(-n // stride)]


# --------------------------------------------------------------------------- conv_params

def params_no_bias(kh, kw, c_in, c_out, bias=True):
    return kh * kw * c_in * c_out if bias else None


def params_one_channel(kh, kw, c_in, c_out, bias=True):
    return kh * kw * c_out + (c_out if bias else 0) if c_in != 1 else None


# --------------------------------------------------------------------------- model_summary

def walk(input_shape, layers, *, pool_round=math.floor):
    """(kind, shape, params, bias, params_if_one_channel) for a valid model (trusted)."""
    shape = tuple(input_shape)
    out = []
    for layer in layers:
        layer = (layer,) if isinstance(layer, str) else tuple(layer)
        kind = layer[0]
        if kind == "conv":
            f, size = layer[1], layer[2]
            kh, kw = (size, size) if isinstance(size, int) else tuple(size)
            h, w, c = shape
            shape = (h - kh + 1, w - kw + 1, f)
            out.append((kind, shape, kh * kw * c * f + f, f, kh * kw * f + f))
        elif kind == "pool":
            size = layer[1]
            ph, pw = (size, size) if isinstance(size, int) else tuple(size)
            h, w, c = shape
            shape = (int(pool_round((h - ph) / ph)) + 1, int(pool_round((w - pw) / pw)) + 1, c)
            out.append((kind, shape, 0, 0, 0))
        elif kind == "flatten":
            shape = (int(np.prod(shape)),)
            out.append((kind, shape, 0, 0, 0))
        else:
            units = layer[1]
            params = shape[0] * units + units
            shape = (units,)
            out.append((kind, shape, params, units, params))
    return out


def rows_like(got, expected) -> bool:
    """Same number of rows, each (name, shape) right: only the parameter column may differ."""
    if not isinstance(got, (list, tuple)) or len(got) != len(expected):
        return False
    for g, e in zip(got, expected):
        if not isinstance(g, (list, tuple)) or len(g) != 3 or g[0] != e[0]:
            return False
        if tuple(int(v) for v in g[1]) != tuple(e[1]):
            return False
    return True


def params_detect(which: int):
    """detect(): every parameter count is right or has the misconception's value, and one has it."""
    def detect(case, got) -> bool:
        input_shape, layers = case.args[0], case.args[1]
        expected = ref.model_summary(input_shape, layers)
        if not rows_like(got, expected):
            return False
        walked = walk(input_shape, layers)
        seen = False
        for g, e, w in zip(got, expected, walked):
            right = e[2]
            wrong = right - w[3] if which == 3 else w[4]
            if int(g[2]) == right:
                continue
            if int(g[2]) != wrong:
                return False
            seen = True
        return seen
    return detect


def _named(walked):
    names, rows = {}, []
    for kind, shape, params, _, _ in walked:
        base = ref.LAYER_NAMES[kind]
        seen = names.get(base, 0)
        names[base] = seen + 1
        rows.append((base if seen == 0 else f"{base}_{seen}", shape, params))
    return rows


def summary_ceil(input_shape, layers):
    return _named(walk(input_shape, layers, pool_round=math.ceil))


def summary_hw_swapped(input_shape, layers):
    """Every (height, width) pair of the layers read as (width, height)."""
    def turned(layer):
        layer = (layer,) if isinstance(layer, str) else tuple(layer)
        if layer[0] in ("conv", "pool") and not isinstance(layer[-1], int):
            return layer[:-1] + (tuple(layer[-1])[::-1],)
        return layer
    swapped = [turned(layer) for layer in layers]
    if swapped == [(layer,) if isinstance(layer, str) else tuple(layer) for layer in layers]:
        return None
    return ref.model_summary(input_shape, swapped)


def total_is_keras(rows) -> str | None:
    try:
        total = sum(int(row[2]) for row in rows)
    except Exception:
        return "the rows should be (name, output_shape, params) triples whose params add up to Keras's total."
    if total != KERAS_TOTAL:
        return f"your parameter counts add up to {total}; Keras reports Total params: {KERAS_TOTAL} for this model."
    return None


# --------------------------------------------------------------------------- receptive_field

def rf_ignores_stride(layers):
    """k - 1 added for every layer, as if every stride before it were 1."""
    field, out = 1, []
    for k, _ in layers:
        field += k - 1
        out.append(field)
    return out


def rf_stride_too_early(layers):
    """The layer's own stride multiplied in before its kernel is counted."""
    field, jump, out = 1, 1, []
    for k, s in layers:
        jump *= s
        field += (k - 1) * jump
        out.append(field)
    return out


# --------------------------------------------------------------------------- equivariance

def rolled(X, K, dy, dx):
    """A shift that wraps round (numpy.roll) instead of filling with zeros."""
    X = np.asarray(X)
    return (ref.corr2d(np.roll(X, (dy, dx), axis=(0, 1)), K),
            np.roll(ref.corr2d(X, K), (dy, dx), axis=(0, 1)))


def shifted_the_other_way(X, K, dy, dx):
    if dy == 0 and dx == 0:
        return None
    return ref.both_orders(X, K, -dy, -dx)
