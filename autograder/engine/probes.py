"""Functions the grader hands to a learner's function as an argument.

``grad_check(f, x)`` takes a function: the grader calls the learner's
``grad_check`` with scalar functions whose gradient it knows.  A function
cannot cross the sandbox's boundary as such (only plain data does, see
:mod:`autograder.engine.codec`), so these are described by data and rebuilt,
as the same function, wherever they are decoded: in the learner's process,
where the learner's code calls them, and on the grader's side, where the
reference does.  Nothing here is secret: the learner's process holds the
coefficients of the functions it is given.
"""
from __future__ import annotations

import numpy as np

#: The most values a function's argument may have (the coefficients are this size squared).
MAX_SIZE = 256


class ScalarFunction:
    """``f(x) = sum(cubic * v**3) + v @ quadratic @ v / 2 + linear @ v + sum(wave * sin(v))`` with ``v = x.ravel()``.

    ``f`` takes an array of ``shape`` (anything NumPy turns into one) and
    returns a Python float; :meth:`gradient` is its exact gradient.  ``label``
    is what feedback shows for it (``f(x) = sum(x ** 2)``).
    """

    __slots__ = ("shape", "cubic", "quadratic", "linear", "wave", "label")

    def __init__(self, shape, *, cubic=None, quadratic=None, linear=None, wave=None, label: str = "f"):
        self.shape = tuple(int(n) for n in shape)
        size = int(np.prod(self.shape, dtype=np.int64))
        if not 0 < size <= MAX_SIZE or any(n < 1 for n in self.shape):
            raise ValueError(f"a probe function takes 1 to {MAX_SIZE} values, not shape {self.shape}")

        def vector(value):
            out = np.zeros(size) if value is None else np.array(value, dtype=np.float64).reshape(size)
            if not np.all(np.isfinite(out)):
                raise ValueError("a probe function's coefficients must be finite")
            return out

        self.cubic, self.linear, self.wave = vector(cubic), vector(linear), vector(wave)
        matrix = np.zeros((size, size)) if quadratic is None else np.array(quadratic, dtype=np.float64).reshape(size, size)
        if not np.all(np.isfinite(matrix)):
            raise ValueError("a probe function's coefficients must be finite")
        self.quadratic = (matrix + matrix.T) / 2
        self.label = str(label)[:200]

    def _point(self, x) -> np.ndarray:
        v = np.asarray(x, dtype=np.float64)
        if v.shape != self.shape:
            raise ValueError(f"this function takes an array of shape {self.shape}, like the x it came with; it was given shape {v.shape}")
        return v.reshape(-1)

    def __call__(self, x) -> float:
        v = self._point(x)
        return float(np.sum(self.cubic * v ** 3) + v @ self.quadratic @ v / 2 + self.linear @ v + np.sum(self.wave * np.sin(v)))

    def gradient(self, x) -> np.ndarray:
        """The exact gradient at ``x``, shaped like ``x``."""
        v = self._point(x)
        return (3 * self.cubic * v ** 2 + self.quadratic @ v + self.linear + self.wave * np.cos(v)).reshape(self.shape)

    def __repr__(self) -> str:
        return self.label

    # -- as plain data ---------------------------------------------------------
    def plain(self) -> list:
        """What crosses the boundary (see :meth:`from_parts`)."""
        return [list(self.shape), self.cubic, self.quadratic, self.linear, self.wave, self.label]

    @classmethod
    def from_parts(cls, parts) -> "ScalarFunction":
        """The function :meth:`plain` described; ``ValueError`` for anything else."""
        if not isinstance(parts, list) or len(parts) != 6:
            raise ValueError("malformed probe function")
        shape, cubic, quadratic, linear, wave, label = parts
        if not isinstance(shape, list) or not 0 < len(shape) <= 4 or not all(type(n) is int for n in shape) or not isinstance(label, str):
            raise ValueError("malformed probe function")
        if not all(isinstance(a, np.ndarray) and a.dtype == np.float64 for a in (cubic, quadratic, linear, wave)):
            raise ValueError("malformed probe function")
        return cls(shape, cubic=cubic, quadratic=quadratic, linear=linear, wave=wave, label=label)
