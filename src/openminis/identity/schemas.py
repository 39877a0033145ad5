from __future__ import annotations

from pydantic import BaseModel


class UserOut(BaseModel):
    id: str
    display_name: str
    kind: str


class MeOut(BaseModel):
    user: UserOut
    csrf_token: str
