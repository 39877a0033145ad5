"""Routes are found as FastAPI finds them, with routers that turn a path away at once when it
starts with none of their routes' literal beginnings (web/routing.py)."""

from __future__ import annotations

import re
import threading

from fastapi import FastAPI
from fastapi.routing import APIRoute, APIRouter
from pydantic import BaseModel
from starlette import concurrency
from starlette.testclient import TestClient

from openminis.web.routing import Router


def test_a_path_reaches_its_route_in_any_router_and_misses_give_404_or_405():
    first, second, nested = Router(prefix="/api/shop"), Router(prefix="/api"), Router()

    @first.get("/items/{item_id}")
    async def item(item_id: str) -> dict[str, str]:
        return {"item": item_id}

    @second.post("/orders")
    async def order() -> dict[str, str]:
        return {"order": "made"}

    @nested.get("/orders/{order_id}/receipt")
    async def receipt(order_id: str) -> dict[str, str]:
        return {"receipt": order_id}

    second.include_router(nested)  # under second's prefix; second, holding a router, asks every route
    app = FastAPI()
    app.include_router(first)
    app.include_router(second)
    app.include_router(first, prefix="/v2")  # the same routes again, under a prefix
    mounted = FastAPI()
    inner = Router()

    @inner.get("/ping")
    async def ping() -> dict[str, bool]:
        return {"pong": True}

    mounted.include_router(inner)
    app.mount("/openapi", mounted)  # under a mount, the routes see the path after it

    with TestClient(app) as client:
        assert client.get("/api/shop/items/7").json() == {"item": "7"}
        assert client.post("/api/orders").json() == {"order": "made"}
        assert client.get("/api/orders/o1/receipt").json() == {"receipt": "o1"}
        assert client.get("/openapi/ping").json() == {"pong": True}
        assert client.get("/v2/api/shop/items/8").json() == {"item": "8"}
        assert client.get("/api/shop/nothing").status_code == 404
        assert client.get("/api/orders").status_code == 405  # the path is a route's: the method is not
        assert client.get("/elsewhere").status_code == 404


def test_every_route_of_the_host_is_still_found(client):
    """Each route's path, its parameters filled in, asked with a method no route has: a 405 says a
    route matched the path (a router that turned it away would give 404)."""
    layer = client.app.app  # MinisApp > HeadAsGet > LimitBody > RefuseInvalidText > OriginRouter
    while not hasattr(layer, "host"):
        layer = layer.app
    host = layer.host
    paths = [route.path for route in _api_routes(host.router)]
    assert len(paths) > 200
    for path in paths:
        concrete = re.sub(r"\{[^}:]+:path\}", "a/b", re.sub(r"\{[^}:]+(:int)?\}", "1", path))
        # A parameter may be checked before the method (an app id's pattern): any answer but 404.
        assert client.request("TRACE", concrete).status_code != 404, path


def _api_routes(router) -> list[APIRoute]:
    found: list[APIRoute] = []
    for route in router.routes:
        if isinstance(route, APIRoute):
            found.append(route)
        elif hasattr(route, "original_router"):  # an included router (FastAPI keeps it as a branch)
            found.extend(_api_routes(route.original_router))
    return found


def test_a_route_without_parameters_is_asked_only_about_its_own_path(monkeypatch):
    """``/`` begins every path: a router holding it was asked, route by route, about every request
    that reached it. A parameterless path is compared whole (a trailing slash toggled, for the
    redirect); a path with parameters by its literal beginning."""
    pages = Router()

    @pages.get("/")
    async def home() -> dict[str, str]:
        return {"page": "home"}

    @pages.get("/play/{app_id}")
    async def play(app_id: str) -> dict[str, str]:
        return {"page": app_id}

    @pages.get("/console")
    async def console() -> dict[str, str]:
        return {"page": "console"}

    app = FastAPI()
    app.include_router(pages)
    asked: list[str] = []
    original = APIRouter.matches

    def counting(self, scope):
        asked.append(scope["path"])
        return original(self, scope)

    monkeypatch.setattr(APIRouter, "matches", counting)
    with TestClient(app) as client:
        assert client.get("/").json() == {"page": "home"}
        assert client.get("/play/g1").json() == {"page": "g1"}
        assert client.get("/console").json() == {"page": "console"}
        assert client.get("/console/", follow_redirects=False).status_code == 307  # to /console
        assert asked == ["/", "/play/g1", "/console", "/console"]  # the redirect asked with the slash dropped
        asked.clear()
        assert client.get("/api/me").status_code == 404
        assert client.get("/consoles").status_code == 404
        assert asked == []  # turned away by the quick test, no route tried
        # It begins as /play/{app_id} does, and no route of the router matches it: turned away by
        # the router's one expression for its routes, not tried route by route.
        assert client.get("/play/g1/more").status_code == 404
        assert asked == []


class Item(BaseModel):
    id: str
    count: int


class Change(BaseModel):
    count: int


def test_a_plain_route_goes_to_a_thread_once(monkeypatch):
    """FastAPI sends a sync route to the thread pool and then its answer's check against the
    response model there too: two trips, each a fight for the GIL with every thread at work. A
    Router's sync route makes one; its parameters, body and answer are FastAPI's as before."""
    router = Router(prefix="/api")
    threads: list[str] = []

    @router.post("/items/{item_id}", response_model=Item)
    def change(item_id: str, body: Change, dry: bool = False) -> Item:
        threads.append(threading.current_thread().name)
        return Item(id=item_id, count=body.count if not dry else 0)

    trips: list[object] = []
    original = concurrency.run_in_threadpool

    async def counting(func, *args, **kwargs):
        trips.append(func)
        return await original(func, *args, **kwargs)

    monkeypatch.setattr("openminis.web.routing.run_in_threadpool", counting, raising=False)
    monkeypatch.setattr("fastapi.routing.run_in_threadpool", counting)
    app = FastAPI()
    app.include_router(router)
    with TestClient(app) as client:
        assert client.post("/api/items/i1", json={"count": 3}).json() == {"id": "i1", "count": 3}
        assert client.post("/api/items/i1?dry=true", json={"count": 3}).json() == {"id": "i1", "count": 0}
        assert client.post("/api/items/i1", json={"count": "x"}).status_code == 422
        schema = client.get("/openapi.json").json()["paths"]["/api/items/{item_id}"]["post"]
    assert len(trips) == 2  # one a request that reached the route; the refused one never did
    assert threads and all(name != "MainThread" for name in threads)  # still run on a thread
    assert [p["name"] for p in schema["parameters"]] == ["item_id", "dry"]
    assert schema["responses"]["200"]["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/Item"}
    assert change("i2", Change(count=1)) == Item(id="i2", count=1)  # the module keeps the plain function


def test_a_plain_routes_parameters_reach_it_whatever_their_names():
    """The route is called with what FastAPI read for it, bound before it goes to the thread: a
    parameter named as run_in_threadpool's own (``func``) was a 500 (attack57)."""
    router = Router()

    @router.get("/echo")
    def echo(func: str = "a", args: int = 0, kwargs: str = "") -> dict[str, object]:
        return {"func": func, "args": args, "kwargs": kwargs}

    app = FastAPI()
    app.include_router(router)
    with TestClient(app) as client:
        assert client.get("/echo?func=hello&args=2&kwargs=k").json() == {"func": "hello", "args": 2, "kwargs": "k"}
