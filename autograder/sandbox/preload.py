"""Imported by the long-lived fork servers of class grading: load everything (see :mod:`.warm`).

Nothing here may import the references or the exercise declarations.
"""
from autograder.sandbox.servers import release_streams
from autograder.sandbox.warm import FULL, load

release_streams()  # a caller reading the grader's output through a pipe must not wait for this server
load(FULL, draw=True)
