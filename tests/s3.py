"""A real S3-compatible server on loopback for the storage tests: moto's server mode (``moto[server]``
in the test extra), started once per xdist worker as a subprocess on a free port; a bucket per test.

``storage_form``: the platform's settings in either form of object storage, files in the data dir
or a bucket of that server, for the tests of a flow that must hold in both."""

from __future__ import annotations

import importlib.util
import secrets
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import httpx
import pytest
from starlette.testclient import TestClient

from openminis.liveserver import free_port
from openminis.platform import Platform
from openminis.settings import Settings
from openminis.storage import S3Store
from tests.conftest import empty_postgres, unavailable

# moto's server accepts any credentials; these say where they come from.
ACCESS_KEY, SECRET_KEY, REGION = "minis-test", "minis-test-secret", "us-east-1"


@dataclass(frozen=True)
class S3Server:
    endpoint: str

    def client(self):  # a boto3 S3 client of the tests' own, to look at the bucket behind the platform
        import boto3

        return boto3.client(
            "s3",
            endpoint_url=self.endpoint,
            region_name=REGION,
            aws_access_key_id=ACCESS_KEY,
            aws_secret_access_key=SECRET_KEY,
        )


@pytest.fixture(scope="session")
def s3_server(tmp_path_factory) -> Iterator[S3Server]:
    if importlib.util.find_spec("moto") is None or importlib.util.find_spec("flask") is None:
        unavailable("moto[server] is not installed (pip install -e '.[test]')")
    port = free_port()
    log = (tmp_path_factory.mktemp("moto") / "moto.log").open("w")
    process = subprocess.Popen(
        [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    endpoint = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                httpx.get(f"{endpoint}/moto-api/", timeout=2, trust_env=False)
                break
            except httpx.TransportError:
                if process.poll() is not None or time.monotonic() > deadline:
                    unavailable(f"moto's S3 server did not start on {endpoint} (see {log.name})")
                time.sleep(0.1)
        yield S3Server(endpoint)
    finally:
        process.terminate()
        process.wait(timeout=10)
        log.close()


@pytest.fixture
def bucket(s3_server) -> str:
    """A new, empty bucket for the test."""
    name = f"minis-{secrets.token_hex(6)}"
    s3_server.client().create_bucket(Bucket=name)
    return name


def in_bucket(settings: Settings, server: S3Server, bucket: str, **overrides: object) -> Settings:
    """The same settings with object storage in ``bucket`` (under a prefix, as a shared bucket has)."""
    return Settings(
        **{
            **settings.model_dump(),
            "storage_url": f"s3://{bucket}/minis",
            "storage_endpoint_url": server.endpoint,
            "storage_region": REGION,
            "storage_access_key_id": ACCESS_KEY,
            "storage_secret_access_key": SECRET_KEY,
            **overrides,
        }
    )


@pytest.fixture(params=["files", "s3"])
def storage_form(request, settings) -> Settings:
    """``settings`` with the data dir's files, or a bucket of the loopback S3 server."""
    if request.param == "files":
        return settings
    return in_bucket(settings, request.getfixturevalue("s3_server"), request.getfixturevalue("bucket"))


def following(browser: TestClient) -> httpx.Client:
    """A real HTTP client with ``browser``'s cookies that follows redirects wherever they lead: the
    platform's own origin through the test app, the S3 server over loopback."""
    return httpx.Client(
        mounts={"http://localhost:8000": browser._transport},
        cookies=browser.cookies,
        base_url="http://localhost:8000",
        follow_redirects=True,
        trust_env=False,
        timeout=30,
    )


@contextmanager
def platform_of(settings: Settings) -> Iterator[Platform]:
    """A platform as tests/conftest.py's ``platform`` makes it, from these settings; a test module
    whose flows must hold in both forms overrides ``platform`` with ``platform_of(storage_form)``."""
    platform = Platform(settings)
    if platform.db.engine.dialect.name == "postgresql":
        empty_postgres(platform)
    try:
        yield platform
    finally:
        platform.close()


def bucket_keys(platform: Platform, folder: str) -> set[str]:
    """The keys under ``folder/`` in the platform's bucket, listed behind its back."""
    store = platform.storage
    assert isinstance(store, S3Store)
    prefix = f"{store.prefix}/{folder}/"
    pages = store.client.get_paginator("list_objects_v2").paginate(Bucket=store.bucket, Prefix=prefix)
    return {item["Key"].removeprefix(prefix) for page in pages for item in page.get("Contents", [])}
