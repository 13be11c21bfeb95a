"""OpenRosa load for `make bench`: N phones posting submissions as fast as they are answered.

python bench/openrosa_load.py --port 8000 --clients 8 --seconds 30 --load load.json --samples out.csv

Run by bench/run.py as its own process, pinned with `taskset` to a core the server does not use where the
machine has two or more. A client is a thread with its own device password (the load file holds one
Authorization header per client) that posts one submission, waits for the answer, posts the next: no think
time, so the figure is the server's throughput for 8 devices sending at once. Every submission is new (a
fresh instanceID, an incident date drawn over the last 5 weeks, the same commune); a 201 is a success,
anything else an error. Each request is appended to the samples file
as `unix_time,name,ms,ok` like the locust runs. Standard library only (http.client, threads): the client
spends about 0.2 ms of CPU per request, far below what the server spends.
"""

import argparse
import datetime
import http.client
import json
import random
import threading
import time
import uuid

NAME = "openrosa submission"
BOUNDARY = "----sentinelle-bench-boundary"


def multipart(xml: bytes) -> bytes:
    return (
        (
            f"--{BOUNDARY}\r\n"
            'Content-Disposition: form-data; name="xml_submission_file"; filename="submission.xml"\r\n'
            "Content-Type: text/xml\r\n\r\n"
        ).encode()
        + xml
        + f"\r\n--{BOUNDARY}--\r\n".encode()
    )


def client(port: int, headers: dict, template: str, deadline: float, out: list, errors: dict) -> None:
    headers = {
        **headers,
        "Content-Type": f"multipart/form-data; boundary={BOUNDARY}",
        "X-OpenRosa-Version": "1.0",
        "X-Forwarded-Proto": "https",
    }
    rng = random.Random()
    while time.time() < deadline:
        started = (datetime.date.today() - datetime.timedelta(days=rng.randint(6, 36))).isoformat()
        xml = template.replace("INSTANCE-ID", f"uuid:{uuid.uuid4()}").replace("DATE-START", started)
        body = multipart(xml.encode())
        start = time.perf_counter()
        status = 0
        try:
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
            connection.request("POST", "/openrosa/submission", body=body, headers=headers)
            answer = connection.getresponse()
            answer.read()
            status = answer.status
            connection.close()
        except OSError as error:
            errors[type(error).__name__] = errors.get(type(error).__name__, 0) + 1
        ms = (time.perf_counter() - start) * 1000
        out.append((time.time(), ms, status))


def warm_up(port: int, headers: dict, count: int) -> None:
    """HEAD requests (authenticated, nothing written): each server process checks each device password
    once with argon2 and remembers it (accounts/devices.py), as it would over a day of real use."""
    headers = {**headers, "X-OpenRosa-Version": "1.0", "X-Forwarded-Proto": "https"}
    for _ in range(count):
        try:
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
            connection.request("HEAD", "/openrosa/submission", headers=headers)
            connection.getresponse().read()
            connection.close()
        except OSError:
            pass


def main(argv=None) -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--seconds", type=float, default=30)
    parser.add_argument(
        "--load", required=True, help="JSON: {'headers': [...one per client], 'template': ...}"
    )
    parser.add_argument("--samples", required=True)
    parser.add_argument("--warm-up", type=int, default=0, help="HEAD requests per client first, not counted")
    args = parser.parse_args(argv)
    load = json.loads(open(args.load, encoding="utf-8").read())  # noqa: SIM115
    if args.warm_up:
        heads = [
            threading.Thread(
                target=warm_up, args=(args.port, load["headers"][i % len(load["headers"])], args.warm_up)
            )
            for i in range(args.clients)
        ]
        for thread in heads:
            thread.start()
        for thread in heads:
            thread.join()
    deadline = time.time() + args.seconds
    results: list[list] = [[] for _ in range(args.clients)]
    errors: dict = {}
    threads = [
        threading.Thread(
            target=client,
            args=(
                args.port,
                load["headers"][i % len(load["headers"])],
                load["template"],
                deadline,
                results[i],
                errors,
            ),
        )
        for i in range(args.clients)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    statuses: dict[int, int] = {}
    with open(args.samples, "w", encoding="utf-8") as samples:
        for rows in results:
            for t, ms, status in rows:
                statuses[status] = statuses.get(status, 0) + 1
                samples.write(f"{t:.3f},{NAME},{ms:.2f},{int(status == 201)}\n")
    print(json.dumps({"statuses": statuses, "connection_errors": errors}))


if __name__ == "__main__":
    main()
