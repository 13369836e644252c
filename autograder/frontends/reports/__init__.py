"""What an instructor and each learner read after ``autograder grade``.

* :mod:`.classreport` -- ``autograder report GRADES_DIR...``: the class at a
  glance, as one self-contained HTML page (figures embedded as data URIs, no
  script, no network), the same figures as PNG files and a Markdown summary.
* :mod:`.feedback` -- one learner's feedback as a self-contained HTML page
  (beside the Markdown one): verdicts, messages, the learner's own code of a
  failed exercise with the failing line marked, and pictures of expected /
  got / difference for a failed 2-D worked example.
* :mod:`.export` -- ``autograder export --format canvas|csv``: a file Canvas's
  gradebook import accepts, or a plain CSV.

Everything here reads the output folders of ``autograder grade`` (the JSON
reports and ``submissions.json``); nothing here grades or runs learner code.
Hidden checks appear by their labels only: the reports' feedback describes
hidden inputs by dtype and shape, never by value, and nothing here adds any.
"""
