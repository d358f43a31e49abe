"""A conversation: the system prompt, the messages the model sees, and a record of each turn.

The message list is always one the model can be sent as is: every assistant tool call has its tool
message, whatever happened to the turn (an error, a Stop click, a kernel interrupt).
"""

from __future__ import annotations

import functools
import json
import os
import re
import threading
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from stripe_nb_agent.errors import TurnInProgressError, UsageError
from stripe_nb_agent.llm.types import Message, SystemMessage
from stripe_nb_agent.redaction import redact

__all__ = ["DEFAULT_SYSTEM_PROMPT", "Conversation", "TurnRecord"]

FORMAT_VERSION = 1

DEFAULT_SYSTEM_PROMPT = (
    "You are a careful assistant that works with a Stripe account through tools. "
    "You are connected to {where}. Use the tools to answer; never invent ids, amounts or results. "
    "Amounts in Stripe are integers in the currency's smallest unit (5000 usd = $50.00; jpy has no "
    "minor unit): convert when you read and write them. Before a refund, cancellation or any other "
    "write, be sure of the object it applies to. Summarise results briefly, with ids and amounts in "
    "major units."
)


# The history sent with each request, in characters (~10k tokens), beside the running turn; and
# how many turns keep their tool results in full (the running one and the one before, which
# follow-ups such as "refund that payment" refer to).
DEFAULT_HISTORY_CHARS = 40_000
DEFAULT_FULL_RESULT_TURNS = 2
_SUMMARY_IDS = 20
_ID = re.compile(r"\b(?:cus|prod|price|plink|in|ii|pi|ch|re|sub|si|dp|txn|acct)_[A-Za-z0-9]{6,}\b")


@dataclass(frozen=True)
class TurnRecord:
    """What the history of a conversation keeps of one finished turn (for metrics and export)."""

    prompt: str
    text: str
    model: str
    stop_reason: str
    rounds: int
    tool_calls: tuple[str, ...]
    time_to_first_token: float | None
    tokens_per_second: float | None
    tool_time_s: float
    total_s: float
    error: str | None = None


