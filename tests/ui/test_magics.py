"""%%stripe_agent and %stripe_agent through a real IPython shell on the offline sandbox."""

from __future__ import annotations

import json
import sys
import threading
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from IPython.core.interactiveshell import InteractiveShell
from IPython.utils.capture import capture_output

from stripe_nb_agent.agent.agent import Agent
from stripe_nb_agent.errors import UsageError
from stripe_nb_agent.ui.commands import SUBCOMMANDS
from stripe_nb_agent.ui.interpolation import interpolate
from stripe_nb_agent.ui.options import cell_parser, parse_cell_options
from stripe_nb_agent.ui.result import TurnOutput
from tests.fresh_python import fresh_python
from tests.ui.support import RecordingPublisher, run

HOSTILE = "<img src=x onerror=alert(1)>"
WRITE = "create a customer named Grace Hopper with email grace@example.com"


def test_a_notebook_of_cells_never_builds_the_line_subcommands() -> None:
    code = (
        "import sys; from stripe_nb_agent.ui.magics import StripeAgentMagics; "
        "print('stripe_nb_agent.ui.commands' in sys.modules)"
    )
    assert fresh_python(code) == "False"


def cell(shell: InteractiveShell, line: str, body: str) -> Any:
    return run(shell, f"%%stripe_agent {line}\n{body}")


def _customers(agent: Agent) -> list[dict[str, Any]]:
    return list(agent.sandbox_store.list_customers(limit=100)["data"])


# --- parsing -------------------------------------------------------------------------------


def test_interpolation_replaces_known_names_and_keeps_everything_else() -> None:
    ns = {"customer": "cus_123", "limit": 3, "obj": pd.Series([1], name="s")}
    text = 'for {customer} take {limit} {"a": 1} {{literal}} {obj.name} { x } {'
    assert interpolate(text, ns) == 'for cus_123 take 3 {"a": 1} {literal} s { x } {'


@pytest.mark.parametrize("text", ["refund {amount} of it", "{obj.nope}", "{b}"])
def test_a_placeholder_that_names_no_value_is_an_error_naming_it(text: str) -> None:
    class Broken:
        def __str__(self) -> str:
            raise RuntimeError("no")

    with pytest.raises(UsageError) as caught:
        interpolate(text, {"obj": pd.Series([1], name="s"), "b": Broken()})
    message = caught.value.message
    assert text[text.index("{") : text.index("}") + 1] in message
    assert "nothing was sent" in message
    assert "{{" in message  # how to write literal braces
    assert "--no-interpolate" in message


def test_cell_options_parse_every_flag() -> None:
    o = parse_cell_options(
        "--model sandbox --new --conversation side --policy confirm --no-tools --max-rounds 3 --out r "
        "--format json --show-reasoning --quiet --no-interpolate --temperature 0.2 --max-tokens 50"
    )
    assert (o.model, o.new, o.conversation, o.policy, o.use_tools) == (
        "sandbox",
        True,
        "side",
        "confirm",
        False,
    )
    assert (o.max_rounds, o.out, o.format, o.show_reasoning, o.quiet, o.interpolate) == (
        3,
        "r",
        "json",
        True,
        True,
        False,
    )
    assert (o.temperature, o.max_tokens) == (0.2, 50)


@pytest.mark.parametrize(
    ("line", "says"),
    [
        ("--bogus", "unrecognized arguments: --bogus"),
        ("--policy sometimes", "invalid choice"),
        ("--max-rounds 0", "at least 1"),
        ("--max-rounds many", "whole number"),
        ("--out 1abc", "not a valid Python variable name"),
        ("--format yaml", "invalid choice"),
        ('--model "unclosed', "check the quotes"),
        ("--conversation", "expected one argument"),
    ],
)
def test_bad_options_raise_usage_errors_that_say_the_fix(line: str, says: str) -> None:
    with pytest.raises(UsageError, match=says):
        parse_cell_options(line)


def test_bad_option_in_a_cell_prints_the_fix_and_no_traceback(shell: InteractiveShell) -> None:
    with capture_output() as cap:
        result = shell.run_cell("%%stripe_agent --policy sometimes\nlist customers")
    assert result.success
    assert result.result is None
    assert "stripe_agent: argument --policy: invalid choice" in cap.stderr
    assert "%stripe_agent help" in cap.stderr
    assert "Traceback" not in cap.stdout + cap.stderr


