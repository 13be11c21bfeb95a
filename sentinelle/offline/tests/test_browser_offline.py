"""In Chromium with the network cut (issue 19): a case worker takes the caseload offline, records a follow-up
and a registration without a connection, opens the app again offline with the PIN, and syncs: each write
reaches the server once (also when the answer was lost and the outbox sent again, or a request replayed);
the same field changed on both sides is shown side by side and kept until chosen; a revoked device, five
wrong PINs, expiry and sign-out wipe the store; nothing identifying is readable in the browser's storage.

SENTINELLE_SCREENSHOTS=/tmp/offline-shots keeps a picture of each screen at both sizes.
"""

import base64
import contextlib
import gzip
import json
import os

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from sentinelle.accounts.devices import device_credential_revoke
from sentinelle.accounts.models import DeviceCredential, DeviceKind
from sentinelle.cases.models import Case, CaseNote, FollowUp, Person
from sentinelle.cases.services.cases import follow_up_record, note_add
from sentinelle.cases.services.persons import person_update
from sentinelle.cases.tests.factories_cases import commune_in, make_case
from sentinelle.core.tests.browser import browser_sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SCREENS = {"desktop": (1366, 768), "phone": (360, 740)}
PIN = "482916"
PHONE = "70 11 22 33"
SYNC = "**/hors-ligne/api/sync/"
# In the page: an IndexedDB request as a promise.
DONE = "const done = (q) => new Promise((ok, ko) => { q.onsuccess = () => ok(q.result); q.onerror = ko; });"


# --- Helpers -------------------------------------------------------------------------------------------


def screen(page, name):
    page.set_viewport_size(dict(zip(("width", "height"), SCREENS[name], strict=True)))


def shot(page, name):
    """A full-page picture to look at, when SENTINELLE_SCREENSHOTS names a directory."""
    directory = os.environ.get("SENTINELLE_SCREENSHOTS")
    if directory:
        os.makedirs(directory, exist_ok=True)
        width = page.viewport_size["width"]
        page.screenshot(path=os.path.join(directory, f"{name}-{width}.png"), full_page=True)


def nothing_sticks_out(page):
    width = page.viewport_size["width"]
    assert page.evaluate("document.documentElement.scrollWidth") <= width


def enrol(page):
    """Prepare the device (online, signed in): PIN twice, then the first sync fills the list."""
    page.goto("/hors-ligne/")
    page.locator("#pin").fill(PIN)
    page.locator("#pin-again").fill(PIN)
    page.get_by_test_id("enrol").click()
    expect(page.get_by_test_id("sync-panel")).to_be_visible()
    expect(page.get_by_test_id("sync")).to_be_enabled()
    # The service worker is active and has kept the shell before the network is cut.
    kept = page.evaluate(
        """async () => {
          await navigator.serviceWorker.ready;
          for (let i = 0; i < 150; i += 1) {
            if (await caches.match('/hors-ligne/')) { return true; }
            await new Promise((resolve) => setTimeout(resolve, 100));
          }
          return false;
        }"""
    )
    assert kept, "the service worker did not keep the shell"


def unlock(page):
    expect(page.get_by_test_id("unlock")).to_be_visible()
    page.locator("#unlock-pin").fill(PIN)
    page.get_by_test_id("unlock").click()
    expect(page.get_by_test_id("unlock")).to_have_count(0)


def go(page, hash_):
    page.evaluate("hash => { location.hash = hash; }", hash_)


def synced(page):
    """After a sync started by the app: wait until it is over (its button is back)."""
    go(page, "#/envois")
    expect(page.get_by_test_id("sync")).to_be_enabled()


