"""Every answer names its request: an id the client sent (if it looks like one) or one drawn for
it, different for every request and in every process (requestlog.py), which the access log and an
error's body carry too."""

from __future__ import annotations

import os
import re

from openminis import requestlog

DRAWN = re.compile(r"^[0-9a-f]{16}$")


def test_each_request_gets_an_id_of_its_own_and_a_clients_own_id_comes_back(client):
    drawn = [client.get("/healthz").headers["x-request-id"] for _ in range(200)]
    assert all(DRAWN.match(request_id) for request_id in drawn)
    assert len(set(drawn)) == 200

    assert client.get("/healthz", headers={"X-Request-ID": "trace-42.a_b"}).headers["x-request-id"] == "trace-42.a_b"
    refused = client.get("/healthz", headers={"X-Request-ID": "no spaces\tor tabs"}).headers["x-request-id"]
    assert DRAWN.match(refused)


def test_a_forked_process_draws_other_ids_than_its_parent():
    reading, writing = os.pipe()
    child = os.fork()
    if child == 0:  # the child: its first draws, to the parent
        os.close(reading)
        os.write(writing, f"{requestlog._ids.getrandbits(64):016x}".encode())
        os._exit(0)
    os.close(writing)
    parents = f"{requestlog._ids.getrandbits(64):016x}"
    with os.fdopen(reading) as pipe:
        childs = pipe.read()
    os.waitpid(child, 0)
    assert DRAWN.match(childs) and childs != parents
