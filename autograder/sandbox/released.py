"""Imported first by multiprocessing's own fork server of the sandbox, and only there.

That server is a fresh Python that inherits the grader's standard streams and
loads every library before it serves (:mod:`autograder.sandbox.preload`). A
caller reading the grader's output through a pipe (``autograder grade ... |
tee``, CI, a script) would wait for it; its children write their output into
their own folders, so its streams go to /dev/null before anything else.
"""
from autograder.sandbox.servers import release_streams

release_streams()
