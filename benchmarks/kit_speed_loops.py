"""The learner kit's stand-in for the loop version of conv_forward, timed beside the real one.

The grader times :func:`autograder.references.scratch.conv_forward_loops` (four nested
loops, one output value at a time) on 06's speed batch and asks a learner's
``conv_forward`` to be at least 10 times faster.  A learner kit holds no
convolution, so it times :func:`autograder.exercises.cnn_scratch_detect.window_loops_seconds`
instead: the same loops and per-step work on random blocks.  This prints both, in
the same process, on the same batch shape, a few times over::

    python benchmarks/kit_speed_loops.py [--repeats 5]
"""
from __future__ import annotations

import argparse
import statistics
import time

from autograder.exercises import cnn_scratch as declared
from autograder.exercises.cnn_scratch_detect import window_loops_seconds
from autograder.references import scratch as nn

SAMPLE = 8  # images timed, as both judges do, scaled to the batch's 64


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    X, W, b = declared.SPEED_X, declared.SPEED_W, declared.SPEED_B
    ratios = []
    print(f"batch {X.shape}, filters {W.shape}, padding 1; loops timed on {SAMPLE} images and scaled to {len(X)}")
    for run in range(args.repeats):
        started = time.perf_counter()
        nn.conv_forward_loops(X[:SAMPLE], W, b, 1, 1)
        reference = (time.perf_counter() - started) * len(X) / SAMPLE
        kit = window_loops_seconds(X.shape, W.shape, 1, SAMPLE)
        ratios.append(kit / reference)
        print(f"run {run + 1}: grader's loops (baseline) {reference * 1000:.0f} ms, kit's stand-in {kit * 1000:.0f} ms, "
              f"stand-in / baseline {kit / reference:.3f}")
    print(f"median stand-in / baseline: {statistics.median(ratios):.3f} (1.0 = the kit asks exactly what the grader asks)")


if __name__ == "__main__":
    main()
