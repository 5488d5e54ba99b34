"""Errors over HTTP as RFC 9457 problem details (``application/problem+json``).

Every problem carries ``type``, ``title``, ``status``, ``detail`` (the same sentence the CLI prints) and
``code`` (the error's code, the thing a program should branch on). The status comes from the code,
never from the message text or the class name:

    VoiceshopError (voiceshop.errors)      code -> status by CODE_STATUS (other codes: 422, a request
                                           the domain refused as it stands)
    HttpProblem                            an error only HTTP has (missing If-Match, bad token, ...),
                                           its code -> status by the same table

A request body that makes no sense is 422 with the fields at fault in ``errors``; anything that
escapes is 500 with a neutral sentence, its traceback only in the server's log.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from voiceshop.errors import VoiceshopError, shorten

PROBLEM_JSON = "application/problem+json"
TYPE_BASE = "urn:voiceshop:problem:"
log = logging.getLogger("voiceshop.server")

CODE_STATUS: Mapping[str, int] = {
    "shop_not_found": 404,
    "order_not_found": 404,
    "not_found": 404,
    # a request the store understood but refuses as it stands
    "product_not_found": 422,
    "no_longer_sold": 422,
    "option": 422,
    "option_needed": 422,
    "option_not_offered": 422,
    "amount_not_offered": 422,
    "chosen_twice": 422,
    "one_choice_only": 422,
    "too_many_choices": 422,
    "cart": 422,
    "quantity_range": 422,
    "no_such_line": 422,
    "coupon": 422,
    "coupon_unknown": 422,
    "coupon_expired": 422,
    "coupon_minimum": 422,
    "delivery_not_offered": 422,
    "checkout": 422,
    "empty_cart": 422,
    "spending_cap": 422,
    "customer": 422,
    "invalid_request": 422,
    "idempotency_key_reused": 422,
    # the state of the world says no: try again with fresh data
    "out_of_stock": 409,
    "price_changed": 409,
    "order_transition": 409,
    "delivery_pending": 409,
    "precondition_failed": 412,
    "precondition_required": 428,
    "idempotency_key_missing": 400,
    "unauthorized": 401,
    "forbidden": 403,
    "method_not_allowed": 405,
    "too_large": 413,
    "too_many_attempts": 429,
    "store_locked": 503,
    "store": 503,
}
TITLES: Mapping[int, str] = {
    400: "Bad request",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not found",
    405: "Method not allowed",
    409: "Conflict",
    412: "Precondition failed",
    413: "Content too large",
    422: "Unprocessable content",
    428: "Precondition required",
    429: "Too many requests",
    500: "Internal server error",
    503: "Service unavailable",
}


class HttpProblem(Exception):
    """An error only HTTP has: a missing If-Match, a stale ETag, a missing or wrong token. Not a
    ``VoiceshopError``: it never reaches the dialog, so a shopper never meets its code."""

    def __init__(
        self, message: str, *, problem: str, headers: Mapping[str, str] | None = None, **fields: str | int
    ) -> None:
        super().__init__(message)
        self.code = problem
        self.fields: dict[str, str | int] = dict(fields)
        self.headers = dict(headers or {})


def status_for(code: str) -> int:
    return CODE_STATUS.get(code, 422)


def problem(
    status: int,
    code: str,
    detail: str,
    *,
    instance: str | None = None,
    headers: Mapping[str, str] | None = None,
    **extra: Any,
) -> JSONResponse:
    body: dict[str, Any] = {
        "type": TYPE_BASE + code,
        "title": TITLES.get(status, "Error"),
        "status": status,
        "detail": detail,
        "code": code,
    }
    if instance is not None:
        body["instance"] = instance
    body.update({k: v for k, v in extra.items() if k not in body})  # a field never overrides a member
    return JSONResponse(body, status_code=status, media_type=PROBLEM_JSON, headers=dict(headers or {}))


def _validation_errors(errors: Sequence[Any]) -> list[dict[str, str]]:
    """Where each field is wrong and why; the value sent is never echoed (it may be huge, or a PIN)."""
    out = []
    for err in errors:
        loc = [str(part) for part in err.get("loc", ()) if part != "body"]
        out.append({"field": ".".join(loc) or "body", "message": str(err.get("msg", "invalid"))})
    return out


def _summary(errors: list[dict[str, str]]) -> str:
    first = errors[0] if errors else {"field": "body", "message": "invalid"}
    more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
    if first["message"].startswith("JSON decode error"):
        return "the request body is not valid JSON"
    return f"{first['field']}: {first['message']}{more}"


def install(app: FastAPI) -> None:
    """Register the handlers that turn every error into problem details."""

    @app.exception_handler(VoiceshopError)
    async def voiceshop_error(request: Request, exc: VoiceshopError) -> JSONResponse:
        status = status_for(exc.code)
        headers = {"Retry-After": "2"} if status == 503 else {}
        return problem(
            status, exc.code, shorten(str(exc), 600), instance=request.url.path, headers=headers, **exc.fields
        )

    @app.exception_handler(HttpProblem)
    async def http_problem(request: Request, exc: HttpProblem) -> JSONResponse:
        return problem(
            status_for(exc.code), exc.code, str(exc), instance=request.url.path, headers=exc.headers, **exc.fields
        )

    @app.exception_handler(RequestValidationError)
    async def invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
        errors = _validation_errors(exc.errors())
        return problem(422, "invalid_request", _summary(errors), instance=request.url.path, errors=errors)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        code = {401: "unauthorized", 404: "not_found", 405: "method_not_allowed", 413: "too_large"}.get(
            exc.status_code, "http_error"
        )
        detail = exc.detail if isinstance(exc.detail, str) else TITLES.get(exc.status_code, "error")
        if exc.status_code == 404 and detail == "Not Found":
            detail = f"there is nothing at {shorten(request.url.path)}; the API is described at /api/v1/openapi.json"
        return problem(exc.status_code, code, detail, instance=request.url.path, headers=exc.headers)

    @app.exception_handler(Exception)
    async def failure(request: Request, exc: Exception) -> JSONResponse:
        log.exception("unexpected failure serving %s %s", request.method, request.url.path)
        return problem(
            500,
            "internal",
            "voiceshop failed unexpectedly; the details are in the server's log",
            instance=request.url.path,
        )
