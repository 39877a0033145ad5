"""The bare limit of an HTTP endpoint on this machine: FastAPI with one route that does nothing,
served by uvicorn with the options ``minis serve`` gives it (bench/baselines.py starts it). Not our
code: the benchmarks divide the platform's rates by this one."""

from __future__ import annotations

from fastapi import FastAPI

app = FastAPI()


@app.get("/ok")
async def ok() -> dict[str, bool]:
    return {"ok": True}
