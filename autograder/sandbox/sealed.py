"""Preloaded by the fork servers of "by hand" children: seal the server once.

The server's environment names what to seal (``AUTOGRADER_SEAL``, a JSON list
of forbidden names, set by :func:`autograder.sandbox.session._server`); every
child forked from it starts without the library shortcuts
(:mod:`autograder.sandbox.seal`).  A child checks that its server was sealed
as it expects before running any learner code, so a seal that failed here
stops grading loudly instead of grading unsealed.
"""
import json
import os

from autograder.sandbox import seal

_wanted = json.loads(os.environ.get("AUTOGRADER_SEAL") or "[]")
if _wanted:
    seal.seal(tuple(_wanted))
