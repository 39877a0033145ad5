from __future__ import annotations

from fastapi import APIRouter, Depends

from openminis.identity.schemas import MeOut, UserOut
from openminis.web.dependencies import Visitor, current_visitor

router = APIRouter(prefix="/api", tags=["identity"])


@router.get("/me", response_model=MeOut)
def me(visitor: Visitor = Depends(current_visitor)) -> MeOut:
    return MeOut(user=UserOut.model_validate(visitor.user, from_attributes=True), csrf_token=visitor.csrf_token)
