"""``%%stripe_agent`` and ``%stripe_agent``: thin parsers in front of the shared Agent.

    %load_ext stripe_nb_agent

    %%stripe_agent --policy confirm --out turn
    refund the last payment of {customer_id}

    %stripe_agent approve all
    %stripe_agent status | models | use MODEL | tools [--refresh] | history | reset | metrics
    %stripe_agent connect URL | disconnect NAME | examples | sandbox reset|status
    %stripe_agent export chat.md | help [SUBCOMMAND]

Both are parsed into typed values, the cell's options by :mod:`options`, the line's subcommands by
:mod:`commands` (which also draws the help from the same declarations); this module only
dispatches. A bad option prints the usage and the fix, never a traceback. While the model writes,
the cell shows live progress in a transient display (see :mod:`live`); at the end it shows the
result once, as the cell's value (a :class:`TurnOutput`), which ``--out VAR`` also stores.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, assert_never

import pandas as pd
from IPython.core.magic import Magics, line_cell_magic, magics_class, no_var_expand
from IPython.display import display

from stripe_nb_agent.agent.agent import Agent, RunningTurn
from stripe_nb_agent.errors import StripeNbAgentError, UsageError
from stripe_nb_agent.ui.extension import fail
from stripe_nb_agent.ui.frames import history_frame, metrics_frame, models_frame, tools_frame
from stripe_nb_agent.ui.interpolation import interpolate
from stripe_nb_agent.ui.kernel_agent import get_agent
from stripe_nb_agent.ui.live import LiveCell, held_bundle
from stripe_nb_agent.ui.options import CellOptions, parse_cell_options
from stripe_nb_agent.ui.result import TurnOutput
from stripe_nb_agent.ui.state import ReplyState
from stripe_nb_agent.ui.transcript import export_transcript

if TYPE_CHECKING:
    from stripe_nb_agent.config import Settings
    from stripe_nb_agent.ui.commands import Approve, Connect, Decline, Export, Reset, Sandbox

__all__ = [
    "StripeAgentMagics",
    "register_magics",
    "unload_ipython_extension",
]


@dataclass
class _Held:
    running: RunningTurn
    state: ReplyState
    options: CellOptions


@magics_class
class StripeAgentMagics(Magics):
    """The ``stripe_agent`` line and cell magic."""

    def __init__(self, shell: Any = None, agent: Agent | None = None) -> None:
        super().__init__(shell)
        self._agent = agent
        self._held: _Held | None = None

    @property
    def agent(self) -> Agent:
        # Asked each time rather than kept: set_agent() may have replaced the kernel's agent.
        return self._agent if self._agent is not None else get_agent()

    @property
    def _user_ns(self) -> dict[str, Any]:
        assert self.shell is not None, "the magic is registered on a shell"
        return self.shell.user_ns  # type: ignore[no-any-return]

    # IPython would expand {expressions} and $names in the options line by evaluating them:
    # "--conversation {__import__('os').system(...)}" must stay text. The cell body is
    # interpolated by our own rules (names only, see interpolation.interpolate).
    @line_cell_magic
    @no_var_expand
    def stripe_agent(self, line: str, cell: str | None = None) -> Any:
        try:
            if cell is None:
                return self._line(line)
            return self._cell(line, cell)
        except StripeNbAgentError as exc:
            fail(exc.message)
            return None

    # --- the cell magic -------------------------------------------------------------------

    def _cell(self, line: str, cell: str) -> Any:
        options = parse_cell_options(line)
        if options.help:
            from stripe_nb_agent.ui.commands import help_text

            print(help_text())
            return None
        prompt = (interpolate(cell, self._user_ns) if options.interpolate else cell).strip()
        if not prompt:
            raise UsageError("The cell is empty: write your request below the %%stripe_agent line.")
        agent = self.agent
        if options.new:
            agent.reset(options.conversation)
        running = agent.start(
            prompt,
            conversation=options.conversation,
            model=options.model,
            policy=options.policy,
            use_tools=options.use_tools,
            max_rounds=options.max_rounds,
            temperature=options.temperature,
            max_tokens=options.max_tokens,
        )
        state = ReplyState(prompt=prompt)
        return self._follow(_Held(running, state, options))

    def _follow(self, held: _Held) -> Any:
        """Render the turn until it ends (return the result) or waits for approval (show the table)."""
        options = held.options
        live = LiveCell(held.state, show_reasoning=options.show_reasoning, brief=options.quiet)
        live.open()
        outcome = "finished"
        try:
            outcome = _consume(held.running, live)
        except KeyboardInterrupt:
            # The kernel's interrupt: stop the turn, then read its (prompt) final events so the
            # conversation is repaired and the partial answer is shown as "stopped".
            held.running.cancel()
            for event in held.running.events():
                live.apply(event)
        finally:
            live.close()
        if outcome == "held":
            self._held = held
            if not options.quiet:
                display(held_bundle(held.state), raw=True)  # type: ignore[no-untyped-call]
            return None
        self._held = None
        result = held.running.result or held.state.result
        if result is None:
            raise UsageError("The turn ended without a result. Run the cell again.")
        output = TurnOutput(
            result,
            format=options.format,
            show_reasoning=options.show_reasoning,
        )
        if options.out:
            self._user_ns[options.out] = output
        return None if options.quiet else output

    # --- the line magic -------------------------------------------------------------------

    def _line(self, line: str) -> Any:
        # The subcommands are built on the first line magic, not at %load_ext (see commands).
        from stripe_nb_agent.ui.commands import (
            Approve,
            Connect,
            Decline,
            Disconnect,
            Examples,
            Export,
            Help,
            History,
            Metrics,
            Models,
            Reset,
            Sandbox,
            Status,
            Tools,
            Use,
            help_text,
            parse_line,
        )

        command = parse_line(line)
        match command:
            case Help():
                print(help_text(command.topic))
                return None
            case Status():
                return self.agent.status()
            case Models():
                return models_frame(self.agent)
            case Use():
                name = self.agent.use(command.model)
                print(f"Using {name} for the next requests; the conversation history is kept.")
                return None
            case Tools():
                return tools_frame(self.agent.tools(refresh=command.refresh))
            case History():
                return history_frame(self.agent.conversation(command.conversation))
            case Metrics():
                return metrics_frame(self.agent.conversation(command.conversation))
            case Reset():
                return self._reset(command)
            case Examples():
                return self._examples()
            case Export():
                return self._export(command)
            case Sandbox():
                return self._sandbox(command)
            case Connect():
                return self._connect(command)
            case Disconnect():
                self.agent.disconnect(command.name)
                print(f"Disconnected {command.name!r}; its tools are no longer offered.")
                return None
            case Approve() | Decline():
                return self._decide(command)
            case _:
                assert_never(command)

    def _reset(self, command: Reset) -> None:
        self.agent.reset(command.conversation)
        if self._held is not None and self._held.running.finished:
            self._held = None
        print(f"Conversation {command.conversation!r} is empty again.")

    def _examples(self) -> pd.DataFrame:
        from stripe_nb_agent import plugins

        rows = [{"topic": t, "request": k, "for example": " · ".join(p)} for t, k, p in plugins.examples()]
        if not rows:
            raise UsageError(
                "No offline stand-in model is installed here, so there is no phrasebook to show."
            )
        return pd.DataFrame(rows).set_index(["topic", "request"])

    def _export(self, command: Export) -> None:
        convo = self.agent.conversation(command.conversation)
        target = export_transcript(convo, command.path)
        print(f"Wrote {len(convo.turns)} turn{'s' if len(convo.turns) != 1 else ''} to {target}.")

    def _sandbox(self, command: Sandbox) -> None:
        if self.agent.settings.stripe_mode != "sandbox":
            raise UsageError("Stripe is live here: there is no sandbox, and a real account is never reset.")
        store = self.agent.sandbox_store
        if store is None:
            raise UsageError("This agent's Stripe tools are not the sandbox's: nothing to reset.")
        if command.action == "reset":
            store.reset()
            print(f"The Stripe sandbox is back to its seeded data: {_sandbox_counts(store)}.")
            return
        where = f"kept in {store.path}" if store.path is not None else "in memory (reset on kernel restart)"
        print(
            f"Stripe sandbox: {_sandbox_counts(store)}.\n"
            f"{self.agent.sandbox_clock()}; state {where}.\n"
            "`%stripe_agent sandbox reset` returns it to the seeded data."
        )

    def _connect(self, command: Connect) -> None:
        key = None
        if command.key_env:
            # The key never sits in the notebook: only the variable's name does.
            key = os.environ.get(command.key_env)
            if not key:
                raise UsageError(
                    f"The environment variable {command.key_env} is not set: set it, then connect again."
                )
        name = self.agent.connect(command.server, name=command.name, trusted=command.trusted, key=key)
        count = sum(1 for s in self.agent.tools() if s.server == name)
        trust = "trusted" if command.trusted else "untrusted"
        print(f"Connected {name!r}: {count} tool{'s' if count != 1 else ''} ({trust}).")

    def _decide(self, command: Approve | Decline) -> Any:
        decision = command.command
        running = self.agent.held
        if running is None or running.finished or not running.pending_approvals:
            raise UsageError(
                "Nothing is waiting for approval. Write calls wait only under the confirm policy "
                "(%%stripe_agent --policy confirm)."
            )
        held = self._held
        if held is None or held.running is not running:
            # Held by another surface (the chat widget): decide, and let that surface draw the rest.
            for approval in _select(running.pending_approvals, command.which):
                getattr(approval, decision)()
            print(f"{decision.title()}d; the chat widget that started this turn shows the rest.")
            return None
        pending = {a.call_id: a for a in running.pending_approvals}
        views = [v for v in held.state.awaiting if v.call_id in pending]
        chosen = _select(views, command.which)
        for view in chosen:
            # Its finish event will settle the status; meanwhile it no longer holds the turn. Set
            # before deciding, as the widget does: a status set after could overwrite the final one.
            view.status = "running"
            getattr(pending[view.call_id], decision)()
        return self._follow(held)


def _sandbox_counts(store: Any) -> str:
    kinds = ("customer", "product", "price", "payment_intent", "refund", "invoice", "subscription")
    counts = [(kind, store.count(kind)) for kind in kinds if kind in store.kinds()]
    return ", ".join(f"{n} {kind.replace('_', ' ')}{'s' if n != 1 else ''}" for kind, n in counts)


def _select(items: list[Any], which: str) -> list[Any]:
    if which == "all":
        return list(items)
    if which.isdigit():
        number = int(which)
        if 1 <= number <= len(items):
            return [items[number - 1]]
        raise UsageError(
            f"There is no held call number {number}: {len(items)} call"
            f"{'s are' if len(items) != 1 else ' is'} waiting (1..{len(items)}), or use 'all'."
        )
    for item in items:
        if item.call_id == which:
            return [item]
    raise UsageError(f"No held call has the id {which!r}: use its number from the table, or 'all'.")


def _consume(running: RunningTurn, live: LiveCell) -> str:
    """Read events until the turn finishes, or until every call of the round is decided-or-waiting."""
    for event in running.events():
        live.apply(event)
        if live.state.finished:
            return "finished"
        if live.state.held:
            return "held"
    return "finished"


def register_magics(ipython: Any, settings: Settings) -> None:
    """The second half of ``%load_ext`` (after :func:`.extension.start`): the shared Agent, made on
    first use, gets ``settings``; the magic is registered."""
    from stripe_nb_agent.ui.kernel_agent import configure

    configure(settings=settings)
    ipython.register_magics(StripeAgentMagics(ipython))


def unload_ipython_extension(ipython: Any) -> None:
    """Remove the magic; the shared Agent and its conversations stay for ``%load_ext`` again."""
    magics = ipython.magics_manager.magics
    for kind in ("line", "cell"):
        magics[kind].pop("stripe_agent", None)
