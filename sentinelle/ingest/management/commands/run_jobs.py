"""The worker: claims waiting import jobs and queued tasks (row locks, skip locked) and runs them.

    python manage.py run_jobs            # run the jobs and tasks waiting now, then exit (cron)
    python manage.py run_jobs --once     # the same, said explicitly
    python manage.py run_jobs --loop     # keep running, polling every --sleep seconds

Any number of workers may run on any number of machines: each job is claimed by one, and a claim not
renewed within SENTINELLE["IMPORT_JOB_TIMEOUT_SECONDS"] (a dead worker) is taken over by another.
Between import jobs it runs the tasks due (core/tasks.py: mail, webhooks, alert notifications, follow-ups),
a few at a time, so one process does both; `manage.py db_worker` may run beside it for more throughput.
When idle, the worker also removes uploaded files that no job needs any more (services.files_purge) and
the throttle buckets untouched for a day (core/throttles.throttles_prune: they are full again).
With --loop it also anchors the audit chain's head outside the database every
SENTINELLE["AUDIT_ANCHOR_MINUTES"] when the log has moved (core/audit.py). Every pass records the worker's
heartbeat (at most every 30 s), which the health check reads (core/health.py).
"""

import logging
import signal
import time

from django.core.management.base import BaseCommand
from django.db import close_old_connections, connections
from django.db.utils import InterfaceError, OperationalError

from sentinelle.core.audit import AnchorSchedule
from sentinelle.core.health import WORKER, WorkerHeartbeat, heartbeat_record
from sentinelle.core.tasks import tasks_run_pending
from sentinelle.core.throttles import throttles_prune
from sentinelle.ingest.services import files_purge, jobs_run_pending, worker_name

logger = logging.getLogger(__name__)

# Tasks run between two import jobs: a stop request waits for at most this many.
TASKS_PER_TURN = 10


class Command(BaseCommand):
    help = "Run the import jobs and the tasks waiting for the background worker."

    def add_arguments(self, parser):
        parser.add_argument("--loop", action="store_true", help="keep running until stopped")
        parser.add_argument("--once", action="store_true", help="run the waiting jobs, then exit (default)")
        parser.add_argument("--sleep", type=float, default=2.0, help="seconds between polls with --loop")

    def handle(self, *args, **options):
        worker = worker_name()
        if not options["loop"]:
            heartbeat_record(WORKER)
            done = jobs_run_pending(worker=worker)
            ran = tasks_run_pending(worker=worker)
            purged = files_purge()
            throttles_prune()
            self.stdout.write(
                f"{worker}: {done} job(s), {ran} task(s), {purged} file(s) no longer needed removed"
            )
            return
        stopping = []
        signal.signal(signal.SIGTERM, lambda *_args: stopping.append(True))
        self.stdout.write(f"{worker}: waiting for jobs (Ctrl-C to stop)")
        anchors = AnchorSchedule()
        heartbeat = WorkerHeartbeat()
        if anchors.warning:
            self.stderr.write(f"{worker}: {anchors.warning}")
        try:
            while not stopping:
                # Like a request's start: a connection the server dropped (restart, failover) is
                # noticed (CONN_HEALTH_CHECKS) and replaced instead of failing the next query.
                close_old_connections()
                try:
                    heartbeat.tick()
                    anchors.tick()
                    # One job at a time, so that a stop request is honoured between jobs.
                    ran = jobs_run_pending(worker=worker, limit=1)
                    ran += tasks_run_pending(worker=worker, limit=TASKS_PER_TURN)
                    if not ran:
                        files_purge()
                        throttles_prune()
                        time.sleep(options["sleep"])
                except (OperationalError, InterfaceError) as error:
                    # The database went away mid-job: the job keeps this worker's claim until it
                    # expires (IMPORT_JOB_TIMEOUT_SECONDS), then any worker resumes it.
                    logger.warning("%s: database unavailable (%s); retrying", worker, error)
                    connections.close_all()
                    time.sleep(max(options["sleep"], 1.0))
        except KeyboardInterrupt:
            pass
        self.stdout.write(f"{worker}: stopped")
