"""Grade tasks in parallel on this machine: a pool of threads, one sandbox each.

The learner's code runs in sandboxed child processes, so threads are enough
to keep every core busy: a thread only sends inputs, waits and compares.
Results are handed to ``on_result`` (which writes them) in this thread, as
each submission finishes.

Ctrl-C: no new submission is started, every running sandbox is killed, the
submissions that were in progress are dropped (their verdicts would come from
killed children), and :class:`KeyboardInterrupt` is raised again once the
threads have stopped.  Everything already passed to ``on_result`` is kept.
"""
from __future__ import annotations

import sys
from concurrent.futures import FIRST_COMPLETED, ThreadPoolExecutor, wait
from typing import Callable

from .progress import Progress
from .work import Batch, Cancelled, grade_task


def progress_bar(total: int, enabled: bool, desc: str = "grading") -> Progress:
    """Progress on stderr: tqdm's bar on a terminal, else one plain line per few submissions (:mod:`.progress`)."""
    return Progress(total, enabled, desc=desc, stream=sys.stderr)


def run_local(tasks: list[dict], *, workers: int, on_result: Callable[[dict], None], progress: bool = False) -> None:
    batch = Batch()
    bar = progress_bar(len(tasks), progress)
    pool = ThreadPoolExecutor(max_workers=max(1, workers), thread_name_prefix="autograder-grade")
    try:
        pending = {pool.submit(grade_task, task, batch=batch) for task in tasks}
        while pending:
            done, pending = wait(pending, timeout=0.25, return_when=FIRST_COMPLETED)
            for future in done:
                try:
                    report = future.result()
                except Cancelled:
                    continue
                on_result(report)
                bar.update(report)
    except BaseException:
        batch.cancel()
        pool.shutdown(wait=True, cancel_futures=True)
        raise
    finally:
        pool.shutdown(wait=True)
        bar.close()
