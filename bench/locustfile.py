"""Load for `make bench` (scenario "bench") and `make soak` (scenario "soak"), run headless by bench/run.py.

The run writes BENCH_LOAD (JSON): session cookies of demo users (two-factor passed), the communes and
names to search, and for the soak an OpenRosa device header, a submission template and an import file.
Every request is appended to BENCH_SAMPLES as `unix_time,name,ms,ok` (one file per run), so that
percentiles are computed over exactly the requests made (and per time slice for the soak).
"""

import itertools
import json
import os
import random
import secrets
import string
import time
import uuid

from locust import HttpUser, between, events, task

LOAD = json.loads(open(os.environ["BENCH_LOAD"], encoding="utf-8").read())  # noqa: SIM115
SAMPLES = open(os.environ["BENCH_SAMPLES"], "a", encoding="utf-8", buffering=1)  # noqa: SIM115
SCENARIO = os.environ.get("BENCH_SCENARIO", "bench")
CLIENT_NUMBERS = itertools.count()
WAIT = tuple(float(x) for x in os.environ.get("BENCH_WAIT", "0.5,2").split(","))


@events.request.add_listener
def record(request_type, name, response_time, response_length, response=None, exception=None, **kw):
    ok = exception is None
    SAMPLES.write(f"{time.time():.3f},{name},{response_time:.2f},{int(ok)}\n")


def csrf_token() -> str:
    return "".join(secrets.choice(string.ascii_letters + string.digits) for _ in range(32))


class SignedIn(HttpUser):
    abstract = True
    wait_time = between(*WAIT)
    username = "manager.drc"

    def on_start(self):
        self.token = csrf_token()
        # Each client its own account where the load file holds several (run.py's load_accounts).
        sessions = LOAD["sessions"][self.username]
        self.client.cookies.set("sessionid", sessions[next(CLIENT_NUMBERS) % len(sessions)])
        self.client.cookies.set("csrftoken", self.token)
        self.rng = random.Random()

    def get(self, url: str, name: str):
        with self.client.get(url, name=name, allow_redirects=False, catch_response=True) as response:
            if response.status_code != 200:
                response.failure(f"{response.status_code}")

    def post(self, url: str, name: str, data: dict, expect=(200,), files=None):
        data = {"csrfmiddlewaretoken": self.token, **data}
        with self.client.post(
            url,
            data=data,
            files=files,
            name=name,
            allow_redirects=False,
            catch_response=True,
            headers={"Referer": self.host + url},
        ) as response:
            if response.status_code not in expect:
                response.failure(f"{response.status_code}")
            return response

    def search(self, fuzzy: bool):
        person = self.rng.choice(LOAD["people"])
        given, family = person["given"], person["family"]
        if fuzzy:
            given, family = person["given_typo"], person["family_typo"]
        self.post(
            "/cas/personnes/recherche/",
            "person search (fuzzy)" if fuzzy else "person search",
            {
                "given_name": given,
                "family_name": family,
                "sex": person["sex"],
                "age": person["age"],
                "commune": person["commune"],
            },
        )


class CaseLoad(SignedIn):
    """The bench: case list and person search (exact and fuzzy) as a manager who sees every case."""

    weight = 3 if SCENARIO == "bench" else 0
    username = "manager.drc"

    @task(3)
    def case_list(self):
        self.get("/cas/dossiers/", "case list")

    @task(1)
    def person_search(self):
        self.search(fuzzy=False)

    @task(1)
    def person_search_fuzzy(self):
        self.search(fuzzy=True)


class QueueLoad(SignedIn):
    """The bench: the referral queue of the organisation that receives the most referrals."""

    weight = 1 if SCENARIO == "bench" else 0
    username = LOAD["queue_user"]

    @task
    def referral_queue(self):
        self.get("/cas/references-recues/", "referral queue")


class SoakAnalyst(SignedIn):
    """The soak's analyst: incident list, national dashboard, the statistics API."""

    weight = 0 if SCENARIO == "bench" else 3
    username = "imo"

    @task(2)
    def incident_list(self):
        self.get("/surveillance/incidents/", "incident list")

    @task(1)
    def dashboard(self):
        self.get("/analyse/tableaux-de-bord/", "national dashboard")

    @task(2)
    def stats(self):
        name = self.rng.choice(LOAD["datasets"])
        with self.client.get(
            f"/api/v1/stats/{name}/?group_by=admin1",
            name="stats API",
            headers={"Authorization": f"Token {LOAD['api_token']}"},
            catch_response=True,
        ) as response:
            if response.status_code != 200:
                response.failure(f"{response.status_code}")


class SoakCaseworker(SignedIn):
    """The soak's case manager: reads the case list, searches, registers people through the UI form."""

    weight = 0 if SCENARIO == "bench" else 4
    username = "manager.drc"

    @task(4)
    def case_list(self):
        self.get("/cas/dossiers/", "case list")

    @task(2)
    def person_search(self):
        self.search(fuzzy=self.rng.random() < 0.5)

    @task(1)
    def referral_queue(self):
        self.get("/cas/references-recues/", "referral queue")

    @task(1)
    def register_person(self):
        person = self.rng.choice(LOAD["people"])
        self.post(
            "/cas/personnes/recherche/",
            "person register",
            {
                "register": "1",
                "given_name": person["given"],
                "family_name": f"{person['family']}-{uuid.uuid4().hex[:6]}",
                "sex": person["sex"],
                "age": person["age"],
                "commune": person["commune"],
                "displacement_status": "idp",
            },
            expect=(302,),
        )


class SoakDevice(HttpUser):
    """The soak's field device: OpenRosa submissions with the device password (no session)."""

    weight = 0 if SCENARIO == "bench" else 2
    wait_time = between(*WAIT)

    @task
    def openrosa(self):
        body = LOAD["openrosa"]["template"].replace("INSTANCE-ID", f"uuid:{uuid.uuid4()}")
        with self.client.post(
            "/openrosa/submission",
            files={"xml_submission_file": ("submission.xml", body.encode(), "text/xml")},
            headers=LOAD["openrosa"]["headers"],
            name="openrosa submission",
            catch_response=True,
        ) as response:
            if response.status_code != 201:
                response.failure(f"{response.status_code}")


class SoakImporter(SignedIn):
    """The soak's importer: a small template CSV uploaded through the UI, then committed."""

    weight = 0 if SCENARIO == "bench" else 1
    username = LOAD.get("import", {}).get("user", "imo")
    wait_time = between(5, 15)

    @task
    def import_file(self):
        content = LOAD["import"]["csv"].replace("SOAKID", uuid.uuid4().hex[:10])
        response = self.post(
            "/imports/nouveau/",
            "import upload",
            {"kind": "incidents", "organisation": LOAD["import"]["organisation"]},
            expect=(302,),
            files={"file": ("soak.csv", content.encode(), "text/csv")},
        )
        location = response.headers.get("Location", "")
        if location.startswith("/imports/"):
            self.post(location + "importer/", "import commit", {}, expect=(302,))
