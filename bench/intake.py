"""Intake measured in process: imports through the real job path beside COPY of the same rows (the floor),
and OpenRosa submissions one after another."""

import csv
import time
import uuid

from bench.measure import summary, user

# --- imports -----------------------------------------------------------------------------------------


def measure_import(rows: int, *, username: str = "monitor.amss", seed: int = 77) -> dict:
    """Template XLSX and HXL CSV through the real job path (upload, validation, commit), and COPY of the
    same CSV rows into a scratch table (the floor)."""
    from django.db import connection

    from sentinelle.ingest.kinds import get_kind
    from sentinelle.ingest.samples import incident_rows
    from sentinelle.ingest.services import import_job_commit, import_job_follow_up, import_job_upload
    from sentinelle.ingest.workbooks import template_csv, template_xlsx

    actor = user(username)
    organisation = actor.memberships.order_by("pk").first().organisation
    kind = get_kind("incidents")
    results = {"rows": rows}
    for fmt, build, offset in (("xlsx", template_xlsx, 0), ("hxl_csv", template_csv, 1)):
        data = incident_rows(rows, seed=seed + offset)
        content = build(kind, data)
        start = time.perf_counter()
        job = import_job_upload(
            actor=actor,
            kind="incidents",
            organisation=organisation,
            filename=f"bench.{'xlsx' if fmt == 'xlsx' else 'csv'}",
            content=content,
            run_now=True,
        )
        validated = time.perf_counter()
        if job.status != "valid":
            results[fmt] = {"error": f"job {job.status}: {job.errors[:3]}"}
            continue
        job = import_job_commit(actor=actor, job=job, run_now=True)
        done = time.perf_counter()
        seconds = done - start
        # The follow-ups (duplicate detection, alert rules) run after the commit, in the worker for a large
        # job: timed apart, as the worker would run them.
        pending = len(job.follow_up_ids)
        import_job_follow_up(job=job)
        followed = time.perf_counter()
        results[fmt] = {
            "status": job.status,
            "created": job.created_count,
            "bytes": len(content),
            "validate_s": round(validated - start, 3),
            "commit_s": round(done - validated, 3),
            "total_s": round(seconds, 3),
            "rows_per_s": round(rows / seconds),
            "follow_up_records": pending,
            "follow_up_s": round(followed - done, 3),
        }
        if fmt == "hxl_csv":
            results["copy_floor"] = copy_floor(content, connection)
            results[fmt]["ratio_to_copy"] = round(results["copy_floor"]["rows_per_s"] / (rows / seconds), 1)
    return results


def copy_floor(csv_content: bytes, connection) -> dict:
    """COPY the CSV's data rows (after the header and HXL rows) into a scratch table of text columns."""
    text = csv_content.decode("utf-8-sig")
    lines = text.splitlines(keepends=True)
    header, data = lines[0], "".join(lines[2:])
    delimiter = ";" if header.count(";") > header.count(",") else ","
    columns = len(next(iter(csv.reader([header], delimiter=delimiter))))
    rows = len(lines) - 2
    cols = ", ".join(f"c{i} text" for i in range(columns))
    with connection.cursor() as cursor:
        cursor.execute(f"CREATE TEMP TABLE IF NOT EXISTS bench_copy_floor ({cols})")
        cursor.execute("TRUNCATE bench_copy_floor")
        raw = cursor.cursor  # the psycopg 3 cursor
        start = time.perf_counter()
        with raw.copy(f"COPY bench_copy_floor FROM STDIN WITH (FORMAT csv, DELIMITER '{delimiter}')") as copy:
            copy.write(data.encode())
        seconds = time.perf_counter() - start
        cursor.execute("SELECT count(*) FROM bench_copy_floor")
        copied = cursor.fetchone()[0]
        cursor.execute("DROP TABLE bench_copy_floor")
    return {"rows": copied, "expected": rows, "s": round(seconds, 4), "rows_per_s": round(rows / seconds)}


# --- OpenRosa -----------------------------------------------------------------------------------------

OPENROSA_ANSWERS = {
    "date_estimated": "no",
    "region": "ML05",
    "cercle": "ML0501",
    "commune": "ML050101",
    "coordinates": "14.4843 -4.1827 265.0 8.0",
    "categories": "life integrity",
    "perpetrator_category": "nsag",
    "summary": "Deux civils tués et une fille blessée lors d'une attaque sur la route du marché.",
    "account": "Récit confidentiel : témoin rencontré au marché de Sévaré.",
    "has_victims": "yes",
    "victims": [
        {"victim_outcome": "killed", "victim_sex": "m", "victim_age_group": "18_59", "victim_count": "2"},
        {"victim_outcome": "injured", "victim_sex": "f", "victim_age_group": "12_17", "victim_count": "1"},
    ],
    "displaced_households": "4",
    "displaced_individuals": "23",
    "source_mechanism": "monitoring_interview",
    "reliability": "b",
    "sharing_level": "organisation",
}


def openrosa_device(username: str = "monitor.amss") -> dict:
    import base64

    from sentinelle.accounts.devices import device_credential_create

    _credential, secret = device_credential_create(actor=user(username), label="Banc d'essai")
    token = base64.b64encode(f"{username}:{secret}".encode()).decode()
    return {"HTTP_AUTHORIZATION": f"Basic {token}", "HTTP_X_OPENROSA_VERSION": "1.0"}


def openrosa_submission(xform: bytes, number: int) -> bytes:
    import datetime as dt

    from sentinelle.ingest.openrosa.tests.odk import build_submission

    today = dt.date.today()
    answers = {
        **OPENROSA_ANSWERS,
        "date_start": (today - dt.timedelta(days=6 + number % 30)).isoformat(),
        "date_reported": (today - dt.timedelta(days=2)).isoformat(),
    }
    return build_submission(xform, answers, instance_id=f"uuid:{uuid.uuid4()}")


def measure_openrosa(count: int, *, username: str = "monitor.amss") -> dict:
    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.test import Client

    headers = openrosa_device(username)
    client = Client()
    response = client.get("/openrosa/forms/sentinelle_incident.xml", secure=True, **headers)
    if response.status_code != 200:
        return {"error": f"form download {response.status_code}"}
    xform = response.content
    bodies = [openrosa_submission(xform, i) for i in range(count)]
    statuses: dict[int, int] = {}
    times = []
    start = time.perf_counter()
    for body in bodies:
        t0 = time.perf_counter()
        upload = SimpleUploadedFile("submission.xml", body, content_type="text/xml")
        answer = client.post("/openrosa/submission", {"xml_submission_file": upload}, secure=True, **headers)
        times.append((time.perf_counter() - t0) * 1000)
        statuses[answer.status_code] = statuses.get(answer.status_code, 0) + 1
    seconds = time.perf_counter() - start
    return {
        "submissions": count,
        "per_second": round(count / seconds, 1),
        "statuses": statuses,
        "errors": sum(v for k, v in statuses.items() if k != 201),
        **summary(times),
    }
