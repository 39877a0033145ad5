"""What ``POST /auth/token`` reads: the client credentials, as JSON or as OAuth 2's own form.

RFC 6749 (4.4) has a client send ``grant_type=client_credentials`` as a form, its id and secret in
HTTP Basic authentication (2.3.1) or in the form; standard OAuth 2 libraries do so, and the token
route read JSON alone ("isn't in the form the platform reads", a probe, dev54). Both forms are read
here into the one ``TokenIn``, refused the same ways: a field wrong is the same 422 naming it.
"""

from __future__ import annotations

import base64
import binascii
import json
from typing import Any
from urllib.parse import unquote

from fastapi import Request
from fastapi.exceptions import RequestValidationError
from pydantic import ValidationError

from openminis.errors import BadRequest
from openminis.openapi.schemas import TokenIn

FORM = "application/x-www-form-urlencoded"


def _refused(kind: str, loc: tuple[str, ...] = ("body",)) -> RequestValidationError:
    return RequestValidationError([{"type": kind, "loc": loc, "msg": kind, "input": None}])


async def token_request(request: Request) -> TokenIn:
    sent_as = request.headers.get("content-type", "").split(";")[0].strip().lower()
    fields: dict[str, Any]
    if sent_as == FORM:
        form = await request.form()
        pairs = [(name, value) for name, value in form.multi_items() if isinstance(value, str)]
        if len({name for name, _ in pairs}) != len(pairs):
            raise BadRequest("each field of the form is sent once", code="INVALID_ARGUMENT")
        fields = dict(pairs)
    else:
        try:
            fields = json.loads(await request.body())
        except ValueError:
            raise _refused("json_invalid") from None
        if not isinstance(fields, dict):
            raise _refused("dict_type")
    # A scope is asked for by some libraries by default; the platform grants one: RFC 6749 (3.3) lets
    # a server ignore what is asked.
    fields.pop("scope", None)
    basic = _basic(request.headers.get("authorization", ""))
    if basic is not None:
        if "client_id" in fields or "client_secret" in fields:
            # RFC 6749 2.3: one way of authenticating a request, not two that might disagree.
            raise BadRequest(
                "send the client's id and secret once: in Basic authentication or in the body", code="INVALID_ARGUMENT"
            )
        fields = {**fields, "client_id": basic[0], "client_secret": basic[1]}
    try:
        return TokenIn.model_validate(fields)
    except ValidationError as exc:
        raise RequestValidationError([{**error, "loc": ("body", *error["loc"])} for error in exc.errors()]) from None


def _basic(header: str) -> tuple[str, str] | None:
    """The (id, secret) of ``Authorization: Basic``, each form-encoded first (RFC 6749 2.3.1)."""
    scheme, _, encoded = header.partition(" ")
    if scheme.lower() != "basic":
        return None
    try:
        pair = base64.b64decode(encoded.strip(), validate=True).decode()
    except (binascii.Error, UnicodeDecodeError):
        raise BadRequest("Basic authentication is base64 of client_id:client_secret", code="INVALID_ARGUMENT") from None
    client_id, colon, secret = pair.partition(":")
    if not colon:
        raise BadRequest("Basic authentication is base64 of client_id:client_secret", code="INVALID_ARGUMENT")
    return unquote(client_id.replace("+", " ")), unquote(secret.replace("+", " "))


def request_body_schema() -> dict[str, Any]:
    """The route's body in its OpenAPI document: the same fields, as JSON or as the form."""
    schema = TokenIn.model_json_schema()
    return {
        "requestBody": {
            "required": True,
            "content": {"application/json": {"schema": schema}, FORM: {"schema": schema}},
        }
    }
