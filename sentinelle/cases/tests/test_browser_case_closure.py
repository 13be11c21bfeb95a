"""In Chromium, on a desktop and on a phone: the case worker closes a case from its page; the case plan to
write and the other open task close with it (issue 15, item 9), and the home page counts no overdue task."""

import datetime

import pytest
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice

from sentinelle.cases.models import CaseStatus, Task
from sentinelle.cases.services.cases import assessment_record, task_add
from sentinelle.cases.tests.factories_cases import commune_in, make_case
from sentinelle.core.tests.browser import browser_sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SCREENS = {"desktop": (1366, 768), "phone": (360, 740)}


@pytest.mark.parametrize("screen", SCREENS)
def test_closing_a_case_closes_its_open_tasks(browser_page, caseworker_in_area, mopti, screen):
    page = browser_page
    page.set_viewport_size(dict(zip(("width", "height"), SCREENS[screen], strict=True)))
    case = make_case(caseworker_in_area, commune_in(mopti, "Douentza"), risk_level="high")
    assessment_record(actor=caseworker_in_area, case=case, risk_level="high")
    late = timezone.localdate() - datetime.timedelta(days=3)
    task_add(actor=caseworker_in_area, case=case, title="Appeler la famille", due_on=late)
    Task.objects.filter(case=case).update(due_on=late)  # both tasks overdue
    device = TOTPDevice.objects.create(user=caseworker_in_area, name="phone", confirmed=True)
    browser_sign_in(page, "cw_mopti", device)

    page.goto(f"/cas/dossiers/{case.public_id}/")
    assert page.locator(".badge.bad", has_text="en retard").count() == 2
    close = page.get_by_test_id("close-form")
    close.locator("[name=reason]").select_option("moved")
    close.locator("button[type=submit]").click()
    page.wait_for_load_state()

    case.refresh_from_db()
    assert case.status == CaseStatus.CLOSED
    assert not case.tasks.filter(done_on__isnull=True).exists()
    assert page.get_by_test_id("task-closed-with-case").count() == 2
    assert page.locator(".badge.bad", has_text="en retard").count() == 0
    page.goto("/cas/")
    assert page.locator("h2 .badge.bad").count() == 0  # no "n en retard" on the case worker's home
