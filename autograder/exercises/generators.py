"""Random inputs for hidden checks, each labelled with what makes it interesting.

Every generator takes the seeded ``numpy.random.Generator`` of one exercise
(see :func:`autograder.engine.prepare.case_rng`) and returns inputs that
cover the catalog's ground: odd and even sizes, a kernel longer than the
signal, size-1 edges, negative and float values, integer dtypes including
``uint8`` (large enough to wrap around if computed in ``uint8``), and sizes
beyond the small worked examples (signals longer than 64 samples, images
larger than 32x32), kept small enough that a learner's plain Python loops
finish well within the exercise's time limit.
"""
from __future__ import annotations

from typing import Callable

import numpy as np

#: Value kinds of random arrays, with the label shown in feedback.
KINDS = {
    "int": "small integers",
    "neg": "negative integers",
    "float": "float values",
    "uint8": "uint8 values",
}
#: Value kinds of the large hidden cases: integers that overflow uint8 arithmetic.
LARGE_KINDS = {
    "big": "int64 values from -3000 to 3000",
    "uint8": "uint8 values",
}
#: Lengths of the long 1-D signals and sides of the large images.
LONG_1D = (70, 101)
LARGE_ROWS, LARGE_COLS = (33, 38), (38, 45)


def values(rng: np.random.Generator, shape, kind: str) -> np.ndarray:
    """A random array of the given kind (see :data:`KINDS`)."""
    if kind == "int":
        return rng.integers(0, 10, size=shape).astype(np.int64)
    if kind == "neg":
        return rng.integers(-9, 10, size=shape).astype(np.int64)
    if kind == "float":
        return np.round(rng.normal(0.0, 3.0, size=shape), 3)
    if kind == "uint8":
        return rng.integers(100, 256, size=shape).astype(np.uint8)
    if kind == "big":
        return rng.integers(-3000, 3001, size=shape).astype(np.int64)
    raise ValueError(f"unknown kind {kind!r}")


def large_shape(rng: np.random.Generator) -> tuple[int, int]:
    """An image shape beyond 32x32 (33 to 37 rows, 38 to 44 columns)."""
    return int(rng.integers(*LARGE_ROWS)), int(rng.integers(*LARGE_COLS))


def long_pairs_1d(rng: np.random.Generator) -> list[tuple[str, np.ndarray, np.ndarray]]:
    """(label, signal, kernel) pairs with a signal (or kernel) longer than 64 samples."""
    n, m = (int(v) for v in rng.integers(*LONG_1D, size=2))
    return [
        (f"a long signal ({n} samples), {LARGE_KINDS['big']}", values(rng, n, "big"), values(rng, int(rng.integers(3, 10)), "big")),
        (f"a long signal ({m} samples) and kernel, {LARGE_KINDS['uint8']}", values(rng, m, "uint8"), values(rng, int(rng.integers(4, 12)), "uint8")),
        (f"a kernel of {n} samples, longer than the signal, {LARGE_KINDS['big']}", values(rng, int(rng.integers(5, 12)), "big"), values(rng, n, "big")),
    ]


def large_pairs_2d(rng: np.random.Generator, *, odd_kernels: bool = False) -> list[tuple[str, np.ndarray, np.ndarray]]:
    """(label, image, kernel) pairs with images larger than 32x32, in int64 and uint8.

    ``odd_kernels`` keeps kernel sides odd.
    """
    kernels = [(3, 3), (4, 5), (5, 3)] if not odd_kernels else [(3, 3), (5, 5), (5, 3)]
    out = []
    for kind, kernel_shape in zip(("big", "uint8", "big"), kernels):
        shape = large_shape(rng)
        label = f"a {shape[0]}x{shape[1]} image, {kernel_shape[0]}x{kernel_shape[1]} kernel, {LARGE_KINDS[kind]}"
        out.append((label, values(rng, shape, kind), values(rng, kernel_shape, kind)))
    return out


