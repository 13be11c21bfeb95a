"""In Chromium, on a desktop and on a phone: the review of possible duplicates at the demo's volume
(13 pairs) shows a page of pairs as comparison tables, a few screens tall (issue 15, item 11: it was
11,452 px), as wide as the screen, and the IMO can still link a pair."""

import pytest

from sentinelle.accounts.tests.factories import make_member
from sentinelle.core.models import Role
from sentinelle.core.tests.browser import browser_sign_in
from sentinelle.monitoring.models import DuplicateCandidate
from sentinelle.monitoring.tests.factories import cercle_of, make_incident
from sentinelle.monitoring.views.duplicates import PAGE_SIZE

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SCREENS = {"desktop": (1366, 768), "phone": (360, 740)}
MAX_HEIGHT = {"desktop": 4000, "phone": 8000}
PAIRS = 13


@pytest.mark.parametrize("screen", SCREENS)
def test_duplicates_review_fits_a_few_screens(browser_page, imo, monitor, beta, mopti, screen):
    page = browser_page
    page.set_viewport_size(dict(zip(("width", "height"), SCREENS[screen], strict=True)))
    cercle = cercle_of(mopti)
    other = make_member(Role.MONITOR, beta, username="monitor_beta")
    incidents = [
        (
            make_incident(actor=monitor, area=cercle, status="submitted"),
            make_incident(actor=other, area=cercle, status="submitted"),
        )
        for _index in range(PAIRS)
    ]
    DuplicateCandidate.objects.all().delete()  # whatever detection proposed across the pairs
    for first, second in incidents:
        DuplicateCandidate.objects.create(first=first, second=second, score=0.9)
    browser_sign_in(page, "imo")

    page.goto("/surveillance/doublons/")
    pairs = page.get_by_test_id("duplicate")
    assert pairs.count() == PAGE_SIZE
    height, width = page.evaluate(
        "[document.documentElement.scrollHeight, document.documentElement.scrollWidth]"
    )
    assert height < MAX_HEIGHT[screen], f"{screen}: {height} px"
    assert width <= SCREENS[screen][0]

    pairs.first.get_by_role("button", name="Même événement : lier").click()
    page.wait_for_load_state()
    assert DuplicateCandidate.objects.filter(status=DuplicateCandidate.Status.LINKED).count() == 1
    page.locator(".pagination a[rel=next]").click()
    page.wait_for_url("**page=2")
    assert pairs.count() == PAIRS - 1 - PAGE_SIZE
