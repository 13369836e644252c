"""Progress of a batch: a bar on a terminal, plain log lines elsewhere.

On a terminal (stderr is a TTY) this is tqdm's bar.  When stderr is not a
terminal (CI, a cluster job writing to a log file) a bar would print
carriage returns into the log, so one plain line is written every ``every``
submissions (default: about every 10% of the batch, at least every 25) and
one at the end::

    autograder: graded 50/400 (12.5%): 3 with errors, 1 timed out, 0 forbidden; 4.1/s, ETA 0:01:25

The counts are of submissions with at least one exercise in that status.
"""
from __future__ import annotations

import sys
import time
from datetime import timedelta


def default_every(total: int) -> int:
    return max(1, min(25, -(-total // 10)))


class Progress:
    """``update(report)`` once per finished submission, ``close()`` at the end."""

    def __init__(self, total: int, enabled: bool = True, *, desc: str = "grading", stream=None, every: int | None = None, tty: bool | None = None):
        self.total = total
        self.stream = stream if stream is not None else sys.stderr
        self.enabled = enabled and total > 0
        is_tty = tty if tty is not None else _isatty(self.stream)
        self.every = every or default_every(total)
        self.done = 0
        self.counts = {"error": 0, "timeout": 0, "forbidden": 0}
        self.started = time.monotonic()
        self._last_line = 0
        self._bar = None
        if self.enabled and is_tty:
            from tqdm import tqdm

            self._bar = tqdm(total=total, desc=desc, unit="nb", dynamic_ncols=True, smoothing=0.1, file=self.stream)

    def update(self, report: dict | None = None) -> None:
        self.done += 1
        if report is not None:
            statuses = {e.get("status") for e in report.get("exercises", [])}
            for status in self.counts:
                self.counts[status] += status in statuses
        if not self.enabled:
            return
        if self._bar is not None:
            self._bar.update(1)
        elif self.done - self._last_line >= self.every or self.done == self.total:
            self._line()

    def line(self) -> str:
        elapsed = max(1e-9, time.monotonic() - self.started)
        rate = self.done / elapsed
        left = self.total - self.done
        eta = str(timedelta(seconds=round(left / rate))) if rate > 0 and left > 0 else "0:00:00"
        share = 100.0 * self.done / self.total if self.total else 100.0
        c = self.counts
        return (f"autograder: graded {self.done}/{self.total} ({share:.1f}%): {c['error']} with errors, "
                f"{c['timeout']} timed out, {c['forbidden']} forbidden; {rate:.1f}/s, ETA {eta}")

    def _line(self) -> None:
        self._last_line = self.done
        try:
            print(self.line(), file=self.stream, flush=True)
        except (OSError, ValueError):  # a closed log must not stop grading
            pass

    def close(self) -> None:
        if self._bar is not None:
            self._bar.close()
            self._bar = None
        elif self.enabled and self.done and self._last_line != self.done:
            self._line()


def _isatty(stream) -> bool:
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError):
        return False
