"""The ways into the grader, each a thin layer over the same pipeline.

- :mod:`.cli`: the ``autograder`` command (check, demo, release, grade, ...);
- :mod:`.inline`: ``check()`` in the learner's own notebook;
- :mod:`.pytest_plugin`: ``pytest NOTEBOOK.ipynb``;
- :mod:`.nbgrader`: course.yml -> nbgrader, and nbgrader's autograde through the sandbox;
- :mod:`.grading`: ``autograder grade``, a whole class in the sandbox.

None of them re-implements a step of the pipeline
(:mod:`autograder.pipeline`: load -> extract -> run isolated -> compare ->
diagnose -> report); each only decides where notebooks come from and where
verdicts go.
"""
