"""Demo of partners' activities: the seeds' programmes, six months of 4W reports, the results frameworks."""

from sentinelle.demo.activities.programmes import seed_programmes
from sentinelle.demo.activities.reporting import seed_reporting
from sentinelle.demo.activities.results import seed_results


def seed(*, stdout, style) -> None:
    seed_programmes(stdout=stdout, style=style)
    seed_reporting(stdout=stdout, style=style)
    seed_results(stdout=stdout, style=style)
