"""Many processes behind a load balancer (issue 16, item 5): two ``minis serve`` nodes and one
``minis worker`` on one PostgreSQL database, one Redis and one S3 bucket (moto's server on loopback),
each process with a data folder of its own, behind Debian's nginx, which routes the host's name and
the apps' wildcard domain to either node, as a deployment runs them.

What one node does, the other sees at once; money is exact whichever node takes a purchase, and
when one node dies mid-purchase; the per-address and per-app limits are counted once for the
whole cluster; background jobs run in the worker, not in the nodes. Everything goes through nginx
unless a test names a node."""

from __future__ import annotations

import asyncio
import json
import os
import pwd
import secrets
import shutil
import signal
import socket
import subprocess
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
import redis

from bench.burst import APP_ID, PRODUCT, UNLIMITED, funded_person, purchase_body, shop_package
from openminis.liveserver import LiveServer, free_port, run_apart
from tests.concurrency import one_connection_each
from tests.conftest import postgres_database, unavailable
from tests.factories import publish_over_http
from tests.receiver import Receiver
from tests.s3 import ACCESS_KEY, REGION, SECRET_KEY, S3Server
from tests.test_signals import feed, ranked_anew

pytestmark = [pytest.mark.postgres, pytest.mark.slow]

ADMIN_TOKEN = "cluster-admin-token"
REDIS_URL = "redis://127.0.0.1:6379/0"
# nginx reaches the nodes from this address (proxy_bind), and the nodes believe X-Forwarded-For from
# it alone (MINIS_TRUSTED_PROXIES). Linux routes all of 127.0.0.0/8 to loopback, so the clients
# below are people at addresses of their own too, each bound to one (127.0.1.x).
PROXY_ADDRESS = "127.0.0.2"


def object_storage(server: S3Server) -> dict[str, str]:
    """Where the nodes and the worker keep packages and media: a new bucket of the loopback S3
    server (tests/s3.py), the only place they share files. Each process has a data folder of its
    own, as on machines of their own, so an app published through node A launches through node B
    only if its files went through the bucket."""
    bucket = f"minis-cluster-{secrets.token_hex(4)}"
    server.client().create_bucket(Bucket=bucket)
    return {
        "MINIS_STORAGE_URL": f"s3://{bucket}/minis",
        "MINIS_STORAGE_ENDPOINT_URL": server.endpoint,
        "MINIS_STORAGE_REGION": REGION,
        "MINIS_STORAGE_ACCESS_KEY_ID": ACCESS_KEY,
        "MINIS_STORAGE_SECRET_ACCESS_KEY": SECRET_KEY,
    }


# The limits these tests count against. Every other limit is out of the way (UNLIMITED), so that
# the bursts measure money, not limits. The address the other tests come from (127.0.0.1) makes
# fewer than 20 guests in the whole module.
GUESTS_PER_ADDRESS = 20
CALLS_PER_APP = 10
LIMITS = {
    **UNLIMITED,
    "MINIS_RATE_GUESTS_PER_IP": f"{GUESTS_PER_ADDRESS}/hour",
    "MINIS_RATE_PER_APP": f"{CALLS_PER_APP}/hour",
}
RETRIED = (502, 503, 504)  # no answer from a node (nginx says so), or "not now" (Retry-After)
NGINX = shutil.which("nginx") or "/usr/sbin/nginx"  # /usr/sbin is not on every user's PATH


