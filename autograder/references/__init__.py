"""Trusted reference implementations of every function exercise of the course.

The grader compares learners' answers with these.  They are vectorised NumPy,
written without the library routines they are checked against
(``numpy.convolve``/``correlate``, ``scipy.signal``, ``scipy.ndimage``, FFTs),
so that the tests in ``tests/references`` can use those routines as
independent oracles.

Conventions shared by all functions: inputs may be lists or arrays and are
never modified; integer and boolean inputs are computed in ``int64`` (``uint8``
never wraps around), other real inputs in ``float64``; complex input and bad
arguments raise ``ValueError`` with a message naming the argument.
"""
from .cnn import (POOL_MODES, conv2d_layer, corr2d, corr2d_multi_in,
                  corr2d_multi_in_out, learn_kernel, learn_kernel_losses, pool2d)
from .conv1d import MODES, conv1d, conv1d_mode, output_length
from .conv2d import BOUNDARIES, conv2d, conv2d_same, pad2d
from .images import KERNELS, edge_map, filter_image, load_grayscale, save_png, to_uint8
from .shapes import (LAYER_NAMES, conv_output_size, conv_params, model_summary,
                     pool_output_size, tf_padding, total_params)

__all__ = [
    # 01-conv1d
    "conv1d", "conv1d_mode", "output_length", "MODES",
    # 02-conv2d
    "conv2d", "pad2d", "conv2d_same", "BOUNDARIES",
    # 03-cnn-layers
    "corr2d", "corr2d_multi_in", "corr2d_multi_in_out", "conv2d_layer", "pool2d",
    "learn_kernel", "learn_kernel_losses", "POOL_MODES",
    # 04-shapes
    "conv_output_size", "tf_padding", "pool_output_size", "conv_params",
    "model_summary", "total_params", "LAYER_NAMES",
    # 05-image-filters
    "load_grayscale", "KERNELS", "filter_image", "to_uint8", "edge_map", "save_png",
]
