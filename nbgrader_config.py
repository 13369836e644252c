# nbgrader configuration of the course 'convolutions'.
#
# GENERATED from course.yml by `autograder nbgrader-config`: do not edit;
# change course.yml and run `autograder nbgrader-config` again.
# The course root is the folder of this file, wherever the repository lives.
import os

c = get_config()  # noqa: F821 (provided by nbgrader when it loads this file)

c.CourseDirectory.root = os.path.dirname(os.path.abspath(__file__))
c.CourseDirectory.course_id = 'convolutions'  # course.yml: id
c.CourseDirectory.source_directory = 'solutions'  # instructor notebooks, with solutions and hidden tests
c.CourseDirectory.release_directory = 'assignments'  # what learners get (made by `autograder release`)
c.ClearSolutions.code_stub = {'python': '# YOUR CODE HERE\nraise NotImplementedError()'}  # what replaces a solution; `autograder check` reports it as not-implemented
c.ClearSolutions.text_stub = 'YOUR ANSWER HERE'
c.ClearSolutions.enforce_metadata = True
c.Execute.timeout = 120  # seconds per cell: course.yml grading.submission_timeout
c.Execute.interrupt_on_timeout = True
c.Autograde.sanitize_preprocessors = ['autograder.frontends.nbgrader.submitted.RestoreCellMetadata', 'nbgrader.preprocessors.ClearOutput', 'nbgrader.preprocessors.DeduplicateIds', 'nbgrader.preprocessors.OverwriteKernelspec', 'nbgrader.preprocessors.OverwriteCells', 'nbgrader.preprocessors.CheckCellMetadata']  # nbgrader's list after the instructor's cell metadata is restored: no learner's notebook stops the run
c.Autograde.autograde_preprocessors = ['autograder.frontends.nbgrader.autograde.SandboxGrade', 'nbgrader.preprocessors.IgnorePattern', 'nbconvert.preprocessors.ClearMetadataPreprocessor', 'nbgrader.preprocessors.LimitOutput', 'nbgrader.preprocessors.SaveAutoGrades', 'nbgrader.preprocessors.AssignLatePenalties', 'nbgrader.preprocessors.CheckCellMetadata']  # nbgrader's list with Execute replaced: grading runs in autograder's sandbox, never in the learner's kernel
c.GenerateFeedback.preprocessors = ['nbgrader.preprocessors.GetGrades', 'nbconvert.preprocessors.CSSHTMLHeaderPreprocessor', 'autograder.frontends.nbgrader.feedback.SanitizeFeedback']  # nbgrader's list, then the learner's raw cells and outputs made inert
c.GenerateFeedback.exporter_class = 'autograder.frontends.nbgrader.feedback.FeedbackExporter'  # feedback pages: Markdown sanitized, no script runs (Content-Security-Policy)
c.CourseDirectory.db_url = "sqlite:///" + os.path.join(c.CourseDirectory.root, 'gradebook.db')
c.Exchange.root = os.path.join(c.CourseDirectory.root, 'exchange')  # nbgrader release_assignment / collect, inside the course folder

# nbgrader autograde: read submissions as `autograder grade` does (no link a learner made
# is followed, nothing reached through one is copied; see autograder.frontends.nbgrader.submitted),
# and start the sandbox's fork servers now, before nbgrader reads any submission (they are
# copies of this process; see autograder.sandbox.servers).
import sys  # noqa: E402

if "autograde" in sys.argv[1:3]:
    from autograder.frontends.nbgrader.autograde import start_servers
    from autograder.frontends.nbgrader.submitted import install

    install()
    start_servers()
