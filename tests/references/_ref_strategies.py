"""Hypothesis strategies and comparison helpers shared by the reference tests.

Imported by the test modules of this folder as a plain module (pytest puts
the folder on ``sys.path``); the leading underscore keeps pytest from
collecting it.
"""
from __future__ import annotations

import numpy as np
from hypothesis import settings, strategies as st
from hypothesis.extra import numpy as hnp

#: Settings of every property test here: the whole folder must stay fast.
FAST = settings(max_examples=60, deadline=None)

#: The kinds of input the hidden checks use.
KINDS = ("int", "float", "uint8", "bool")

_ELEMENTS = {
    "int": st.integers(-60, 60),
    "float": st.floats(-100, 100, allow_nan=False, allow_infinity=False, width=64),
    "uint8": st.integers(0, 255),
    "bool": st.booleans(),
}
_DTYPES = {"int": np.int64, "float": np.float64, "uint8": np.uint8, "bool": np.bool_}


def arrays(kind: str, shape) -> st.SearchStrategy[np.ndarray]:
    """Arrays of one kind ('int', 'float', 'uint8', 'bool') and a shape strategy."""
    return hnp.arrays(_DTYPES[kind], shape, elements=_ELEMENTS[kind])


@st.composite
def array_pair(draw, ndim: int, max_side: int = 8, max_kernel: int = 10):
    """Two arrays (signal/image, kernel) of independently drawn kinds and sizes.

    Sizes go from 1 (size-1 edges) to ``max_kernel`` for the kernel, so that
    kernels longer than the signal come up often.
    """
    kind_a = draw(st.sampled_from(KINDS))
    kind_b = draw(st.sampled_from(KINDS))
    shape_a = tuple(draw(st.integers(1, max_side)) for _ in range(ndim))
    shape_b = tuple(draw(st.integers(1, max_kernel)) for _ in range(ndim))
    return draw(arrays(kind_a, shape_a)), draw(arrays(kind_b, shape_b))


def computing_dtype(*arrays_: np.ndarray):
    """The course's rule: float64 if any input is float, else int64."""
    return np.float64 if any(a.dtype.kind == "f" for a in arrays_) else np.int64


def cast(*arrays_: np.ndarray) -> list[np.ndarray]:
    """Inputs cast to the computing dtype, as the oracle must see them."""
    dtype = computing_dtype(*arrays_)
    return [np.asarray(a).astype(dtype) for a in arrays_]


def assert_matches(actual, expected, *, exact: bool | None = None) -> None:
    """Same shape; integers identical with dtype int64, floats close in float64."""
    actual = np.asarray(actual)
    expected = np.asarray(expected)
    assert actual.shape == expected.shape, (actual.shape, expected.shape)
    if exact is None:
        exact = expected.dtype.kind in "biu"
    if exact:
        assert actual.dtype == np.int64, actual.dtype
        np.testing.assert_array_equal(actual, expected)
    else:
        assert actual.dtype == np.float64, actual.dtype
        np.testing.assert_allclose(actual, expected, rtol=1e-9, atol=1e-7)
