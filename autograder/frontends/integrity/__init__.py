"""``autograder integrity``: pairs of students worth a second look, each with its evidence.

* :mod:`.collect` -- the submissions (found as ``autograder grade`` finds
  them), each one's code per exercise, and the course's own code: the
  released notebook (removed before comparing), the reference
  implementations and the solution notebook.
* :mod:`.fingerprint` -- code normalised (names, comments, layout, statement
  order) and fingerprinted by winnowing (copydetect).
* :mod:`.probe` -- every submission run in the sandbox on probe inputs drawn
  from a seed nobody saw, its wrong answers kept.
* :mod:`.evidence` -- each kind of evidence weighed against the class itself;
  pairs ranked and flagged.
* :mod:`.variants` -- where per-student on-paper answers come from, when a
  course has them.
* :mod:`.page` -- ``index.html`` (self-contained, side by side with matched
  lines marked), ``pairs.csv`` and ``integrity.json`` (read by the class
  report's "Integrity" section).

Nothing here changes a grade.
"""