def test_unknown_subcommand_points_at_the_cell_magic(shell: InteractiveShell) -> None:
    with capture_output() as cap:
        assert shell.run_cell("%stripe_agent list my customers").success
    assert "Unknown subcommand 'list'" in cap.stderr
    assert "%%stripe_agent on the first line" in cap.stderr


def test_help_lists_every_option_and_subcommand(shell: InteractiveShell) -> None:
    with capture_output() as cap:
        run(shell, "%stripe_agent help")
    for word in ("--policy", "--out VAR", "--no-interpolate", "approve", "export FILE", "metrics"):
        assert word in cap.stdout
    # Every option the cell parser accepts is in the help (it once forgot --temperature).
    accepted = {o for a in cell_parser()._actions for o in a.option_strings if o.startswith("--")}
    assert accepted - {"--help"} <= set(cap.stdout.replace("[", " ").split())
    for command in SUBCOMMANDS:
        assert f"  {command}" in cap.stdout


# --- requests ------------------------------------------------------------------------------


def test_plain_request_returns_a_turn_output_shown_once(
    shell: InteractiveShell, published: RecordingPublisher
) -> None:
    out = cell(shell, "--no-tools", "hello")
    assert isinstance(out, TurnOutput)
    assert out.text
    assert out.tool_calls == ()
    assert out.tables == []
    # The only display the cell leaves is the live one, emptied: the answer is the cell's value.
    assert [r.data for r in published.final] == [{"text/html": "", "text/plain": ""}]
    bundle = out._repr_mimebundle_()
    assert set(bundle) == {"text/plain", "text/markdown", "text/html"}
    assert out.text in bundle["text/plain"]


def test_tool_request_has_tables_and_tool_lines(
    shell: InteractiveShell, published: RecordingPublisher
) -> None:
    out = cell(shell, "--out turn", "list my last 3 customers")
    assert shell.user_ns["turn"] is out
    assert next(r.name for r in out.tool_calls) == "list_customers"
    assert all(isinstance(t, pd.DataFrame) for t in out.tables)
    assert len(out.tables) >= 1
    html = out._repr_mimebundle_()["text/html"]
    assert "snba-table" in html
    assert "list_customers" in html
    assert "TTFT" in html
    assert "✓ list_customers" in out.to_text()
    # Live progress was drawn while it ran (a tool line), then cleared.
    live = [r.data.get("text/plain", "") for r in published.records if r.update]
    assert any("list_customers" in t for t in live)
    assert live[-1] == ""


def test_live_updates_are_coalesced(shell: InteractiveShell, published: RecordingPublisher) -> None:
    out = cell(shell, "", "list my last 5 customers")
    updates = [r for r in published.records if r.update]
    # Far fewer redraws than text pieces: the throttle coalesces deltas between ticks.
    assert len(updates) < max(len(out.text.split()), 10)


def test_interpolation_reaches_the_model_and_no_interpolate_keeps_braces(
    shell: InteractiveShell, agent: Agent
) -> None:
    shell.user_ns["n"] = 2
    cell(shell, "--no-tools", 'list my last {n} customers {"x": 1}')
    assert agent.conversation().turns[-1].prompt == 'list my last 2 customers {"x": 1}'
    cell(shell, "--no-tools --no-interpolate", "list my last {n} customers")
    assert agent.conversation().turns[-1].prompt == "list my last {n} customers"


def test_an_unresolved_placeholder_sends_nothing_and_writes_nothing(
    shell: InteractiveShell, agent: Agent
) -> None:
    payments = agent.sandbox_store.list_payment_intents(limit=100)["data"]
    refunded = [p.get("amount_refunded") for p in payments]
    shell.user_ns.pop("amount", None)
    with capture_output() as captured:
        out = cell(shell, "", "refund {amount} of the last payment")
    assert out is None
    assert "{amount}" in captured.stderr
    assert "Traceback" not in captured.stderr + captured.stdout
    assert agent.conversation().turns == []
    after = agent.sandbox_store.list_payment_intents(limit=100)["data"]
    assert [p.get("amount_refunded") for p in after] == refunded


