"""Import side effects queued after commit (core/tasks.py): the follow-ups of a committed job's records."""

from django_tasks import task

from sentinelle.core.tasks import retried
from sentinelle.ingest.models import ImportJob
from sentinelle.ingest.services import import_job_follow_up, worker_name


@task()
@retried
def import_job_follow_up_run(*, job_id: int) -> int:
    """Duplicates, then alerts, for the records the job committed (kinds.follow_up), set-based for the
    whole file; the records followed up. Safe to run again: the job forgets its records once done, and
    both skip what they already found."""
    job = ImportJob.objects.filter(pk=job_id).first()
    if job is None:
        return 0
    return import_job_follow_up(job=job, worker=worker_name("task"))