def storage_dump(page) -> dict:
    """Everything the origin keeps in the browser: IndexedDB (records and meta, bytes in base64), local and
    session storage, and the text of every response in Cache Storage."""
    return page.evaluate(
        """async () => {
          """
        + DONE
        + """
          const b64 = (value) => {
            const bytes = value instanceof ArrayBuffer ? new Uint8Array(value) : new Uint8Array(value.buffer);
            let text = ''; for (const byte of bytes) { text += String.fromCharCode(byte); } return btoa(text);
          };
          const clear = (value) => JSON.stringify(value, (key, item) =>
            item instanceof ArrayBuffer || ArrayBuffer.isView(item) ? b64(item) : item);
          const names = (await indexedDB.databases()).map((db) => db.name);
          const out = { databases: names, records: [], meta: [], local: JSON.stringify(localStorage),
                        session: JSON.stringify(sessionStorage), caches: [] };
          for (const name of names) {
            const db = await done(indexedDB.open(name));
            for (const store of db.objectStoreNames) {
              const rows = await done(db.transaction(store).objectStore(store).getAll());
              for (const row of rows) { out[store === 'records' ? 'records' : 'meta'].push(clear(row)); }
            }
            db.close();
          }
          for (const name of await caches.keys()) {
            const cache = await caches.open(name);
            for (const request of await cache.keys()) {
              out.caches.push(request.url + ' ' + await (await cache.match(request)).text());
            }
          }
          return out;
        }"""
    )


def assert_nothing_in_clear(dump, *secrets):
    """No secret in the stores, in clear or base64: secrets long enough (six letters and more) that random
    ciphertext cannot hold one by chance (a three-letter name did, one run in several)."""
    assert all(len(secret) >= 6 for secret in secrets)
    blobs = [json.dumps(dump).encode()]
    for row in dump["records"]:
        for value in json.loads(row).values():
            if isinstance(value, str):
                with contextlib.suppress(ValueError):
                    blobs.append(base64.b64decode(value, validate=True))
    for secret in secrets:
        for blob in blobs:
            assert secret.encode() not in blob, secret


def the_offline_device(user):
    return DeviceCredential.objects.get(user=user, kind=DeviceKind.OFFLINE, revoked_at__isnull=True)


@pytest.fixture
def page(browser_page):
    browser_page.on("dialog", lambda dialog: dialog.accept())
    # PBKDF2 with 600,000 iterations runs at each enrolment and unlock, on purpose: seconds each on a
    # machine busy with the rest of the suite.
    browser_page.set_default_timeout(30_000)
    return browser_page


@pytest.fixture
def commune(mopti):
    return commune_in(mopti, "Douentza")


@pytest.fixture
def case(caseworker_in_area, commune):
    case = make_case(caseworker_in_area, commune, risk_level="high")
    person_update(actor=caseworker_in_area, person=case.person, phone=PHONE)
    return case


# --- The main flow, on a desktop and on a phone --------------------------------------------------------


