"""Load from wrk, a load generator written in C (Debian's ``wrk`` package; scripts/test.sh installs it).

The benches' own load loop (bench/load.py) is Python: httpx in one asyncio process on the same two
cores as the server. It cannot send more than about 1,500 requests a second, so a bare endpoint
measured with it measures the loop, not the endpoint (the bare FastAPI endpoint answers about
10,000 a second to wrk on the same machine), and each purchase it sends costs the loop about 1.5 ms
of the cores the server and the database share. pgbench, the purchases' baseline, is C too. The
benches print both: the loop's figures, as issue 16 measured them, and wrk's.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import tempfile
from dataclasses import dataclass

import httpx


@dataclass(frozen=True)
class Rate:
    per_second: float
    failed: int  # answers other than 2xx and 3xx, and socket errors


def run(url: str, *, seconds: float, connections: int, headers: dict[str, str] | None = None, lua: str = "") -> Rate:
    """``connections`` connections on two threads send requests to ``url`` back to back for ``seconds``;
    ``lua`` is a wrk script (its ``request`` function makes each request)."""
    if shutil.which("wrk") is None:
        raise RuntimeError("wrk is not installed: bash scripts/test.sh installs it (Debian's wrk package)")
    command = ["wrk", "--threads", "2", "--connections", str(connections), "--duration", f"{round(seconds)}s"]
    for name, value in (headers or {}).items():
        command += ["--header", f"{name}: {value}"]
    with tempfile.NamedTemporaryFile("w", suffix=".lua") as script:
        if lua:
            script.write(lua)
            script.flush()
            command += ["--script", script.name]
        out = subprocess.run([*command, url], capture_output=True, text=True, check=True).stdout
    rate = re.search(r"Requests/sec:\s+([0-9.]+)", out)
    if rate is None:
        raise RuntimeError(f"wrk printed no rate: {out}")
    failed = sum(int(n) for n in re.findall(r"Non-2xx or 3xx responses: (\d+)", out))
    errors = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    failed += sum(int(n) for n in errors.groups()) if errors else 0
    return Rate(float(rate.group(1)), failed)


def as_people(clients: list[httpx.AsyncClient]) -> list[dict[str, str]]:
    """Each client's cookies and CSRF header, for requests made as that person."""
    return [
        {
            "Cookie": "; ".join(f"{name}={value}" for name, value in client.cookies.items()),
            "X-CSRF-Token": client.headers["X-CSRF-Token"],
        }
        for client in clients
    ]


def posts(path: str, people: list[dict[str, str]], body: dict[str, object], key_field: str, key_prefix: str) -> str:
    """A wrk script: POSTs of ``body`` to ``path``, as each of ``people`` in turn (each of wrk's threads
    starts at a different one), with ``key_field`` set to a key no other request uses."""
    encoded = json.dumps(body)
    assert encoded.endswith("}")
    return f"""
local people = {{{", ".join(_lua_table(person) for person in people)}}}
local path = {_lua_string(path)}
local head = {_lua_string(encoded[:-1] + f', "{key_field}": "{key_prefix}-')}
thread_number = 0  -- a global: setup sets it in each thread's own state
local counter = 0
function setup(thread)
  thread_number = thread_number + 1
  thread:set("thread_number", thread_number)
end
request = function()
  counter = counter + 1
  local person = people[(counter + thread_number * {max(1, len(people) // 2)}) % #people + 1]
  local headers = {{["Content-Type"] = "application/json"}}
  for name, value in pairs(person) do headers[name] = value end
  return wrk.format("POST", path, headers, head .. thread_number .. "-" .. counter .. '"}}')
end
"""


def _lua_string(text: str) -> str:
    return json.dumps(text)  # a JSON string of printable ASCII is a Lua string literal


def _lua_table(fields: dict[str, str]) -> str:
    return "{" + ", ".join(f"[{_lua_string(name)}] = {_lua_string(value)}" for name, value in fields.items()) + "}"
