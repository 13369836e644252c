"""Imported once by the fork server, so that every sandboxed child starts warm.

Only libraries a learner's notebook uses, and the child's own loop: nothing
here may import the references or the exercise declarations.
"""
import os

os.environ.setdefault("MPLBACKEND", "Agg")
for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import numpy  # noqa: E402,F401
import numpy.fft  # noqa: E402,F401
import scipy.ndimage  # noqa: E402,F401
import scipy.signal  # noqa: E402,F401
import PIL.Image  # noqa: E402,F401
import PIL.ImageFilter  # noqa: E402,F401
import PIL.PngImagePlugin  # noqa: E402,F401
import PIL.JpegImagePlugin  # noqa: E402,F401

try:  # plotting is optional for grading; a notebook that plots starts faster with it
    import matplotlib  # noqa: E402

    matplotlib.use("Agg")
    import matplotlib.pyplot  # noqa: E402,F401
except ImportError:  # pragma: no cover - matplotlib is a dependency
    pass

import autograder.sandbox.child  # noqa: E402,F401