class Nginx:
    """Debian's nginx in the foreground as the cluster's load balancer, on a free loopback port,
    with its configuration, pid file, logs and temporary folders in ``root``."""

    def __init__(self, root: Path):
        self.root = root
        self.port = free_port()
        self.url = f"http://localhost:{self.port}"
        # For clients that name the host themselves (an app's origin: *.localhost may not resolve) or
        # connect from an address of their own (which localhost's IPv6 address would not take).
        self.address = f"http://127.0.0.1:{self.port}"

    def configuration(self, nodes: list[LiveServer]) -> str:
        root = self.root
        # As root, nginx would run its workers as nobody, who cannot enter pytest's private folders.
        user = f"user {pwd.getpwuid(os.geteuid()).pw_name};" if os.geteuid() == 0 else ""
        servers = "\n".join(f"    server 127.0.0.1:{node.port};" for node in nodes)
        return f"""
{user}
worker_processes 1;  # one round robin: consecutive requests alternate between the nodes
pid {root}/nginx.pid;
error_log {root}/error.log warn;
events {{ worker_connections 2048; }}
http {{
  access_log off;
  client_body_temp_path {root}/client_body;
  proxy_temp_path {root}/proxy;
  fastcgi_temp_path {root}/fastcgi;
  uwsgi_temp_path {root}/uwsgi;
  scgi_temp_path {root}/scgi;
  client_max_body_size 64m;

  upstream nodes {{
{servers}
    keepalive 32;
  }}

  # A request for any other name is none of this deployment's business.
  server {{
    listen 127.0.0.1:{self.port} default_server;
    return 421;
  }}

  # The host's name and the apps' wildcard domain (MINIS_PUBLIC_URL, MINIS_APPS_DOMAIN's default).
  server {{
    listen 127.0.0.1:{self.port};
    server_name localhost *.apps.localhost;
    location / {{
      proxy_pass http://nodes;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_set_header Host $http_host;
      # nginx is the edge here: the address it saw, never what the client claimed.
      proxy_set_header X-Forwarded-For $remote_addr;
      proxy_set_header X-Forwarded-Proto $scheme;
      proxy_bind {PROXY_ADDRESS};
      # Which node answered, for the tests to see both at work.
      add_header X-Upstream $upstream_addr always;
    }}
  }}
}}
"""

    @contextmanager
    def balancing(self, nodes: list[LiveServer]) -> Iterator[Nginx]:
        self.root.mkdir(parents=True, exist_ok=True)
        config = self.root / "nginx.conf"
        config.write_text(self.configuration(nodes))
        command = [NGINX, "-p", str(self.root), "-e", str(self.root / "error.log"), "-c", str(config)]
        process = subprocess.Popen([*command, "-g", "daemon off;"], stdin=subprocess.DEVNULL)
        try:
            deadline = time.monotonic() + 30
            while not self._listening():
                if process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"nginx did not start: {(self.root / 'error.log').read_text()[-2000:]}")
                time.sleep(0.05)
            yield self
        finally:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()

    def _listening(self) -> bool:
        with socket.socket() as probe:
            return probe.connect_ex(("127.0.0.1", self.port)) == 0


@contextmanager
def job_worker(data: Path, env: dict[str, str]) -> Iterator[None]:
    """``minis worker``, running the jobs the nodes queue (theirs are off: MINIS_EMBEDDED_WORKER)."""
    path = data.parent / "worker.log"
    with open(path, "w") as log:
        process = LiveServer.commands.popen(
            ["worker", "--data-dir", str(data)], env={**os.environ, **env}, stdout=log, stderr=subprocess.STDOUT
        )
        try:
            deadline = time.monotonic() + 60
            while "running" not in path.read_text():
                if process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"minis worker did not start: {path.read_text()[-2000:]}")
                time.sleep(0.05)
            yield
        finally:
            if process.poll() is None:
                process.terminate()
                try:
                    process.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait()


@dataclass
class Cluster:
    a: LiveServer
    b: LiveServer
    nginx: Nginx
    data: Path

    def node(self, answer: httpx.Response) -> str:
        """Which node answered ("a", "b", or both when nginx passed the request on)."""
        ports = {str(self.a.port): "a", str(self.b.port): "b"}
        upstreams = answer.headers.get("X-Upstream", "")
        return "".join(sorted(ports[part.rsplit(":", 1)[1]] for part in upstreams.split(", ") if part))

    def ledger_verifies(self) -> subprocess.CompletedProcess[str]:
        return self.b.commands.run(["ledger", "verify", "--data-dir", str(self.data)], env=self.b.env)


