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
from .cnn import (ACTIVATIONS, POOL_MODES, conv2d_layer, conv2d_layer_backward, corr2d,
                  corr2d_multi_in, corr2d_multi_in_out, learn_kernel, learn_kernel_losses,
                  pool2d, pool2d_backward)
from .conv1d import MODES, conv1d, conv1d_mode, output_length
from .conv2d import BOUNDARIES, conv2d, conv2d_same, pad2d
from .images import KERNELS, edge_map, filter_image, load_grayscale, save_png, to_uint8
from .shapes import (LAYER_NAMES, both_orders, conv_output_size, conv_params,
                     correlate_then_shift, model_summary, pool_output_size, receptive_field,
                     shift2d, shift_then_correlate, tf_padding, total_params)

__all__ = [
    # 01-conv1d
    "conv1d", "conv1d_mode", "output_length", "MODES",
    # 02-conv2d
    "conv2d", "pad2d", "conv2d_same", "BOUNDARIES",
    # 03-cnn-layers
    "corr2d", "corr2d_multi_in", "corr2d_multi_in_out", "conv2d_layer", "conv2d_layer_backward",
    "pool2d", "pool2d_backward", "learn_kernel", "learn_kernel_losses", "POOL_MODES", "ACTIVATIONS",
    # 04-shapes
    "conv_output_size", "tf_padding", "pool_output_size", "conv_params",
    "model_summary", "total_params", "receptive_field", "LAYER_NAMES",
    "shift2d", "shift_then_correlate", "correlate_then_shift", "both_orders",
    # 05-image-filters
    "load_grayscale", "KERNELS", "filter_image", "to_uint8", "edge_map", "save_png",
]
