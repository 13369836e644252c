"""Grade tasks on a Dask distributed cluster.

The unit of work is the same as locally (:func:`~autograder.grading.work.grade_task`
on a plain-dict task, which carries the notebook's bytes so that workers need
not see this machine's files); Dask schedules it, and results (plain JSON
dicts) come back to this process as they complete, where they are written.

``scheduler="local"`` starts a :class:`~distributed.LocalCluster` with one
single-threaded worker process per requested worker; any other value is the
address of a running scheduler (``tcp://host:8786``).  Workers need this
package installed (same version) and run the sandbox as they would locally:
a fork server per worker process and, when the worker runs as root, the
per-slot users of :mod:`autograder.sandbox.identity`.
"""
from __future__ import annotations

import multiprocessing
from typing import Callable

from .run_local import progress_bar
from .work import grade_task


def grade_on_worker(task: dict) -> dict:
    """:func:`grade_task` on a Dask worker.

    Dask's worker processes are daemonic by default, and multiprocessing
    refuses to start processes from a daemonic one.  The sandbox's children
    come from a fork server and are always killed by their session (and see
    end-of-file on their pipe if the worker dies), which is what that rule
    protects, so the flag is lifted in the worker.
    """
    process = multiprocessing.current_process()
    if process.daemon:
        process._config["daemon"] = False  # see the docstring
    return grade_task(task)


def run_dask(tasks: list[dict], *, scheduler, workers: int, on_result: Callable[[dict], None], progress: bool = False) -> None:
    import dask
    from distributed import Client, LocalCluster, as_completed

    cluster = None
    with dask.config.set({"distributed.worker.daemon": False}):
        if scheduler == "local":
            cluster = LocalCluster(n_workers=max(1, workers), threads_per_worker=1, processes=True, dashboard_address=None)
            client = Client(cluster)
        elif isinstance(scheduler, Client):
            client = scheduler
        else:
            client = Client(scheduler)
    own_client = not isinstance(scheduler, Client)
    bar = progress_bar(len(tasks), progress)
    futures = []
    try:
        futures = client.map(grade_on_worker, tasks, pure=False)
        for future in as_completed(futures):
            report = future.result()
            future.release()
            on_result(report)
            bar.update(report)
    except BaseException:
        try:
            client.cancel(futures)
        except Exception:
            pass
        raise
    finally:
        bar.close()
        if own_client:
            client.close()
        if cluster is not None:
            cluster.close()
