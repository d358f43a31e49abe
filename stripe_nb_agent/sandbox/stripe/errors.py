"""Stripe-shaped API errors raised by the sandbox store.

A :class:`StripeAPIError` is what Stripe's API would have answered with a 4xx: it carries the
exact ``{"error": {...}}`` body, and the MCP profiles turn it into each profile's failure shape
(a string literal for ``classic``, an ``isError`` result for ``generic``).
"""

from __future__ import annotations

from typing import Literal, NotRequired, TypedDict

from stripe_nb_agent.errors import SandboxError

__all__ = ["ErrorBody", "ErrorDetail", "StripeAPIError"]

ErrorType = Literal["invalid_request_error", "card_error", "api_error"]


class ErrorDetail(TypedDict):
    type: ErrorType
    message: str
    code: NotRequired[str]
    param: NotRequired[str]


class ErrorBody(TypedDict):
    error: ErrorDetail


class StripeAPIError(SandboxError):
    """The sandbox refused a request exactly as Stripe would (``.body`` is Stripe's error JSON)."""

    def __init__(
        self,
        message: str,
        *,
        code: str | None = None,
        param: str | None = None,
        type: ErrorType = "invalid_request_error",
        http_status: int = 400,
    ) -> None:
        super().__init__(message)
        detail: ErrorDetail = {"type": type, "message": self.message}
        if code is not None:
            detail["code"] = code
        if param is not None:
            detail["param"] = param
        self.body: ErrorBody = {"error": detail}
        self.code = code
        self.param = param
        self.http_status = http_status

    @classmethod
    def missing(cls, kind: str, object_id: str, param: str) -> StripeAPIError:
        return cls(f"No such {kind}: '{object_id}'", code="resource_missing", param=param, http_status=404)

    @classmethod
    def parameter_missing(cls, param: str) -> StripeAPIError:
        return cls(f"Missing required param: {param}.", code="parameter_missing", param=param)

    @classmethod
    def invalid(cls, message: str, param: str, code: str = "parameter_invalid_integer") -> StripeAPIError:
        return cls(message, code=code, param=param)