@pytest.mark.parametrize("size", SCREENS)
def test_a_caseload_taken_offline_syncs_each_write_once(page, caseworker_in_area, case, commune, size):
    screen(page, size)
    browser_sign_in(page, caseworker_in_area, second_factor=True)
    page.goto("/hors-ligne/")
    shot(page, "01-enrol")
    enrol(page)
    item = page.get_by_test_id("case-item")
    expect(item).to_have_count(1)
    expect(item).to_contain_text("Aminata Traoré")
    shot(page, "02-caseload")
    persons, cases = Person.objects.count(), Case.objects.count()

    page.context.set_offline(True)
    expect(page.locator("#net.off")).to_be_visible()
    item.click()
    expect(page.get_by_test_id("person-phone")).to_have_text(PHONE)
    shot(page, "03-case")
    nothing_sticks_out(page)

    # A follow-up offline: refused on the device with the server's words, the typed text kept.
    page.get_by_test_id("action-follow_up").click()
    notes = "Visite à domicile : la famille est rassurée."
    page.locator("#f-follow_up-date").fill("2099-01-01")
    page.locator("#f-follow_up-notes").fill(notes)
    page.get_by_test_id("form-save").click()
    expect(page.locator("[data-field=date] .errorlist")).to_have_text("Cette date est dans le futur.")
    expect(page.locator("[data-field=kind] .errorlist")).to_have_text("Ce champ est obligatoire.")
    expect(page.locator("#f-follow_up-notes")).to_have_value(notes)
    shot(page, "04-form-refused")
    page.locator("#f-follow_up-date").fill(timezone.localdate().isoformat())
    page.locator("#f-follow_up-kind").select_option(index=1)
    page.get_by_test_id("form-save").click()
    expect(page.get_by_test_id("case-pending")).to_be_visible()
    expect(page.get_by_test_id("notice")).to_be_visible()
    shot(page, "05-case-saved")

    # A new person and case offline.
    go(page, "#/nouveau")
    expect(page.locator("form[data-form=register]")).to_be_visible()
    page.locator("#f-register-given_name").fill("Awalatou")
    page.locator("#f-register-family_name").fill("Diallo")
    page.locator("#f-register-sex").select_option("f")
    page.locator("#f-register-age").fill("abc")
    page.locator("#f-register-area").select_option(commune.pcode)
    page.locator("#f-register-case_type").select_option("gbv")
    page.get_by_test_id("form-save").click()
    expect(page.locator("[data-field=age] .errorlist")).to_be_visible()
    expect(page.locator("#f-register-given_name")).to_have_value("Awalatou")
    shot(page, "06-registration-refused")
    page.locator("#f-register-age").fill("30")
    page.get_by_test_id("form-save").click()
    expect(page.locator(".off-case-title")).to_contain_text("Awalatou Diallo")
    shot(page, "07-registration-saved")
    assert (Person.objects.count(), Case.objects.count()) == (persons, cases)  # nothing reached the server

    # The app opens again without a connection, after the PIN.
    page.reload()
    shot(page, "08-unlock")
    unlock(page)
    go(page, "#/")
    expect(page.get_by_test_id("case-item")).to_have_count(2)
    shot(page, "09-caseload-offline")
    nothing_sticks_out(page)
    assert_nothing_in_clear(storage_dump(page), "Aminata", "Traoré", "Awalatou", "Diallo", PHONE, notes)

    # Back online: the server applies both changes, but its answer is lost; the outbox keeps them.
    lost = []

    def lose_the_answer(route):
        lost.append(route.fetch().status)
        route.abort()

    page.route(SYNC, lose_the_answer)
    page.context.set_offline(False)
    expect(page.get_by_test_id("notice")).to_be_visible()
    synced(page)
    page.unroute(SYNC)
    assert lost == [200]
    expect(page.get_by_test_id("change")).to_have_count(2)
    assert FollowUp.objects.filter(case=case).count() == 1
    assert (Person.objects.count(), Case.objects.count()) == (persons + 1, cases + 1)

    # The outbox sent again: answered from what the server kept, written nothing twice.
    sent = []
    page.on(
        "request",
        lambda request: sent.append(request.post_data) if request.url.endswith("/api/sync/") else None,
    )
    page.get_by_test_id("sync").click()
    expect(page.get_by_test_id("outbox-empty")).to_be_visible()
    expect(page.get_by_test_id("journal").get_by_test_id("change-state")).to_have_count(2)
    shot(page, "10-outbox-sent")
    assert FollowUp.objects.filter(case=case).count() == 1
    assert FollowUp.objects.get(case=case).notes == notes
    assert (Person.objects.count(), Case.objects.count()) == (persons + 1, cases + 1)

    # The same request replayed by hand: the same answers, still one write each.
    replayed = page.evaluate(
        """async (body) => {
          const device = JSON.parse(body).device;
          const status = await (await fetch('/hors-ligne/api/etat/?device=' + device)).json();
          const answer = await fetch('/hors-ligne/api/sync/', { method: 'POST', body,
            headers: { 'Content-Type': 'application/json', 'X-CSRFToken': status.csrf } });
          return (await answer.json()).results.map((result) => result.status);
        }""",
        sent[0],
    )
    assert replayed == ["applied", "applied"]
    assert FollowUp.objects.filter(case=case).count() == 1
    assert (Person.objects.count(), Case.objects.count()) == (persons + 1, cases + 1)

    go(page, "#/")
    expect(page.get_by_test_id("case-item")).to_have_count(2)
    expect(page.get_by_test_id("case-list")).not_to_contain_text("tmp:")
    assert_nothing_in_clear(storage_dump(page), "Aminata", "Awalatou", "Diallo", PHONE, notes)


