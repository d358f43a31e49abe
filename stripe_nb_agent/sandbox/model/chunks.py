"""A :class:`Plan` -> the chunks llama.cpp would stream for it (or one ``chat.completion``).

Shapes follow the real captures: a first ``{role, content: null}`` delta, reasoning deltas, then
content word-piece by word-piece, tool calls as fragments (the first carries id and name, the
arguments JSON string follows in pieces), ``finish_reason`` on an empty delta, and usage/timings
either on a final ``choices: []`` chunk or on the last choice chunk. Every id is derived from a hash
of the request, so an identical conversation streams the same ids and text; ``created`` is the
current time, as a real server's is (clients that date replies by it see the truth).
"""

from __future__ import annotations

import hashlib
import json
import re
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, Literal

from stripe_nb_agent.sandbox.model.planner import Plan

__all__ = ["FINGERPRINT", "Reply", "UsageMode", "completion", "pieces", "stream_chunks"]

FINGERPRINT = "stripe-nb-agent-sandbox-rule-based"
# "final": usage and timings on a last choices: [] chunk; "last": timings on the finishing chunk.
UsageMode = Literal["final", "last"]
_PIECE = re.compile(r"\s*[^\s]{1,7}|\s+")
_ALNUM = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"


def pieces(text: str, width: int = 7) -> list[str]:
    """Word pieces whose concatenation is exactly ``text``."""
    if width == 7:
        return _PIECE.findall(text)
    return re.findall(rf"\s*[^\s]{{1,{width}}}|\s+", text)


def _token(seed: bytes, length: int) -> str:
    digest = hashlib.sha256(seed).digest()
    return "".join(_ALNUM[b % len(_ALNUM)] for b in digest[:length])


@dataclass(frozen=True)
class Reply:
    """One planned reply, with everything derived from the request it answers."""

    plan: Plan
    model: str
    chat_id: str
    created: int
    prompt_tokens: int
    tool_call_ids: tuple[str, ...]

    @classmethod
    def for_request(cls, plan: Plan, model: str, request: dict[str, Any]) -> Reply:
        canonical = json.dumps(request, sort_keys=True, ensure_ascii=False, default=str).encode()
        seed = hashlib.sha256(canonical + model.encode()).digest()
        ids = tuple(f"call_{_token(seed + bytes([i]), 24)}" for i in range(len(plan.tool_calls)))
        created = int(time.time())
        return cls(plan, model, f"chatcmpl-{_token(seed, 32)}", created, max(1, len(canonical) // 4), ids)

    @property
    def completion_tokens(self) -> int:
        plan = self.plan
        args = sum(len(_arg_pieces(c.arguments_json)) + 1 for c in plan.tool_calls)
        return len(pieces(plan.reasoning)) + len(pieces(plan.content)) + args

    def usage(self) -> dict[str, Any]:
        n = self.completion_tokens
        return {
            "completion_tokens": n,
            "prompt_tokens": self.prompt_tokens,
            "total_tokens": n + self.prompt_tokens,
        }

    def timings(self, pace: float) -> dict[str, Any]:
        # Server-side figures as llama.cpp reports them, computed from the pace, not measured.
        per_token_ms = max(pace, 0.001) * 1000
        prompt_ms = self.prompt_tokens * 0.05
        predicted_ms = self.completion_tokens * per_token_ms
        return {
            "prompt_n": self.prompt_tokens,
            "prompt_ms": round(prompt_ms, 3),
            "prompt_per_token_ms": 0.05,
            "prompt_per_second": 20000.0,
            "predicted_n": self.completion_tokens,
            "predicted_ms": round(predicted_ms, 3),
            "predicted_per_token_ms": round(per_token_ms, 3),
            "predicted_per_second": round(1000 / per_token_ms, 3),
        }

    def _chunk(self, choices: list[dict[str, Any]], **extra: Any) -> dict[str, Any]:
        return {
            "choices": choices,
            "created": self.created,
            "id": self.chat_id,
            "model": self.model,
            "system_fingerprint": FINGERPRINT,
            "object": "chat.completion.chunk",
            **extra,
        }

    def _delta(self, delta: dict[str, Any], finish: str | None = None) -> dict[str, Any]:
        return self._chunk([{"finish_reason": finish, "index": 0, "delta": delta}])


def _arg_pieces(arguments: str) -> list[str]:
    return [arguments[i : i + 8] for i in range(0, len(arguments), 8)] or [""]


def stream_chunks(reply: Reply, *, usage_mode: UsageMode, pace: float = 0.0) -> Iterator[dict[str, Any]]:
    """Every chunk of the streamed reply, in order (without the final ``[DONE]``)."""
    plan = reply.plan
    yield reply._delta({"role": "assistant", "content": None})
    for piece in pieces(plan.reasoning):
        yield reply._delta({"reasoning_content": piece})
    for piece in pieces(plan.content):
        yield reply._delta({"content": piece})
    for index, (call, call_id) in enumerate(zip(plan.tool_calls, reply.tool_call_ids, strict=True)):
        head = {
            "index": index,
            "id": call_id,
            "type": "function",
            "function": {"name": call.name, "arguments": ""},
        }
        yield reply._delta({"tool_calls": [head]})
        for fragment in _arg_pieces(call.arguments_json):
            yield reply._delta({"tool_calls": [{"index": index, "function": {"arguments": fragment}}]})
    if usage_mode == "last":
        yield {**reply._delta({}, plan.finish_reason), "timings": reply.timings(pace)}
        return
    yield reply._delta({}, plan.finish_reason)
    yield reply._chunk([], usage=reply.usage(), timings=reply.timings(pace))


def completion(reply: Reply, *, pace: float = 0.0) -> dict[str, Any]:
    """The non-streamed ``chat.completion`` object."""
    plan = reply.plan
    message: dict[str, Any] = {"role": "assistant", "content": plan.content or None}
    if plan.reasoning:
        message["reasoning_content"] = plan.reasoning
    if plan.tool_calls:
        message["tool_calls"] = [
            {"id": call_id, "type": "function", "function": {"name": c.name, "arguments": c.arguments_json}}
            for c, call_id in zip(plan.tool_calls, reply.tool_call_ids, strict=True)
        ]
    return {
        "choices": [{"finish_reason": plan.finish_reason, "index": 0, "message": message}],
        "created": reply.created,
        "id": reply.chat_id,
        "model": reply.model,
        "system_fingerprint": FINGERPRINT,
        "object": "chat.completion",
        "usage": reply.usage(),
        "timings": reply.timings(pace),
    }