@pytest.fixture(scope="module")
def cluster(tmp_path_factory, s3_server) -> Iterator[Cluster]:
    try:
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2).ping()
    except redis.RedisError as exc:
        unavailable(f"Redis is not reachable at {REDIS_URL}: {exc}")
    if not os.path.exists(NGINX):
        unavailable("nginx is not installed (scripts/test.sh installs Debian's)")
    root = tmp_path_factory.mktemp("cluster")
    folders = {name: root / name / "data" for name in ("a", "b", "worker")}
    for folder in folders.values():
        folder.mkdir(parents=True)
    nginx = Nginx(root / "nginx")
    with ExitStack() as stack:
        database = stack.enter_context(postgres_database())
        env = {
            **LIMITS,
            **object_storage(s3_server),
            "MINIS_DATABASE_URL": database,
            "MINIS_ANALYTICS_URL": database,
            # Rate limits and change signals through Redis, named after the scratch database
            # (db.deployment_key): apart from any other run on this Redis.
            "MINIS_REDIS_URL": REDIS_URL,
            "MINIS_PUBLIC_URL": nginx.url,
            "MINIS_TRUSTED_PROXIES": PROXY_ADDRESS,
            # Each node signs sessions with it: the same on every node, whatever their folders.
            "MINIS_SECRET_KEY": "cluster-secret",
            "MINIS_ADMIN_TOKEN": ADMIN_TOKEN,
            "MINIS_BROWSER_CHECKS": "false",
            "MINIS_EMBEDDED_WORKER": "false",
            "MINIS_EGRESS_ALLOW_LOOPBACK": "true",  # the developer's backend below listens on loopback
        }
        a = stack.enter_context(LiveServer(folders["a"], env=env, packages=[shop_package(root / "pkg")]))
        b = stack.enter_context(LiveServer(folders["b"], env=env))
        stack.enter_context(job_worker(folders["worker"], env))
        stack.enter_context(nginx.balancing([a, b]))
        yield Cluster(a, b, nginx, folders["b"])


def client_at(address: str, base_url: str, **options) -> httpx.Client:
    """A client whose connections come from ``address``: a person at an address of their own."""
    return httpx.Client(base_url=base_url, transport=httpx.HTTPTransport(local_address=address), timeout=30, **options)


# The host and the apps' origins -------------------------------------------------------------------


def test_an_app_published_through_node_a_is_in_node_bs_feed_and_launches_on_its_origin_through_nginx(cluster):
    with httpx.Client(base_url=cluster.b.url, timeout=30) as person:
        snapshot, items = feed(person)
        assert "app:cluster-game" not in items

        publish_over_http(cluster.a.url, ADMIN_TOKEN, id="cluster-game", name="Cluster Game")

        assert "app:cluster-game" in ranked_anew(person, snapshot)
        csrf = {"X-CSRF-Token": person.get("/api/me").json()["csrf_token"]}
        launch = {"launch_id": secrets.token_hex(16), "app_id": "cluster-game", "source": "feed"}
        launched = person.post("/api/launches", json=launch, headers=csrf)
        assert launched.status_code == 200, launched.text
        assert launched.json()["version"] == "1.0.0"

    # The app's own origin, through nginx by its wildcard name: served by either node from the
    # package node A stored, framed only by the host's public origin.
    origin = f"cluster-game.apps.localhost:{cluster.nginx.port}"
    served = []
    with httpx.Client(base_url=cluster.nginx.address, headers={"Host": origin}, timeout=30) as app:
        for _ in range(4):
            entry = app.get("/", follow_redirects=True)
            assert entry.status_code == 200, entry.text
            assert entry.url.path == "/v/1.0.0/index.html"
            assert "/minis-sdk.js" in entry.text
            assert f"frame-ancestors {cluster.nginx.url}" in entry.headers["content-security-policy"]
            served += [cluster.node(answer) for answer in (*entry.history, entry)]
    assert set(served) == {"a", "b"}


