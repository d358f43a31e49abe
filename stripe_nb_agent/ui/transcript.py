"""A conversation written out for people (Markdown) or programs (JSON), redacted either way."""

from __future__ import annotations

import os
import secrets
from pathlib import Path

from stripe_nb_agent.agent.conversation import Conversation
from stripe_nb_agent.errors import UsageError
from stripe_nb_agent.redaction import redact
from stripe_nb_agent.ui.render import arguments_text, escape, markdown_code, markdown_fence

__all__ = ["export_transcript", "transcript_markdown"]

_RESULT_CHARS = 2000


def transcript_markdown(conversation: Conversation) -> str:
    """The conversation as Markdown: each request, each tool call with its result, each answer.

    A transcript ends up in viewers that pass raw HTML and any link through (static-site builds,
    pandoc), so nothing from the conversation is left to their Markdown parser: texts and
    results sit in fences longer than any backtick run inside them, names in code spans that no
    backtick can close, or HTML-escaped inside the ``<summary>``.
    """
    out = [f"# stripe-nb-agent conversation: {markdown_code(conversation.name)}", ""]
    speaker = ""
    for message in conversation.messages:
        if message["role"] == "user":
            out += ["## You", "", markdown_fence(message["content"], "text"), ""]
            speaker = "user"
        elif message["role"] == "assistant":
            content = message.get("content")
            calls = message.get("tool_calls", [])
            if (content or calls) and speaker != "agent":
                # Tool calls are the agent's, even in a round that wrote no text.
                out += ["## Agent", ""]
                speaker = "agent"
            if content:
                out += [markdown_fence(content, "markdown"), ""]
            for call in calls:
                fn = call["function"]
                arguments = arguments_text(fn["arguments"], max_chars=400)
                out += [f"- tool call {markdown_code(fn['name'])} {markdown_code(arguments)}"]
            if calls:
                out.append("")
        elif message["role"] == "tool":
            body = str(message["content"])
            if len(body) > _RESULT_CHARS:
                body = body[:_RESULT_CHARS] + f"\n… ({len(body) - _RESULT_CHARS} more characters)"
            # One line: a blank line inside would end the HTML block and hand the rest to Markdown.
            name = " ".join(str(message.get("name", "tool")).split())
            out += [
                f"<details><summary>{escape(name)} result</summary>",
                "",
                markdown_fence(body, "json"),
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
    # Written beside the target and renamed over it, so a failure never leaves half a transcript;
    # the temporary file goes on every failure, Ctrl-C included. Opened with "x" (not mkstemp) so
    # the transcript gets the permissions the user's umask gives, not 0600.
    tmp = target.with_name(f".{target.name}.{secrets.token_hex(4)}.tmp")
    created = False
    try:
        with tmp.open("x", encoding="utf-8") as file:
            created = True
            file.write(text)
        tmp.replace(target)
    except BaseException as exc:
        if created:
            tmp.unlink(missing_ok=True)
        if isinstance(exc, OSError):
            raise UsageError(_write_failure(target, exc)) from None
        raise
    return target


def _write_failure(target: Path, exc: OSError) -> str:
    """One line that says what to do instead; never the traceback."""
    if isinstance(exc, IsADirectoryError) or target.is_dir():
        return f"{target} is a folder: give a file name in it, e.g. {target / ('chat' + target.suffix)}."
    if isinstance(exc, (FileNotFoundError, NotADirectoryError)):
        return f"The folder {target.parent} does not exist: create it or pick another path."
    if isinstance(exc, PermissionError):
        return f"Cannot write {target}: permission denied. Pick a folder you can write to."
    reason = exc.strerror or type(exc).__name__
    return f"Cannot write {target}: {reason}. Check the path and the free space, or pick another path."