def test_the_options_line_is_never_evaluated_by_ipython(shell: InteractiveShell, agent: Agent) -> None:
    shell.user_ns["side_effects"] = []
    with capture_output():
        cell(shell, "--no-tools --conversation {side_effects.append(1)}", "hello")
        run(shell, "%stripe_agent history --conversation {side_effects.append(2)}")
        run(shell, "%stripe_agent history --conversation $side_effects")
    assert shell.user_ns["side_effects"] == []
    assert "{side_effects.append(1)}" in agent.conversations


def test_conversation_new_and_model_options(shell: InteractiveShell, agent: Agent) -> None:
    cell(shell, "--no-tools --conversation side", "hello")
    cell(shell, "--no-tools --conversation side --model sandbox-brief", "hello again")
    side = agent.conversation("side")
    assert [t.model for t in side.turns] == ["sandbox", "sandbox-brief"]
    assert agent.conversation("default").turns == []
    cell(shell, "--no-tools --conversation side --new", "fresh")
    assert [t.prompt for t in agent.conversation("side").turns] == ["fresh"]


def test_format_text_and_json(shell: InteractiveShell) -> None:
    text = cell(shell, "--format text --no-tools", "hello")
    assert set(text._repr_mimebundle_()) == {"text/plain"}
    js = cell(shell, "--format json", "list my last 2 customers")
    bundle = js._repr_mimebundle_()
    assert bundle["application/json"]["tool_calls"][0]["name"] == "list_customers"
    assert json.loads(bundle["text/plain"])["stop_reason"] == "complete"


def test_quiet_shows_one_progress_line_while_it_runs_and_leaves_nothing(
    shell: InteractiveShell, published: RecordingPublisher
) -> None:
    assert cell(shell, "--quiet --out turn", "list my last 3 customers") is None
    assert isinstance(shell.user_ns["turn"], TurnOutput)
    assert [r.data for r in published.final] == [{"text/html": "", "text/plain": ""}]
    progress = [r.data["text/plain"] for r in published.records if r.update and r.data["text/plain"]]
    assert progress
    assert all(line.count("\n") == 0 and line.startswith("… working") for line in progress)
    assert "tool call" in progress[-1]
    assert "round" in progress[-1]


def test_each_tool_call_is_one_line_with_its_table_folded_under_it(shell: InteractiveShell) -> None:
    html = cell(shell, "", "list my last 3 customers").to_html()
    assert '<details class="snba snba-tool-details"><summary>' in html
    assert "3 rows</span></summary>" in html


def test_format_text_is_plain_text_without_markdown_pipes(shell: InteractiveShell) -> None:
    out = cell(shell, "--format text", "list my last 3 customers")
    text = out._repr_mimebundle_()["text/plain"]
    assert "|" not in text
    assert "**" not in text
    assert "list_customers" in text


def test_show_reasoning_puts_thinking_in_the_output(shell: InteractiveShell) -> None:
    out = cell(shell, "--show-reasoning", "list my last 2 customers")
    if out.reasoning:
        assert "thinking" in out.to_text()
        assert "<details" in out.to_html()


def test_read_only_policy_refuses_writes(shell: InteractiveShell, agent: Agent) -> None:
    before = len(_customers(agent))
    cell(shell, "--policy read-only", WRITE)
    assert len(_customers(agent)) == before


def test_max_rounds_stops_the_turn(shell: InteractiveShell) -> None:
    out = cell(shell, "--max-rounds 1", "list my last 3 customers")
    assert out.stop_reason == "max_rounds"
    assert "round limit" in out.to_text()


# --- approve / decline across cells ---------------------------------------------------------


def test_confirm_holds_the_write_then_approve_continues_the_same_turn(
    shell: InteractiveShell, agent: Agent, published: RecordingPublisher
) -> None:
    assert cell(shell, "--policy confirm", WRITE) is None
    held = published.final[-1].data["text/plain"]
    assert "1 write call waiting for your approval" in held
    # What will happen, in words, comes before the exact call.
    preview = "Create customer 'Grace Hopper'"
    assert preview in held
    assert held.index(preview) < held.index('{"name":"Grace Hopper"')
    assert "Create customer &#x27;Grace Hopper&#x27;" in published.final[-1].data["text/html"]
    assert "%stripe_agent approve 1" in held
    assert "%stripe_agent decline all" in held
    assert agent.held is not None
    assert not agent.held.finished
    turn_id = agent.held.turn.turn_id

    out = run(shell, "%stripe_agent approve all")
    assert isinstance(out, TurnOutput)
    assert out.stop_reason == "complete"
    assert agent.held.turn.turn_id == turn_id
    assert [r.result.ok for r in out.tool_calls if r.result] == [True]
    assert any(c.get("name") == "Grace Hopper" for c in _customers(agent))