def test_nginx_serves_the_host_on_its_name_and_refuses_any_other(cluster):
    with httpx.Client(base_url=cluster.nginx.address, timeout=30) as client:
        host = client.get("/api/feed", headers={"Host": f"localhost:{cluster.nginx.port}"})
        assert host.status_code == 200 and cluster.node(host) in ("a", "b")
        assert client.get("/api/feed", headers={"Host": f"evil.example:{cluster.nginx.port}"}).status_code == 421


# Money --------------------------------------------------------------------------------------------


async def purchase_until_answered(client: httpx.AsyncClient, key: str) -> tuple[httpx.Response, int]:
    """The purchase with ``key``, sent again with the same key as long as it gets no answer (a node
    died: nginx answers 502, or the connection broke) or "not now" (503): the final answer, and how
    many tries went unanswered before it."""
    for attempt in range(30):
        try:
            answer = await client.post(f"/api/apps/{APP_ID}/purchases", json=purchase_body(key))
        except httpx.TransportError:
            answer = None
        if answer is not None and answer.status_code not in RETRIED:
            return answer, attempt
        await asyncio.sleep(0.1 * min(attempt + 1, 10))
    raise AssertionError(f"purchase {key} was never answered")


def buyer(cluster: Cluster, person: dict, connections: int) -> httpx.AsyncClient:
    limits = one_connection_each(connections)
    return httpx.AsyncClient(
        base_url=cluster.nginx.url,
        headers={"X-CSRF-Token": person["csrf"]},
        cookies=person["cookies"],
        limits=limits,
        timeout=60,
    )


def balance(cluster: Cluster, person: dict) -> int:
    wallet = httpx.get(f"{cluster.nginx.url}/api/wallet", cookies=person["cookies"], timeout=30)
    assert wallet.status_code == 200, wallet.text
    return int(wallet.json()["balance"])


def test_200_purchases_at_once_spread_over_both_nodes_on_a_wallet_for_100_pay_exactly_100(cluster):
    person = funded_person(cluster.nginx)
    run = secrets.token_hex(3)

    async def burst() -> list[tuple[httpx.Response, int]]:
        async with buyer(cluster, person, 200) as client:
            return await asyncio.gather(*(purchase_until_answered(client, f"{run}-{n}") for n in range(200)))

    answers = run_apart(burst())
    statuses = Counter(answer.status_code for answer, _ in answers)
    assert statuses == {200: 100, 402: 100}, [answer.text for answer, _ in answers if answer.status_code != 200][:3]
    assert {answer.json()["code"] for answer, _ in answers if answer.status_code == 402} == {"INSUFFICIENT_FUNDS"}
    assert len({answer.json()["id"] for answer, _ in answers if answer.status_code == 200}) == 100
    assert {cluster.node(answer) for answer, _ in answers} >= {"a", "b"}
    assert balance(cluster, person) == 100 - 100 * PRODUCT["price"]
    verified = cluster.ledger_verifies()
    assert verified.returncode == 0, verified.stdout


# Limits -------------------------------------------------------------------------------------------


def guests_made(client: httpx.Client, requests: int, **headers: str) -> tuple[list[int], set[str]]:
    """``requests`` new visitors (no cookie) one after another: each answer's status, and the nodes
    that answered (nginx alternates them)."""
    statuses, nodes = [], set()
    for _ in range(requests):
        client.cookies.clear()
        answer = client.get("/api/me", headers=headers)
        statuses.append(answer.status_code)
        nodes.add(answer.headers.get("X-Upstream", ""))
    return statuses, nodes


