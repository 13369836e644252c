"""What a fork server loads once, so that every sandboxed child starts warm.

Only libraries a learner's notebook uses, and the child's own loop: nothing
here may import the references or the exercise declarations.

When the grader runs as root, the child runs as an unprivileged uid that may
be unable to read the Python installation (a Python under /root, mode 700):
it can then only use modules loaded before the fork.  So the standard library
a learner plausibly imports is loaded too, and the lazily loaded parts of the
libraries.

The long-lived servers of class grading load everything (:data:`FULL`,
through :mod:`autograder.sandbox.preload`); a server for one notebook's
self-check loads :data:`BASE` and the modules that notebook imports.
"""
from __future__ import annotations

import importlib
import os

#: the standard library a learner plausibly imports, NumPy, and the child's loop
BASE = (
    "math", "cmath", "statistics", "fractions", "decimal", "numbers", "random", "itertools", "functools",
    "operator", "collections", "collections.abc", "heapq", "bisect", "copy", "string", "re", "textwrap",
    "glob", "fnmatch", "pathlib", "io", "time", "typing", "dataclasses", "enum", "array", "struct",
    "warnings", "pprint", "json", "csv", "datetime", "contextlib", "abc", "traceback", "timeit", "shutil",
    "zipfile", "encodings.cp437",  # np.load of an .npz (06's digits): zipfile decodes member names with cp437
    "numpy", "numpy.fft", "numpy.linalg", "numpy.random", "numpy.lib.stride_tricks", "numpy.polynomial",
    "autograder.sandbox.child",
)
#: what a notebook of this course may import besides: SciPy, Pillow, Matplotlib
LIBRARIES = (
    "numpy.testing", "scipy", "scipy.signal", "scipy.ndimage", "scipy.linalg", "scipy.fft", "scipy.stats",
    "PIL", "PIL.Image", "PIL.ImageFilter", "PIL.PngImagePlugin", "PIL.JpegImagePlugin", "PIL.ImageOps",
    "PIL.ImageDraw", "PIL.ImageChops", "PIL.ImageMath", "PIL.ImageStat", "PIL.ImageEnhance",
    "matplotlib", "matplotlib.pyplot", "matplotlib.backends.backend_agg",
)
FULL = BASE + LIBRARIES
#: a notebook importing one of these (top-level package) gets the rest of its family loaded too
_FAMILIES = {"scipy": ("scipy.signal", "scipy.ndimage", "scipy.linalg", "scipy.fft", "scipy.stats"),
             "PIL": tuple(n for n in LIBRARIES if n.startswith("PIL")),
             "matplotlib": ("matplotlib", "matplotlib.pyplot", "matplotlib.backends.backend_agg")}


def environment() -> None:
    os.environ.setdefault("MPLBACKEND", "Agg")
    for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ.setdefault(var, "1")


def for_imports(modules) -> tuple[str, ...]:
    """What to load for a notebook that imports ``modules`` (besides :data:`BASE`).

    A package imported by itself (``import scipy``, then ``scipy.ndimage...``)
    brings the rest of its family, which the learner's code may reach as
    attributes; a package whose submodules are named (``from scipy import
    signal``) brings just those.
    """
    modules = set(modules)
    wanted = []
    for name in sorted(modules):
        wanted.append(name)
        if name in _FAMILIES and not any(other.startswith(name + ".") for other in modules):
            wanted += _FAMILIES[name]
    return tuple(dict.fromkeys(n for n in wanted if not n.startswith("autograder")))


def load(names, *, draw: bool = True) -> None:
    """Import ``names`` (those that exist), then warm Pillow and Matplotlib if loaded.

    ``draw``: draw a figure once, so that what Matplotlib imports only when it
    first draws (its Agg backend, fonts) is loaded too: a sealed server refuses
    fresh imports, and a child running as another user may be unable to read a
    Python under /root, so a course cell that plots would fail there, and the
    learner be told about a cell they never wrote (about 0.15 s per server).
    """
    import sys

    environment()
    for name in names:
        if name in sys.modules:
            continue
        try:
            importlib.import_module(name)
        except Exception:  # an optional or removed module, or one the learner misspelled
            pass
    if "PIL.Image" in sys.modules:
        sys.modules["PIL.Image"].init()  # every image format plugin now rather than at first open
    if draw and "matplotlib.pyplot" in sys.modules:
        _warm_matplotlib()
    from autograder.sandbox import confine

    # Children fork from here: keep same-user processes (other children) out of this
    # process's memory and, by inheritance, out of each other's.
    confine.not_dumpable()


def _warm_matplotlib() -> None:
    import matplotlib
    import numpy

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    # Draw one figure so that the lazily imported drawing code is loaded too.
    figure, axes = plt.subplots(1, 2)
    axes[0].imshow(numpy.zeros((2, 2)), cmap="gray")
    axes[1].plot([0, 1])
    figure.canvas.draw()
    plt.close(figure)

