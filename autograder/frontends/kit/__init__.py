"""The learner kit: ``autograder build-kit`` compiles the course into a wheel that holds no solutions.

- :mod:`.compile`: each exercise, for course.yml's public seed, as data;
- :mod:`.forms`: how detectors and judges that call references become data, and which functions may ship as code;
- :mod:`.portable`: those functions copied into the kit, their data beside them;
- :mod:`.build`: the wheel.

Instructor side only: nothing here ships in the kit.
"""