def test_the_per_address_limit_on_new_guests_holds_across_both_nodes_for_each_address(cluster):
    allowed = [200] * GUESTS_PER_ADDRESS + [429] * 5
    for address in ("127.0.1.1", "127.0.1.2", "127.0.1.3"):
        with client_at(address, cluster.nginx.address, headers={"Host": f"localhost:{cluster.nginx.port}"}) as client:
            statuses, nodes = guests_made(client, GUESTS_PER_ADDRESS + 5)
        assert statuses == allowed, address  # each address its own allowance, counted once for both nodes
        assert len(nodes) == 2, nodes


def test_a_client_cannot_escape_its_limit_by_claiming_other_addresses_through_nginx_or_around_it(cluster):
    allowed = [200] * GUESTS_PER_ADDRESS + [429] * 5
    claims = [f"198.51.100.{n}" for n in range(GUESTS_PER_ADDRESS + 5)]
    host = {"Host": f"localhost:{cluster.nginx.port}"}
    # Through nginx, which puts the address it saw in X-Forwarded-For, whatever the client sent.
    with client_at("127.0.1.4", cluster.nginx.address, headers=host) as client:
        statuses = [guests_made(client, 1, **{"X-Forwarded-For": claim})[0][0] for claim in claims]
    assert statuses == allowed
    # Straight to a node, which believes X-Forwarded-For only from nginx's address.
    with client_at("127.0.1.5", f"http://127.0.0.1:{cluster.b.port}") as client:
        statuses = [guests_made(client, 1, **{"X-Forwarded-For": claim})[0][0] for claim in claims]
    assert statuses == allowed


@dataclass
class Backend:
    """A developer's app and its backend's access to the Open API, through nginx."""

    app_id: str
    client: httpx.Client

    def call(self, method: str, path: str, **options) -> httpx.Response:
        return self.client.request(method, f"/openapi/v1{path}", **options)


@pytest.fixture(scope="module")
def developer(cluster) -> Iterator[httpx.Client]:
    """A developer signed up on node A (its log is the mailbox the verification code goes to)."""
    email = f"cluster-{secrets.token_hex(3)}@example.com"
    with httpx.Client(base_url=cluster.a.url, headers={"Origin": cluster.nginx.url}, timeout=30) as client:
        client.headers["X-CSRF-Token"] = client.get("/api/me").json()["csrf_token"]
        registered = client.post("/api/account/register", json={"email": email, "password": "correct horse battery"})
        assert registered.status_code == 200, registered.text
        code = cluster.a.mailed(email, r"verification code is (\d{6})")
        assert client.post("/api/account/verify", json={"code": code}).status_code == 200
        client.headers["X-CSRF-Token"] = client.get("/api/me").json()["csrf_token"]
        assert client.post("/api/developer", json={"name": "Cluster Studio"}).status_code == 200
        yield client


@contextmanager
def backend(cluster: Cluster, developer: httpx.Client, app_id: str) -> Iterator[Backend]:
    """A new app of the developer's, and its backend signed in with the app's secret."""
    created = developer.post(
        "/api/developer/apps", json={"app_id": app_id, "name": app_id.title(), "kind": "game", "category": "arcade"}
    )
    assert created.status_code == 201, created.text
    secret = created.json()["app_secret"]
    credentials = {"grant_type": "client_credentials", "client_id": app_id, "client_secret": secret}
    with httpx.Client(base_url=cluster.nginx.url, timeout=30) as client:
        token = client.post("/openapi/v1/auth/token", json=credentials)
        assert token.status_code == 200, token.text
        client.headers["Authorization"] = f"Bearer {token.json()['access_token']}"
        yield Backend(app_id, client)


def test_the_per_app_limit_on_the_open_api_holds_across_both_nodes(cluster, developer):
    with backend(cluster, developer, "cluster-limited") as limited:
        answers = [limited.call("GET", "/app") for _ in range(CALLS_PER_APP + 5)]
    assert [answer.status_code for answer in answers] == [200] * CALLS_PER_APP + [429] * 5
    assert {cluster.node(answer) for answer in answers} == {"a", "b"}