def test_decline_by_number_runs_nothing(shell: InteractiveShell, agent: Agent) -> None:
    before = len(_customers(agent))
    cell(shell, "--policy confirm", WRITE)
    out = run(shell, "%stripe_agent decline 1")
    assert out.tool_calls[0].result.error_kind == "declined"
    assert "declined" in out.to_text()
    assert len(_customers(agent)) == before


def test_approve_with_nothing_held_or_a_bad_number_says_why(shell: InteractiveShell) -> None:
    with capture_output() as cap:
        run(shell, "%stripe_agent approve")
    assert "Nothing is waiting for approval" in cap.stderr
    cell(shell, "--policy confirm", WRITE)
    with capture_output() as cap:
        run(shell, "%stripe_agent approve 7")
    assert "no held call number 7" in cap.stderr
    run(shell, "%stripe_agent decline all")


# --- subcommands -----------------------------------------------------------------------------


def test_status_models_use_and_tools(shell: InteractiveShell, agent: Agent) -> None:
    status = run(shell, "%stripe_agent status")
    assert "sandbox" in str(status)
    models = run(shell, "%stripe_agent models")
    assert {"model", "usable", "why not"} <= set(models.columns)
    assert "sandbox" in set(models["model"])
    with capture_output() as cap:
        run(shell, "%stripe_agent use sandbox-brief")
    assert agent.model == "sandbox-brief"
    assert "history is kept" in cap.stdout
    tools = run(shell, "%stripe_agent tools --refresh")
    assert "list_customers" in set(tools["tool"])
    assert set(tools["kind"]) <= {"read", "write"}


def test_the_models_function_and_subcommand_show_one_table(shell: InteractiveShell, agent: Agent) -> None:
    import stripe_nb_agent

    agent.use("sandbox-brief")
    table = run(shell, "%stripe_agent models")
    pd.testing.assert_frame_equal(stripe_nb_agent.models(), table)
    assert list(table.loc[table["current"], "model"]) == ["sandbox-brief"]
    assert table.loc[table["model"] == "dat1/gpt-120-oss", "aliases"].item() == "gpt-oss, gpt-120-oss"


def test_examples_show_what_the_stand_in_understands_by_topic(shell: InteractiveShell) -> None:
    examples = run(shell, "%stripe_agent examples")
    topics = set(examples.index.get_level_values("topic"))
    assert {"Customers", "Invoices", "Payments and refunds"} <= topics
    assert "refund $5 of the last payment" in examples.loc[("Payments and refunds", "refund"), "for example"]


def test_history_metrics_and_reset(shell: InteractiveShell) -> None:
    cell(shell, "--no-tools", "hello")
    cell(shell, "", "list my last 2 customers")
    history = run(shell, "%stripe_agent history")
    assert list(history["prompt"]) == ["hello", "list my last 2 customers"]
    metrics = run(shell, "%stripe_agent metrics")
    assert list(metrics.index) == [1, 2]
    assert metrics.loc[2, "tool_calls"] >= 1
    assert (metrics["total_s"] > 0).all()
    with capture_output() as cap:
        run(shell, "%stripe_agent reset")
    assert "empty again" in cap.stdout
    assert run(shell, "%stripe_agent history").empty


def test_export_markdown_and_json_are_redacted(shell: InteractiveShell, tmp_path: Path) -> None:
    secret = "sk_test_" + "a" * 24 + "WXYZ"
    cell(shell, "--no-tools", f"my key is {secret}, say hello")
    cell(shell, "", "list my last 2 customers")
    md, js = tmp_path / "chat.md", tmp_path / "chat.json"
    with capture_output() as cap:
        run(shell, f"%stripe_agent export {md}")
        run(shell, f"%stripe_agent export {js}")
    assert "Wrote 2 turns" in cap.stdout
    text = md.read_text()
    assert "## You" in text
    assert "list_customers" in text
    assert secret not in text
    assert "WXYZ" in text
    assert json.loads(js.read_text())["format"] == "stripe-nb-agent.conversation"
    assert secret not in js.read_text()
    with capture_output() as cap:
        run(shell, f"%stripe_agent export {tmp_path / 'chat.txt'}")
    assert "end the file name with .md" in cap.stderr


