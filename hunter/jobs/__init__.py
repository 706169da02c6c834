"""Background jobs (bulk scan, rescan, import) behind one interface, ``JobRunner``.

``InProcessRunner`` is the embedded default; a Celery runner will implement the same
``submit``/``status``/``cancel``/``resume_pending``/``close``.  See docs/jobs.md.
"""

from .base import JobCancelled, JobInterrupted, JobNotFound, JobRunner, JobScope, JobStatus, JobStopped
from .inprocess import InProcessRunner, JobExecution
from .tasks import JOB_TASKS, TASKS, ItemTask, JobTask

__all__ = ["JOB_TASKS", "TASKS", "InProcessRunner", "ItemTask", "JobCancelled", "JobExecution",
           "JobInterrupted", "JobNotFound", "JobRunner", "JobScope", "JobStatus", "JobStopped",
           "JobTask"]
