"""A conversation written out for people (Markdown) or programs (JSON), redacted either way."""

from __future__ import annotations

import os
from pathlib import Path

from stripe_nb_agent.agent.conversation import Conversation
from stripe_nb_agent.config import redact
from stripe_nb_agent.errors import UsageError
from stripe_nb_agent.ui.render import arguments_text

__all__ = ["export_transcript", "transcript_markdown"]

_RESULT_CHARS = 2000


def transcript_markdown(conversation: Conversation) -> str:
    """The conversation as Markdown: each request, each tool call with its result, each answer."""
    out = [f"# stripe-nb-agent conversation: {conversation.name}", ""]
    for message in conversation.messages:
        if message["role"] == "user":
            out += ["## You", "", str(message["content"]), ""]
        elif message["role"] == "assistant":
            content = message.get("content")
            calls = message.get("tool_calls", [])
            if content:
                out += ["## Agent", "", str(content), ""]
            for call in calls:
                fn = call["function"]
                out += [f"- tool call `{fn['name']}` `{arguments_text(fn['arguments'], max_chars=400)}`"]
            if calls:
                out.append("")
        elif message["role"] == "tool":
            body = str(message["content"])
            if len(body) > _RESULT_CHARS:
                body = body[:_RESULT_CHARS] + f"\n… ({len(body) - _RESULT_CHARS} more characters)"
            name = message.get("name", "tool")
            out += [
                f"<details><summary>{name} result</summary>",
                "",
                "```json",
                body,
                "```",
                "",
                "</details>",
                "",
            ]
    return redact("\n".join(out).rstrip() + "\n")


def export_transcript(conversation: Conversation, path: str | os.PathLike[str]) -> Path:
    """Write ``.md`` (Markdown) or ``.json`` (the reloadable conversation file) to ``path``."""
    target = Path(path).expanduser()
    suffix = target.suffix.lower()
    if suffix == ".json":
        text = conversation.to_json()
    elif suffix in (".md", ".markdown"):
        text = transcript_markdown(conversation)
    else:
        raise UsageError(
            f"Cannot tell the export format from {target.name!r}: end the file name with .md "
            "(Markdown, to read) or .json (to reload with Conversation.load)."
        )
    if not target.parent.exists():
        raise UsageError(f"The folder {target.parent} does not exist: create it or pick another path.")
    tmp = target.with_name(target.name + ".tmp")
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(target)
    return target
