"""Exported transcripts: nothing from the conversation becomes an element; failures are one line."""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path

import pytest

from stripe_nb_agent.agent.conversation import Conversation
from stripe_nb_agent.errors import UsageError
from stripe_nb_agent.ui.transcript import export_transcript, transcript_markdown
from tests.ui.support import HOSTILE, unsanitised_elements


def conversation(text: Callable[[str], str]) -> Conversation:
    """One turn of each kind, every name and text made by ``text(place)``."""
    call = {"id": "call_1", "type": "function", "function": {"name": text("name"), "arguments": ""}}
    call["function"]["arguments"] = json.dumps({"query": text("arguments")})
    return Conversation(
        name=text("conversation"),
        messages=[
            {"role": "user", "content": text("request")},
            {"role": "assistant", "content": text("answer"), "tool_calls": [call]},
            {"role": "tool", "tool_call_id": "call_1", "name": text("name"), "content": text("result")},
            {"role": "assistant", "content": text("answer")},
        ],
    )


@pytest.mark.parametrize("payload", HOSTILE)
def test_exported_transcript_lets_no_element_through_from_names_texts_or_results(payload: str) -> None:
    hostile = transcript_markdown(conversation(lambda place: payload))
    plain = transcript_markdown(conversation(lambda place: "x"))
    assert unsanitised_elements(hostile) == unsanitised_elements(plain)


def test_a_result_holding_a_fence_stays_inside_its_own_longer_fence() -> None:
    text = transcript_markdown(conversation(lambda place: "a\n````\nb" if place == "result" else "x"))
    assert "`````json\na\n````\nb\n`````" in text


def test_exporting_to_a_folder_is_a_one_line_usage_error_and_leaves_no_temporary_file(tmp_path: Path) -> None:
    folder = tmp_path / "notes.md"
    folder.mkdir()
    with pytest.raises(UsageError) as caught:
        export_transcript(conversation(lambda place: "x"), folder)
    assert str(caught.value) == f"{folder} is a folder: give a file name in it, e.g. {folder / 'chat.md'}."
    assert list(tmp_path.rglob("*")) == [folder]


def test_exporting_into_a_missing_folder_says_so_in_one_line(tmp_path: Path) -> None:
    with pytest.raises(UsageError) as caught:
        export_transcript(conversation(lambda place: "x"), tmp_path / "missing" / "chat.md")
    assert (
        str(caught.value)
        == f"The folder {tmp_path / 'missing'} does not exist: create it or pick another path."
    )
    assert list(tmp_path.iterdir()) == []


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes anywhere")
def test_exporting_into_an_unwritable_folder_says_so_and_leaves_nothing(tmp_path: Path) -> None:
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o500)
    try:
        with pytest.raises(UsageError) as caught:
            export_transcript(conversation(lambda place: "x"), locked / "chat.json")
        assert (
            str(caught.value)
            == f"Cannot write {locked / 'chat.json'}: permission denied. Pick a folder you can write to."
        )
        assert list(locked.iterdir()) == []
    finally:
        locked.chmod(0o700)


def test_a_rename_that_fails_after_writing_removes_the_temporary_file(tmp_path: Path) -> None:
    target = tmp_path / "chat.md"
    target.mkdir()  # renaming a file over a folder fails after the temporary file is written
    (target / "keep").write_text("x")
    with pytest.raises(UsageError, match="is a folder"):
        export_transcript(conversation(lambda place: "x"), target)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["chat.md"]


def test_tool_calls_of_a_round_without_text_are_filed_under_the_agent() -> None:
    call = {"id": "c1", "type": "function", "function": {"name": "list_customers", "arguments": "{}"}}
    convo = Conversation(messages=[
        {"role": "user", "content": "list customers"},
        {"role": "assistant", "content": "", "tool_calls": [call]},
        {"role": "tool", "tool_call_id": "c1", "name": "list_customers", "content": "[]"},
        {"role": "assistant", "content": "None yet."},
    ])  # fmt: skip
    text = transcript_markdown(convo)
    assert text.index("## Agent") < text.index("list_customers")
    assert text.count("## Agent") == 1
