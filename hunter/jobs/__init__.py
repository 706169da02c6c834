"""Background jobs (bulk scan, rescan, import) behind one interface, ``JobRunner``.

``InProcessRunner`` is the embedded default; a Celery runner will implement the same
``submit``/``status``/``cancel``/``resume_pending``/``close``.  See docs/jobs.md.
"""

from .base import JobNotFound, JobRunner, JobStatus
from .inprocess import InProcessRunner, JobExecution
from .tasks import TASKS, ItemTask

__all__ = ["TASKS", "InProcessRunner", "ItemTask", "JobExecution", "JobNotFound", "JobRunner",
           "JobStatus"]
