"""HEAD is answered as GET without the body (web/head.py); a file is not read for it."""

from __future__ import annotations

from pathlib import Path

import anyio
import pytest

import openminis
from openminis.web import head as head_module

HEAD = Path(head_module.__file__)


@pytest.fixture
def opened(monkeypatch) -> list[str]:
    """The files the answers opened to read."""
    paths: list[str] = []
    open_file = anyio.open_file

    async def spy(path, *args, **kwargs):
        paths.append(str(path))
        return await open_file(path, *args, **kwargs)

    monkeypatch.setattr(anyio, "open_file", spy)
    return paths


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_a_head_of_a_file_has_its_headers_and_does_not_read_it(client, opened):
    """A HEAD went through as a GET, which Starlette's FileResponse answered by reading the whole
    file, to have its body dropped on the way out: a link checker's HEAD of an episode read the video."""
    got = client.get("/sdk/minis-sdk.js")
    assert got.status_code == 200 and opened == [opened[0]] and opened[0].endswith("minis-sdk.js")
    opened.clear()
    head = client.head("/sdk/minis-sdk.js")
    assert (head.status_code, head.content, opened) == (200, b"", [])
    assert head.headers["content-length"] == str(len(got.content))
    assert head.headers["content-type"] == got.headers["content-type"]


def test_every_file_route_of_the_host_answers_with_a_file_answer():
    """The HEAD above holds for each route that answers a file but on the apps' origins, which gzip
    their answers, whose length a HEAD has right only by making the body (runtime/serving.py)."""
    source = Path(openminis.__file__).parent
    users = {path.name for path in source.rglob("*.py") if "FileResponse(" in path.read_text() and path != HEAD}
    assert users == {"serving.py"}
