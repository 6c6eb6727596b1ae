"""The request headers a write understands, declared in the OpenAPI document as the server enforces them.

    @blp.route("/<uuid:investigation_id>/status")
    class Status(MethodView):
        @headers(if_match="required", idempotency_key=True)   # 428 without If-Match, 412 when it is stale
        @blp.arguments(...)

The declaration is documentation only: requests.if_match() and requests.context() read the headers, so no
other header is refused. It is recorded where @blp.arguments records its parameters, so it adds to a route's
query parameters in any decorator order (Blueprint.doc(parameters=...) would replace them).
"""

from __future__ import annotations

from collections.abc import Callable
from copy import deepcopy
from functools import wraps
from typing import Any, Literal, TypeVar

from api.requests import _KEY

F = TypeVar("F", bound=Callable[..., Any])

IF_MATCH_DESCRIPTION = (
    "The ETag of the version you read (`\"3\"`), or `*` for whatever version is current. A weak or stale "
    "ETag never matches: 412."
)


def if_match_parameter(*, required: bool) -> dict[str, Any]:
    description = IF_MATCH_DESCRIPTION + (" Required: without it the write is refused with 428." if required else "")
    return {"in": "header", "name": "If-Match", "required": required, "description": description,
            "schema": {"type": "string"}, "example": '"1"'}


IDEMPOTENCY_KEY = {
    "in": "header", "name": "Idempotency-Key", "required": False,
    "description": ("Retrying with the same key returns the first response and writes nothing twice; the same key "
                    "with a different body is 422. 1-200 visible ASCII characters."),
    "schema": {"type": "string", "minLength": 1, "maxLength": 200, "pattern": _KEY.pattern},
}


def headers(
    *, if_match: Literal["required", "optional"] | None = None, idempotency_key: bool = False
) -> Callable[[F], F]:
    """Declare If-Match (with the 412 it can cause, and the 428 when required) and Idempotency-Key on a write."""
    parameters: list[dict[str, Any]] = []
    responses: dict[int, str] = {}
    if if_match is not None:
        parameters.append(if_match_parameter(required=if_match == "required"))
        responses[412] = "PRECONDITION_FAILED"
        if if_match == "required":
            responses[428] = "PRECONDITION_REQUIRED"
    if idempotency_key:
        parameters.append(deepcopy(IDEMPOTENCY_KEY))

    def decorator(func: F) -> F:
        @wraps(func)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            return func(*args, **kwargs)

        apidoc = deepcopy(getattr(func, "_apidoc", {}))
        arguments = apidoc.setdefault("arguments", {})
        declared = {(p.get("in"), p.get("name")) for p in arguments.get("parameters", [])}
        arguments.setdefault("parameters", []).extend(
            deepcopy(p) for p in parameters if (p["in"], p["name"]) not in declared)
        arguments.setdefault("responses", {}).update(responses)
        wrapper._apidoc = apidoc  # type: ignore[attr-defined]
        return wrapper  # type: ignore[return-value]

    return decorator
