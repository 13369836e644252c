"""Library routines that a learner kit's judges call where the instructor's call a reference.

The judges of the edge kernels a learner designs (05-image-filters) measure a
kernel's response to test pictures with a cross-correlation.  The
instructor's judges take it from the references; copied into a learner kit
(:mod:`autograder.frontends.kit.portable`), they take it from SciPy here, so
that the kit holds no reference implementation.
"""
from __future__ import annotations

import numpy as np


def corr2d(X, K) -> np.ndarray:
    """'valid' cross-correlation of two 2-D arrays (SciPy's)."""
    from scipy import signal  # on first use: the registry imports this module and should not pay for SciPy

    return signal.correlate2d(np.asarray(X, dtype=float), np.asarray(K, dtype=float), mode="valid")
