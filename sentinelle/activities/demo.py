"""Demo of partners' activities: the seeds' programmes, six months of 4W reports, the results frameworks."""

from sentinelle.activities.demo_programmes import seed_programmes
from sentinelle.activities.demo_reporting import seed_reporting
from sentinelle.activities.demo_results import seed_results


def seed(*, stdout, style) -> None:
    seed_programmes(stdout=stdout, style=style)
    seed_reporting(stdout=stdout, style=style)
    seed_results(stdout=stdout, style=style)
