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

# When the grader runs as root, the child runs as an unprivileged uid that may be
# unable to read the Python installation (a Python under /root, mode 700): it can
# then only use modules imported here, before the fork. So warm the standard
# library a learner plausibly imports, and the lazily loaded parts of the above.
import importlib  # noqa: E402

for _name in (
    "math", "cmath", "statistics", "fractions", "decimal", "numbers", "random", "itertools", "functools",
    "operator", "collections", "collections.abc", "heapq", "bisect", "copy", "string", "re", "textwrap",
    "glob", "fnmatch", "pathlib", "io", "time", "typing", "dataclasses", "enum", "array", "struct",
    "warnings", "pprint", "json", "csv", "datetime", "contextlib", "abc", "traceback", "timeit",
    "numpy.linalg", "numpy.random", "numpy.lib.stride_tricks", "numpy.testing",
    "scipy.linalg", "scipy.misc", "scipy.fft", "scipy.stats",
    "PIL.ImageOps", "PIL.ImageDraw", "PIL.ImageChops", "PIL.ImageMath", "PIL.ImageStat", "PIL.ImageEnhance",
):
    try:
        importlib.import_module(_name)
    except ImportError:  # an optional or removed module in this version
        pass
PIL.Image.init()  # registers every image format plugin now rather than at first open

try:  # plotting is optional for grading; a notebook that plots starts faster with it
    import matplotlib  # noqa: E402

    matplotlib.use("Agg")
    import matplotlib.pyplot  # noqa: E402,F401

    # Draw one figure so that the lazily imported drawing code is loaded too.
    _figure, _axes = matplotlib.pyplot.subplots(1, 2)
    _axes[0].imshow(numpy.zeros((2, 2)), cmap="gray")
    _axes[1].plot([0, 1])
    _figure.canvas.draw()
    matplotlib.pyplot.close(_figure)
except ImportError:  # pragma: no cover - matplotlib is a dependency
    pass

import autograder.sandbox.child  # noqa: E402,F401
from autograder.sandbox import confine  # noqa: E402

# Children fork from here: keep same-user processes (other children) out of this
# process's memory and, by inheritance, out of each other's.
confine.not_dumpable()
