"""Case management's side effects, queued after commit (core/tasks.py)."""

from django_tasks import task

from sentinelle.cases.models import Case
from sentinelle.core.tasks import retried


@task()
@retried
def tracing_case_match(*, case_id: int) -> int:
    """Match a child-protection case against the open tracing requests, once the case is opened or its
    person gives tracing consent: a family looking for this child gets a proposal for people to decide.
    Idempotent: a pair already proposed or decided is not proposed again. The number of proposals made."""
    from sentinelle.cases.services.tracing import tracing_case_registered

    case = Case.objects.filter(pk=case_id).first()
    return 0 if case is None else tracing_case_registered(case=case)
