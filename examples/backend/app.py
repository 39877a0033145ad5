"""A mini-program's backend that logs a player in, verified by the platform (run: uvicorn app:app)."""

import os

from fastapi import FastAPI, HTTPException
from fastapi.middleware.cors import CORSMiddleware
from pydantic import BaseModel

from openminis.client import InvalidInitData, MinisAPIError, MinisClient, verify_init_data

APP_ID, SECRET = os.environ["MINIS_APP_ID"], os.environ["MINIS_APP_SECRET"]
minis = MinisClient(APP_ID, SECRET, base_url=os.environ.get("MINIS_URL", "http://localhost:8000"))
app = FastAPI()
app.add_middleware(
    CORSMiddleware,
    allow_origins=[os.environ.get("MINIS_APP_ORIGIN", f"http://{APP_ID}.apps.localhost:8000")],
    allow_methods=["POST"],
    allow_headers=["content-type"],
)


class Login(BaseModel):
    code: str  # from minis.login()
    init_data: str  # from minis.init(): launch.initData


@app.post("/login")
def login(body: Login) -> dict:
    try:
        launch = verify_init_data(body.init_data, SECRET)  # signed by the platform: no round trip
        player = minis.code2session(body.code)  # asked of the platform with our credentials
    except (InvalidInitData, MinisAPIError) as exc:
        raise HTTPException(401, str(exc)) from None
    if launch["openid"] != player["openid"]:
        raise HTTPException(401, "the launch and the login are different people")
    return {"openid": player["openid"], "verified": True}