# --- interrupt and escaping ------------------------------------------------------------------


def test_kernel_interrupt_stops_the_turn_and_shows_the_partial_answer(
    shell: InteractiveShell, agent: Agent, sandbox_server: Any, published: RecordingPublisher
) -> None:
    import _thread

    sandbox_server.pace = 0.02
    fired = threading.Event()
    original = published.publish

    def publish(data: dict[str, Any], *args: Any, **kwargs: Any) -> None:
        original(data, *args, **kwargs)
        # Interrupt once text is streaming, as the kernel's interrupt button would.
        if not fired.is_set() and len(data.get("text/plain", "")) > 20:
            fired.set()
            _thread.interrupt_main()

    published.publish = publish  # type: ignore[method-assign]
    try:
        out = cell(shell, "--no-tools", "tell me about refunds in detail")
    finally:
        sandbox_server.pace = 0.0
    assert fired.is_set()
    assert out.stop_reason == "cancelled"
    assert out.to_text().startswith("stopped")
    assert not agent.conversation().busy


def test_hostile_customer_names_are_text_in_the_magic_output_and_tables(
    shell: InteractiveShell, agent: Agent
) -> None:
    agent.sandbox_store.create_customer(HOSTILE, "x@example.com")
    agent.sandbox_store.create_customer("<script>alert(2)</script>", "y@example.com")
    out = cell(shell, "", "list my last 2 customers")
    html = out.to_html()
    assert "<img" not in html
    assert "<script>" not in html
    assert "&lt;img src=x onerror=alert(1)&gt;" in html or "&lt;img" in html
    assert any(HOSTILE in t.to_string() for t in out.tables)


def test_connect_adds_a_servers_tools_beside_stripes_and_disconnect_removes_them(
    shell: InteractiveShell, agent: Agent
) -> None:
    script = Path(__file__).resolve().parents[1] / "tools" / "stdio_server.py"
    with capture_output() as cap:
        run(shell, f'%stripe_agent connect "{sys.executable} {script}" --name probe')
    assert "Connected 'probe': 1 tool (untrusted)" in cap.stdout
    table = run(shell, "%stripe_agent tools")
    assert set(table["server"]) == {"stripe", "probe"}
    assert "get_process_info" in set(table["tool"])
    assert "probe" in str(agent.status())
    with capture_output():
        run(shell, "%stripe_agent disconnect probe")
    assert set(run(shell, "%stripe_agent tools")["server"]) == {"stripe"}


def test_a_connect_that_fails_says_why_and_connects_nothing(shell: InteractiveShell, agent: Agent) -> None:
    with capture_output() as cap:
        run(shell, "%stripe_agent connect no-such-mcp-command-xyz --name broken")
    assert "no-such-mcp-command-xyz" in cap.stderr
    assert "Traceback" not in cap.stderr
    assert "broken" not in agent._hub.members


def test_the_tool_decorator_registers_on_the_kernels_shared_agent(agent: Agent) -> None:
    import stripe_nb_agent

    @stripe_nb_agent.tool(kind="read")
    def busiest_weekday(weeks: int = 4) -> str:
        """The weekday with the most payments."""
        return "Tuesday"

    assert busiest_weekday(1) == "Tuesday"  # still an ordinary function
    specs = {s.name: s for s in agent.tools()}
    assert (specs["busiest_weekday"].server, specs["busiest_weekday"].kind) == ("python", "read")


def test_sandbox_reset_brings_back_the_seeded_data_and_status_says_what_it_holds(
    shell: InteractiveShell, agent: Agent
) -> None:
    before = len(_customers(agent))
    agent.sandbox_store.create_customer("Ada", "ada@example.com")
    with capture_output() as cap:
        run(shell, "%stripe_agent sandbox status")
    assert "customers" in cap.stdout
    assert "sandbox clock 2026-06-30" in cap.stdout
    with capture_output() as cap:
        run(shell, "%stripe_agent sandbox reset")
    assert "back to its seeded data" in cap.stdout
    assert len(_customers(agent)) == before


def test_sandbox_subcommand_without_a_known_action_prints_the_usage(shell: InteractiveShell) -> None:
    with capture_output() as cap:
        run(shell, "%stripe_agent sandbox wipe")
    assert "Usage: %stripe_agent sandbox reset|status." in cap.stderr