# --- Conflicts ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("size", SCREENS)
def test_the_same_field_changed_on_both_sides_is_shown_side_by_side(page, caseworker_in_area, case, size):
    screen(page, size)
    browser_sign_in(page, caseworker_in_area, second_factor=True)
    enrol(page)
    page.context.set_offline(True)
    page.get_by_test_id("case-item").click()
    page.get_by_test_id("action-person_update").click()
    page.locator("#f-person_update-phone").fill("65 43 21 00")
    page.get_by_test_id("form-save").click()
    expect(page.get_by_test_id("person-phone")).to_contain_text("65 43 21 00")

    # Meanwhile, on the server, the same field changes.
    person_update(actor=caseworker_in_area, person=case.person, phone="66 99 88 77")
    page.context.set_offline(False)
    synced(page)
    conflict = page.get_by_test_id("conflict")
    expect(conflict).to_have_count(1)
    expect(conflict.get_by_test_id("conflict-server")).to_have_text("66 99 88 77")
    expect(conflict.get_by_test_id("conflict-device")).to_have_text("65 43 21 00")
    expect(page.locator("[data-state=conflict]")).to_be_visible()
    shot(page, "11-conflict")
    nothing_sticks_out(page)
    case.person.refresh_from_db()
    assert case.person.phone == "66 99 88 77"  # nothing overwritten silently

    conflict.get_by_test_id("keep-device").click()
    expect(page.get_by_test_id("outbox-empty")).to_be_visible()
    case.person.refresh_from_db()
    assert case.person.phone == "65 43 21 00"
    go(page, "#/")
    page.get_by_test_id("case-item").click()
    expect(page.get_by_test_id("person-phone")).to_have_text("65 43 21 00")

    # Signing out wipes the device, then signs out of Sentinelle.
    go(page, "#/")
    page.get_by_test_id("sign-out").click()
    page.wait_for_url(lambda url: "/compte/connexion/" in url)
    dump = storage_dump(page)
    assert dump["records"] == [] and dump["meta"] == []


# --- Search before create -----------------------------------------------------------------------------


def test_a_probable_duplicate_registered_offline_waits_for_the_workers_choice(
    page, caseworker_in_area, case, commune
):
    screen(page, "phone")
    browser_sign_in(page, caseworker_in_area, second_factor=True)
    enrol(page)
    persons, cases = Person.objects.count(), Case.objects.count()
    page.context.set_offline(True)
    go(page, "#/nouveau")
    page.locator("#f-register-given_name").fill("Aminata")
    page.locator("#f-register-family_name").fill("Traoré")
    page.locator("#f-register-sex").select_option("f")
    page.locator("#f-register-age").fill("30")
    page.locator("#f-register-phone").fill(PHONE)
    page.locator("#f-register-area").select_option(commune.pcode)
    page.locator("#f-register-case_type").select_option("child_protection")
    page.get_by_test_id("form-save").click()
    page.get_by_test_id("action-note").click()
    page.locator("#f-note-text").fill("Première rencontre au centre.")
    page.get_by_test_id("form-save").click()
    expect(page.get_by_test_id("case-pending")).to_be_visible()

    page.context.set_offline(False)
    synced(page)
    expect(page.locator("[data-state=review]")).to_be_visible()
    expect(page.locator("[data-state=waiting]")).to_be_visible()  # the note waits for its case
    candidate = page.get_by_test_id("candidate")
    expect(candidate).to_have_count(1)
    expect(candidate).to_contain_text(case.person.person_code)
    shot(page, "14-review")
    nothing_sticks_out(page)
    assert (Person.objects.count(), Case.objects.count()) == (persons, cases)  # nothing created

    candidate.get_by_role("button").click()  # "it is this person"
    expect(page.get_by_test_id("outbox-empty")).to_be_visible()
    assert Person.objects.count() == persons
    opened = Case.objects.exclude(pk=case.pk).get(person=case.person)
    assert opened.case_type == "child_protection"
    assert CaseNote.objects.get(case=opened).text == "Première rencontre au centre."