@dataclass
class Conversation:
    """Messages plus turn history. Only one turn runs on a conversation at a time."""

    name: str = "default"
    system_prompt: str = ""
    messages: list[Message] = field(default_factory=list)
    turns: list[TurnRecord] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False, compare=False)
    _busy: bool = field(default=False, repr=False, compare=False)

    @property
    def busy(self) -> bool:
        return self._busy

    def acquire(self) -> None:
        """Mark a turn as running; a second turn is refused rather than interleaved."""
        with self._lock:
            if self._busy:
                raise TurnInProgressError(
                    f"Conversation {self.name!r} is still answering the previous request. Wait for it, "
                    "press Stop, or use another conversation (--conversation NAME in the magic)."
                )
            self._busy = True

    def release(self) -> None:
        with self._lock:
            self._busy = False

    def model_messages(
        self, *, max_chars: int = DEFAULT_HISTORY_CHARS, full_turns: int = DEFAULT_FULL_RESULT_TURNS
    ) -> list[Message]:
        """What the model is sent: the system prompt, then the history, bounded.

        The last ``full_turns`` turns (the running one included) keep their tool results; older
        tool results are summarised to their size and ids. Whole older turns are then left out,
        oldest first, once the history passes ``max_chars``, and the system prompt says so. The
        running turn is always sent whole. ``messages`` (the transcript) keeps everything.
        """
        turns = _split_turns(list(self.messages))
        kept: list[list[Message]] = turns[-1:]
        used = sum(_size(m) for turn in kept for m in turn)
        # Newest first, stopping at the budget: the cost does not grow with the transcript.
        for n in range(len(turns) - 2, -1, -1):
            turn = turns[n] if n >= len(turns) - full_turns else [_summarised(m) for m in turns[n]]
            size = sum(_size(m) for m in turn)
            if used + size > max_chars:
                break
            kept.insert(0, turn)
            used += size
        left_out = len(turns) - len(kept)
        prompt = self.system_prompt
        if left_out:
            prompt += (
                f"\n\n({left_out} earlier turn{'s' if left_out != 1 else ''} of this conversation "
                "are not shown, to keep the context small; ask the user if you need something from them.)"
            )
        head: list[Message] = []
        if prompt.strip():
            system: SystemMessage = {"role": "system", "content": prompt.strip()}
            head.append(system)
        return head + [m for turn in kept for m in turn]

    def clear(self) -> None:
        with self._lock:
            if self._busy:
                raise TurnInProgressError(
                    f"Conversation {self.name!r} is answering a request; stop it before resetting."
                )
            self.messages.clear()
            self.turns.clear()

    # --- persistence ----------------------------------------------------------------------

    def to_dict(self) -> dict[str, Any]:
        return {
            "format": "stripe-nb-agent.conversation",
            "version": FORMAT_VERSION,
            "name": self.name,
            "system_prompt": self.system_prompt,
            "messages": list(self.messages),
            "turns": [asdict(t) for t in self.turns],
        }

    def to_json(self, *, indent: int | None = 2) -> str:
        # Redacted as a whole: a key pasted into a prompt must not end up in a saved transcript.
        return redact(json.dumps(self.to_dict(), ensure_ascii=False, indent=indent))

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Conversation:
        if data.get("format") != "stripe-nb-agent.conversation":
            raise UsageError("This is not a stripe-nb-agent conversation file (no 'format' marker).")
        version = data.get("version")
        if not isinstance(version, int) or version > FORMAT_VERSION:
            raise UsageError(
                f"This conversation file has format version {version!r}; this stripe-nb-agent reads "
                f"version {FORMAT_VERSION} or older. Upgrade stripe-nb-agent to load it."
            )
        messages = data.get("messages")
        if not isinstance(messages, list) or not all(
            isinstance(m, dict) and m.get("role") in {"system", "user", "assistant", "tool"} for m in messages
        ):
            raise UsageError("The conversation file's 'messages' are not a list of chat messages.")
        turns = [
            TurnRecord(**{**t, "tool_calls": tuple(t.get("tool_calls", ()))}) for t in data.get("turns", [])
        ]
        return cls(
            name=str(data.get("name", "default")),
            system_prompt=str(data.get("system_prompt", "")),
            messages=messages,
            turns=turns,
        )

    @classmethod
    def from_json(cls, text: str) -> Conversation:
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise UsageError(
                f"The conversation file is not valid JSON ({exc.msg} at line {exc.lineno})."
            ) from None
        if not isinstance(data, dict):
            raise UsageError("The conversation file must hold a JSON object.")
        return cls.from_dict(data)

    def save(self, path: str | os.PathLike[str]) -> Path:
        target = Path(path)
        tmp = target.with_name(target.name + ".tmp")
        tmp.write_text(self.to_json(), encoding="utf-8")
        tmp.replace(target)
        return target

    @classmethod
    def load(cls, path: str | os.PathLike[str]) -> Conversation:
        try:
            text = Path(path).read_text(encoding="utf-8")
        except FileNotFoundError:
            raise UsageError(f"No conversation file at {path}.") from None
        return cls.from_json(text)


def _split_turns(messages: list[Message]) -> list[list[Message]]:
    """Messages grouped per turn, each starting at a user message (anything before the first
    user message is a group of its own)."""
    turns: list[list[Message]] = []
    for message in messages:
        if message["role"] == "user" or not turns:
            turns.append([])
        turns[-1].append(message)
    return turns or [[]]


def _size(message: Message) -> int:
    size = len(message.get("content") or "")
    if message["role"] == "assistant":
        size += sum(len(json.dumps(call)) for call in message.get("tool_calls", []))
    return size


def _summarised(message: Message) -> Message:
    """An older tool result cut to its shape and the ids in it (what later turns refer to)."""
    if message["role"] != "tool" or len(message["content"]) <= 500:
        return message
    return {**message, "content": _summary(message["content"])}


@functools.lru_cache(maxsize=512)  # every request re-sends the same older results
def _summary(text: str) -> str:
    ids = list(dict.fromkeys(_ID.findall(text)))
    try:
        data = json.loads(text)
    except ValueError:
        data = None
    rows = data.get("data") if isinstance(data, dict) else data
    shape = f"{len(rows)} rows, " if isinstance(rows, list) else ""
    listed = ", ".join(ids[:_SUMMARY_IDS]) + (
        f" and {len(ids) - _SUMMARY_IDS} more" if len(ids) > _SUMMARY_IDS else ""
    )
    return (
        f"[Earlier tool result, summarised to keep the context small: {shape}{len(text):,} characters"
        + (f"; ids: {listed}" if ids else "")
        + ". Call the tool again for the details.]"
    )
