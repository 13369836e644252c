"""Imported by the long-lived fork servers of class grading: load everything (see :mod:`.warm`).

Nothing here may import the references or the exercise declarations.
"""
from autograder.sandbox.warm import FULL, load

load(FULL, draw=True)
