import io

import pytest
from django.core.management.color import no_style

from sentinelle.accounts.models import User
from sentinelle.core import hooks
from sentinelle.demo import accounts as accounts_demo
from sentinelle.demo import displacement as demo
from sentinelle.demo.monitoring.alerts import RULES
from sentinelle.displacement import selectors
from sentinelle.displacement.models import DisplacementEvent, PeopleInNeed, PopulationFigure, ReturnIntention
from sentinelle.geography.models import CodVersion
from sentinelle.geography.tests.conftest import shipped_geography  # noqa: F401  (the real 2015 COD)
from sentinelle.monitoring.models import Alert
from sentinelle.monitoring.services.alert_rules import alert_rule_create
from sentinelle.monitoring.services.displacement_alerts import register_followers

pytestmark = pytest.mark.django_db


@pytest.fixture
def seeded(shipped_geography, monkeypatch, django_capture_on_commit_callbacks):  # noqa: F811
    # As the lead wires it: monitoring follows the events and its demo creates the displacement rule.
    monkeypatch.setattr(hooks, "_FOLLOWERS", hooks.defaultdict(list))
    register_followers()
    CodVersion.objects.filter(pk=shipped_geography.pk).update(is_default=True)
    out = io.StringIO()
    accounts_demo.seed(stdout=out, style=no_style())
    admin = User.objects.get(username="admin")
    alert_rule_create(actor=admin, **next(rule for rule in RULES if rule.get("subject") == "displacement"))
    with django_capture_on_commit_callbacks(execute=True):
        demo.seed(stdout=out, style=no_style())
    return out.getvalue()


def counts():
    return tuple(
        model.objects.count()
        for model in (PopulationFigure, DisplacementEvent, ReturnIntention, PeopleInNeed)
    )


def test_demo_is_idempotent_and_reproduces_the_seed_figures(seeded):
    from sentinelle.accounts.models import User

    before = counts()
    assert before[0] > 100 and before[1:] == (4, 4, before[3])
    out = io.StringIO()
    demo.seed(stdout=out, style=no_style())
    assert counts() == before
    assert "0 figures created" in out.getvalue()

    imo = User.objects.get(username="imo")
    by_region = {
        row["pcode"]: row["by_status"]["idp"]["individuals"]
        for row in selectors.figure_totals(user=imo, level=1)
    }
    assert by_region == {"ML05": 61_083, "ML07": 53_380 + 16_430, "ML04": 24_291, "ML06": 22_641}
    summary = selectors.return_intention_summary(user=imo)
    assert summary["wish_return_share"] == 73
    # The large arrival in Douentza raised the demo displacement alert, once.
    [alert] = Alert.objects.all()
    assert (alert.area.pcode, alert.value) == ("ML0506", 2_350)


def test_demo_pages_answer_and_stay_light(seeded, signed_in):
    from django.urls import reverse

    from sentinelle.accounts.models import User

    client = signed_in(User.objects.get(username="imo"))
    response = client.get(reverse("displacement:overview"))
    html = response.content.decode()
    assert response.status_code == 200
    assert html.count("<circle") == 15  # the 15 cercles of the demo figures
    assert len(response.content) < 80_000, len(response.content)
    for name in ("figure-list", "event-list", "intention-list", "need-list"):
        assert client.get(reverse(f"displacement:{name}")).status_code == 200
