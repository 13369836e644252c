"""nbgrader, driven from course.yml (:mod:`.bridge`)."""