# --- Wipes ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("size", SCREENS)
def test_a_device_revoked_while_offline_is_wiped_at_reconnection(page, caseworker_in_area, case, size):
    screen(page, size)
    browser_sign_in(page, caseworker_in_area, second_factor=True)
    enrol(page)
    page.context.set_offline(True)
    page.get_by_test_id("case-item").click()
    page.get_by_test_id("action-note").click()
    page.locator("#f-note-text").fill("Appel à la mère, pas de réponse.")
    page.get_by_test_id("form-save").click()
    expect(page.get_by_test_id("case-pending")).to_be_visible()

    device_credential_revoke(actor=caseworker_in_area, credential=the_offline_device(caseworker_in_area))
    page.context.set_offline(False)
    expect(page.get_by_test_id("wiped")).to_be_visible()
    shot(page, "12-wiped")
    dump = storage_dump(page)
    assert dump["records"] == [] and dump["meta"] == []
    assert not CaseNote.objects.filter(case=case).exists()  # the revoked device's note never reached it
    page.reload()
    expect(page.get_by_test_id("enrol")).to_be_visible()


def test_five_wrong_pins_wipe_the_device_and_expired_data_are_wiped_before_opening(
    page, caseworker_in_area, case
):
    screen(page, "phone")
    browser_sign_in(page, caseworker_in_area, second_factor=True)
    enrol(page)
    page.context.set_offline(True)
    page.reload()
    for attempt in range(1, 6):
        page.locator("#unlock-pin").fill("000000")
        page.get_by_test_id("unlock").click()
        if attempt < 5:
            expect(page.get_by_test_id("unlock-errors")).to_contain_text(str(5 - attempt))
    expect(page.get_by_test_id("wiped")).to_be_visible()
    assert storage_dump(page)["records"] == []

    page.context.set_offline(False)
    page.reload()
    enrol(page)
    # Seven days without a sync: the store is deleted before the PIN is even asked.
    page.evaluate(
        """async () => {
          """
        + DONE
        + """
          const db = await done(indexedDB.open('sentinelle-hors-ligne'));
          const meta = await done(db.transaction('meta').objectStore('meta').get('device'));
          meta.expires_at = Date.now() - 1000;
          await done(db.transaction('meta', 'readwrite').objectStore('meta').put(meta, 'device'));
          db.close();
        }"""
    )
    page.reload()
    expect(page.get_by_test_id("wiped")).to_be_visible()
    assert storage_dump(page)["records"] == []


# --- Size -----------------------------------------------------------------------------------------------


def test_the_first_sync_of_a_50_case_caseload_is_under_200_kb(page, caseworker_in_area, commune):
    today = timezone.localdate()
    for number in range(50):
        case = make_case(caseworker_in_area, commune, risk_level="medium", given_name=f"Personne{number:02d}")
        note_add(actor=caseworker_in_area, case=case, text="Entretien au domicile, situation stable. " * 3)
        follow_up_record(
            actor=caseworker_in_area, case=case, date=today, kind="visit", notes="Visite de suivi."
        )
    screen(page, "phone")
    browser_sign_in(page, caseworker_in_area, second_factor=True)
    page.goto("/hors-ligne/")
    page.locator("#pin").fill(PIN)
    page.locator("#pin-again").fill(PIN)
    with page.expect_response(lambda response: "/hors-ligne/api/dossiers/" in response.url) as first:
        page.get_by_test_id("enrol").click()
    body = first.value.body()
    expect(page.get_by_test_id("case-item")).to_have_count(50)
    shot(page, "13-caseload-50")
    size, compressed = len(body), len(gzip.compress(body))
    print(
        f"\nfirst sync of 50 cases: {size / 1024:.1f} KB ({compressed / 1024:.1f} KB gzip, "
        f"{first.value.headers.get('content-encoding', 'identity')} on the wire)"
    )
    assert len(json.loads(body)["cases"]) == 50
    assert size < 200 * 1024