# Jobs ---------------------------------------------------------------------------------------------


def test_a_notification_queued_by_a_node_is_delivered_by_the_separate_worker(cluster, developer):
    with Receiver() as receiver, backend(cluster, developer, "cluster-hooks") as hooks:
        product = {"type": "consumable", "price": 1, "title": {"en": "Gem"}}
        assert hooks.call("PUT", "/products/gem", json=product).status_code == 200
        settings = hooks.call("PUT", "/payment-settings", json={"notify_url": receiver.url("/ok/cluster-hooks")})
        assert settings.status_code == 200, settings.text

        person = funded_person(cluster.nginx)
        body = {"product_id": "gem", "idempotency_key": secrets.token_hex(8), "amount": 1, "currency": "COIN"}
        with httpx.Client(base_url=cluster.nginx.url, cookies=person["cookies"], timeout=30) as client:
            paid = client.post("/api/apps/cluster-hooks/purchases", json=body, headers={"X-CSRF-Token": person["csrf"]})
        assert paid.status_code == 200, paid.text

        # The nodes run no jobs (MINIS_EMBEDDED_WORKER=false): what arrives, the worker delivered.
        def delivered(hits) -> bool:
            events = [json.loads(hit.body) for hit in hits]
            return any(e["type"] == "order.paid" and e["data"]["order"]["id"] == paid.json()["id"] for e in events)

        assert receiver.wait_for(delivered, timeout=20), "the order's notification never reached the backend"


# A node dies --------------------------------------------------------------------------------------

PURCHASES_AT_KILL = 150  # one pebble each, from a wallet of 100 coins


def test_killing_node_a_mid_purchases_loses_nothing_and_node_b_keeps_serving(cluster):
    """Last in this module: node A stays dead."""
    person = funded_person(cluster.nginx)
    run = secrets.token_hex(3)

    async def burst_and_kill() -> list[tuple[httpx.Response, int]]:
        answered = asyncio.Event()
        count = 0

        async def one(client: httpx.AsyncClient, key: str) -> tuple[httpx.Response, int]:
            nonlocal count
            result = await purchase_until_answered(client, key)
            count += 1
            if count == 20:
                answered.set()
            return result

        async def kill() -> None:
            # A dies once some purchases are answered and most are in flight, on both nodes.
            await answered.wait()
            cluster.a.process.send_signal(signal.SIGKILL)

        async with buyer(cluster, person, PURCHASES_AT_KILL) as client:
            killer = asyncio.create_task(kill())
            answers = await asyncio.gather(*(one(client, f"{run}-{n}") for n in range(PURCHASES_AT_KILL)))
            await killer
            return answers

    answers = run_apart(burst_and_kill())
    assert cluster.a.process.wait(timeout=10) == -signal.SIGKILL
    retried = sum(1 for _, unanswered in answers if unanswered)
    print(f"\n{retried} of {PURCHASES_AT_KILL} purchases went unanswered at first and were sent again")
    assert retried, "A died with no purchase in flight: the test proved nothing"

    statuses = Counter(answer.status_code for answer, _ in answers)
    assert statuses == {200: 100, 402: PURCHASES_AT_KILL - 100}, statuses
    assert len({answer.json()["id"] for answer, _ in answers if answer.status_code == 200}) == 100
    assert balance(cluster, person) == 100 - 100 * PRODUCT["price"]

    # Node B serves alone now: nginx sends everything there, and B answers directly too.
    with httpx.Client(base_url=cluster.nginx.url, cookies=person["cookies"], timeout=30) as client:
        after = [client.get("/api/wallet") for _ in range(6)]
    assert [answer.status_code for answer in after] == [200] * 6
    assert {cluster.node(answer) for answer in after} <= {"b", "ab"}
    assert httpx.get(f"{cluster.b.url}/api/feed", timeout=30).status_code == 200
    verified = cluster.ledger_verifies()
    assert verified.returncode == 0, verified.stdout
