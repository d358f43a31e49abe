"""The one error tree of stripe-nb-agent.

Every exception the library raises on purpose derives from :class:`StripeNbAgentError`, and every
message says what to do next. Messages are redacted at construction: a key that slipped into an
error body or a URL never reaches a traceback, a log or a saved notebook.

    StripeNbAgentError
    ├── ConfigError                 settings, keys, mode
    │   ├── MissingKeyError         a live service was asked for without its key
    │   └── LiveKeyRefusedError     sk_live_/rk_live_ without allow_live=True
    ├── ModelError                  the chat / embeddings client
    │   ├── ModelAuthError          401/403 from the model endpoint
    │   ├── ModelHTTPError          any other non-2xx after retries (carries .status_code)
    │   ├── ModelConnectError       could not reach the endpoint after retries
    │   ├── ModelTimeoutError       connect, first-token or idle timeout (carries .phase)
    │   ├── StreamInterruptedError  the stream broke mid-way (carries .partial_text)
    │   └── ModelStreamError        the server sent {"error": ...} inside the stream
    ├── ToolError                   the MCP tool client
    │   ├── ToolAuthError           the MCP server rejected the key
    │   ├── ToolConnectError        unreachable host, dropped session that would not come back
    │   └── ToolTimeoutError        a call exceeded its per-call timeout
    ├── AgentError                  the chat-and-tools loop
    │   └── TurnInProgressError     a second turn on a busy conversation
    ├── SandboxError                the offline stand-ins (store files, server start-up)
    └── UsageError                  bad input to the magic, the widget or a public function

Failures of a single tool call are *not* exceptions: they are results the model reads
(see ``tools``), so a failed call never kills a turn.
"""

from __future__ import annotations

from typing import Any

from stripe_nb_agent.redaction import redact

__all__ = [
    "AgentError",
    "ConfigError",
    "LiveKeyRefusedError",
    "MissingKeyError",
    "ModelAuthError",
    "ModelConnectError",
    "ModelError",
    "ModelHTTPError",
    "ModelStreamError",
    "ModelTimeoutError",
    "SandboxError",
    "StreamInterruptedError",
    "StripeNbAgentError",
    "ToolAuthError",
    "ToolConnectError",
    "ToolError",
    "ToolTimeoutError",
    "TurnInProgressError",
    "UsageError",
]


class StripeNbAgentError(Exception):
    """Root of every error stripe-nb-agent raises on purpose. The message is already redacted."""

    def __init__(self, message: str, *args: Any) -> None:
        self.message = redact(message)
        super().__init__(self.message, *args)

    def __str__(self) -> str:
        return self.message


class ConfigError(StripeNbAgentError):
    """Settings, keys or mode are wrong or missing."""


class MissingKeyError(ConfigError):
    """A live service was asked for without its key."""


class LiveKeyRefusedError(ConfigError):
    """A live-mode Stripe key was given without ``allow_live=True``."""


class ModelError(StripeNbAgentError):
    """The model endpoint failed."""


class ModelAuthError(ModelError):
    """The model endpoint rejected the key (401/403)."""


class ModelHTTPError(ModelError):
    """A non-2xx answer that retries did not fix."""

    def __init__(self, message: str, *, status_code: int, body: str = "") -> None:
        super().__init__(message)
        self.status_code = status_code
        self.body = redact(body)


class ModelConnectError(ModelError):
    """The endpoint could not be reached, after retries."""


class ModelTimeoutError(ModelError):
    """A connect, first-token or idle timeout fired."""

    def __init__(self, message: str, *, phase: str, partial_text: str = "") -> None:
        super().__init__(message)
        self.phase = phase
        self.partial_text = partial_text


class StreamInterruptedError(ModelError):
    """The stream broke mid-way; ``partial_text`` keeps what had arrived."""

    def __init__(self, message: str, *, partial_text: str = "", partial_reasoning: str = "") -> None:
        super().__init__(message)
        self.partial_text = partial_text
        self.partial_reasoning = partial_reasoning


class ModelStreamError(ModelError):
    """The server reported an error inside the stream."""

    def __init__(self, message: str, *, partial_text: str = "", payload: Any = None) -> None:
        super().__init__(message)
        self.partial_text = partial_text
        self.payload = payload


class ToolError(StripeNbAgentError):
    """The MCP tool client failed as a whole (not a single tool call)."""


class ToolAuthError(ToolError):
    """The MCP server rejected the key."""


class ToolConnectError(ToolError):
    """The MCP server could not be reached, or its session could not be re-established."""


class ToolTimeoutError(ToolError):
    """A tool call exceeded its timeout."""


class AgentError(StripeNbAgentError):
    """The chat-and-tools loop could not run a turn."""


class TurnInProgressError(AgentError):
    """A conversation is already running a turn; two turns never interleave."""


class SandboxError(StripeNbAgentError):
    """An offline stand-in failed (a store file, a server that would not start)."""


class UsageError(StripeNbAgentError):
    """Bad input from the user; the message says how to fix it."""