def pairs_1d(rng: np.random.Generator) -> list[tuple[str, np.ndarray, np.ndarray]]:
    """(label, signal, kernel) pairs for 1-D convolution."""
    sizes = [
        ("odd signal, odd kernel", 7, 3),
        ("even signal, even kernel", 8, 4),
        ("odd signal, even kernel", 9, 2),
        ("even signal, odd kernel", 6, 5),
        ("kernel longer than the signal", 3, 7),
        ("kernel as long as the signal", 5, 5),
        ("signal of length 1", 1, 4),
        ("kernel of length 1", 6, 1),
        ("both of length 1", 1, 1),
    ]
    out = []
    kinds = list(KINDS)
    for n, (label, size_x, size_h) in enumerate(sizes):
        kind = kinds[n % len(kinds)]
        out.append((f"{label}, {KINDS[kind]}", values(rng, size_x, kind), values(rng, size_h, kind)))
    out.append(("uint8 signal and kernel, large values", values(rng, 12, "uint8"), values(rng, 5, "uint8")))
    out.append(("float signal, integer kernel", values(rng, 10, "float"), values(rng, 4, "neg")))
    return out


def pairs_2d(rng: np.random.Generator, *, odd_kernels: bool = False, kernel_fits: bool = False) -> list[tuple[str, np.ndarray, np.ndarray]]:
    """(label, image, kernel) pairs for 2-D convolution.

    ``odd_kernels`` keeps kernel sides odd; ``kernel_fits`` keeps the kernel
    no larger than the image in either direction.
    """
    shapes = [
        ("square image, 3x3 kernel", (5, 5), (3, 3)),
        ("wide image, 1x2 kernel", (4, 7), (1, 2)),
        ("tall image, 2x3 kernel", (6, 3), (2, 3)),
        ("even-sided image and kernel", (6, 8), (2, 4)),
        ("kernel larger than the image", (2, 3), (4, 5)),
        ("1x1 kernel", (3, 4), (1, 1)),
        ("1xN image", (1, 6), (1, 3)),
        ("Nx1 image", (5, 1), (3, 1)),
        ("5x5 kernel", (7, 6), (5, 5)),
    ]
    out = []
    kinds = list(KINDS)
    for n, (label, image_shape, kernel_shape) in enumerate(shapes):
        if odd_kernels and any(side % 2 == 0 for side in kernel_shape):
            kernel_shape = tuple(side + 1 if side % 2 == 0 else side for side in kernel_shape)
            label = label.replace("even-sided image and kernel", "even-sided image").replace("1x2", "1x3").replace("2x3", "3x3")
        if kernel_fits and any(k > i for k, i in zip(kernel_shape, image_shape)):
            image_shape = tuple(max(i, k) for i, k in zip(image_shape, kernel_shape))
            label = label.replace("kernel larger than the image", "kernel as large as the image")
        kind = kinds[n % len(kinds)]
        out.append((f"{label}, {KINDS[kind]}", values(rng, image_shape, kind), values(rng, kernel_shape, kind)))
    image_shape = (6, 6)
    out.append(("uint8 image and kernel, large values", values(rng, image_shape, "uint8"), values(rng, (3, 3), "uint8")))
    return out


def pick(rng: np.random.Generator, options: list) -> object:
    return options[int(rng.integers(len(options)))]


def matches_any(candidates: Callable[..., list]) -> Callable:
    """A ``detect`` function: the learner's output equals one of ``candidates(*args)``."""
    from ..engine.compare import compare

    def detect(case, got) -> bool:
        return any(candidate is not None and compare(candidate, got) is None for candidate in candidates(*case.args, **case.kwargs))

    return detect


def same_values(expected, got) -> bool:
    """For value exercises: does ``got`` equal ``expected`` as the grader compares?"""
    from ..engine.compare import compare

    return compare(expected, got) is None
