"""The sandbox's stand-in "model": a deterministic, rule-based planner. It is NOT a language model.

Given a conversation (OpenAI messages) and the tools the request offers, it decides the next tool
calls or the final answer. It keeps no state: it reads the last user message, replays the matching
workflows over the tool results already in the conversation, and plans the next round. Identical
conversations give identical plans.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any, Literal

from stripe_nb_agent.sandbox.model.intents import Intent, parse_intents
from stripe_nb_agent.sandbox.model.named_tools import plan_named_tool
from stripe_nb_agent.sandbox.model.offered_tools import Call, Observation, OfferedTools, looks_failed
from stripe_nb_agent.sandbox.model.understand import load_phrasebook, reader
from stripe_nb_agent.sandbox.model.workflows import Context, Report, Stop, Workflow, workflow_for

__all__ = ["DEFAULT_MAX_ROUNDS", "DISCLOSURE", "EXAMPLES", "Persona", "Plan", "examples_for", "plan_reply"]

Persona = Literal["sandbox", "sandbox-brief"]
DEFAULT_MAX_ROUNDS = 8
DISCLOSURE = (
    "I am the offline sandbox's deterministic stand-in, not a language model: I read a request by "
    "comparing it with a phrasebook of example requests and plan Stripe tool calls by fixed rules."
)
FALLBACK_DISCLOSURE = (
    "I am the offline sandbox's deterministic stand-in, not a language model, running a weaker "
    "fallback: keyword rules (the embedding extra is not installed), and fixed rules for tool calls."
)
# What the help text suggests when no tools are offered: requests that work with either Stripe
# tool set once connected. With tools, only the requests those tools can carry out are suggested.
EXAMPLES = (
    "show my balance and my last 3 customers",
    "create a customer Ada Lovelace with email ada@example.com",
    "create a product Premium Plan at $20 a month and give me a payment link",
    "create an invoice for ada@example.com for the Premium Plan and finalize it",
    "refund $5 of the last payment",
    "list active subscriptions",
    "create a $5 off coupon for 3 months",
    "how do I handle failed payments?",
)
_Needs = tuple[tuple[str, dict[str, Any]], ...]
# Each example with alternatives, best first, and the operations (or named tools, "tool:...") each
# needs with the arguments it would pass. The first alternative the offered tools take whole is shown.
_EXAMPLE_CHOICES: tuple[tuple[tuple[str, _Needs], ...], ...] = (
    (("show my balance and my last 3 customers", (("GetBalance", {}), ("GetCustomers", {"limit": 3}))),),
    (
        (
            "create a customer Ada Lovelace with email ada@example.com",
            (("PostCustomers", {"name": "Ada Lovelace", "email": "ada@example.com"}),),
        ),
    ),
    (
        (
            "create a product Premium Plan at $20 a month and give me a payment link",
            (
                ("PostProducts", {"name": "Premium Plan"}),
                (
                    "PostPrices",
                    {
                        "product": "p",
                        "unit_amount": 2000,
                        "currency": "usd",
                        "recurring": {"interval": "month"},
                    },
                ),
                ("PostPaymentLinks", {"line_items": [{"price": "p", "quantity": 1}]}),
            ),
        ),
        (
            "create a product Premium Plan at $20 and give me a payment link",
            (
                ("PostProducts", {"name": "Premium Plan"}),
                ("PostPrices", {"product": "p", "unit_amount": 2000, "currency": "usd"}),
                ("PostPaymentLinks", {"line_items": [{"price": "p", "quantity": 1}]}),
            ),
        ),
    ),
    (
        (
            "create an invoice for ada@example.com for the Premium Plan and finalize it",
            (
                ("GetCustomers", {"email": "ada@example.com", "limit": 1}),
                ("GetProducts", {"limit": 100}),
                ("GetPrices", {"product": "p", "limit": 10}),
                ("PostInvoices", {"customer": "c"}),
                ("PostInvoiceitems", {"customer": "c", "invoice": "i", "price": "p"}),
                ("PostInvoicesInvoiceFinalize", {"invoice": "i"}),
            ),
        ),
    ),
    (
        (
            "refund $5 of the last payment",
            (("GetPaymentIntents", {"limit": 20}), ("PostRefunds", {"payment_intent": "pi", "amount": 500})),
        ),
    ),
    (("list active subscriptions", (("GetSubscriptions", {"status": "active"}),)),),
    (
        (
            "create a 20% off coupon for 3 months",
            (("PostCoupons", {"name": "20% off", "percent_off": 20, "duration": "repeating"}),),
        ),
        (
            "create a $5 off coupon for 3 months",
            (("PostCoupons", {"name": "5 USD off", "amount_off": 500, "currency": "usd"}),),
        ),
    ),
    (("how do I handle failed payments?", (("tool:search_stripe_documentation", {"question": "q"}),)),),
)
_ID = re.compile(r"\b(?:cus|prod|price|plink|in|ii|pi|ch|re|sub|si|dp|txn|acct)_[A-Za-z0-9]+\b")


@dataclass(frozen=True)
class Plan:
    """The next reply: tool calls to make, or a final answer. ``reasoning`` is empty for terse personas."""

    reasoning: str
    content: str
    tool_calls: tuple[Call, ...] = ()

    @property
    def finish_reason(self) -> str:
        return "tool_calls" if self.tool_calls else "stop"


def plan_reply(
    messages: Sequence[Mapping[str, Any]],
    tools: Sequence[Any] | None = None,
    *,
    persona: Persona = "sandbox",
    max_rounds: int = DEFAULT_MAX_ROUNDS,
) -> Plan:
    """Plan the assistant's next message for this conversation."""
    box = OfferedTools.from_request(tools)
    last_user = max((i for i, m in enumerate(messages) if m.get("role") == "user"), default=-1)
    text = _text(messages[last_user].get("content")) if last_user >= 0 else ""
    memory, objects = _memory(messages[: max(last_user, 0)])
    rounds = _rounds(messages[last_user + 1 :])
    named = plan_named_tool(text, box, rounds)
    if named is not None:
        # A request that names an offered tool (the user's own, say) is read literally.
        why = named.why if rounds or persona == "sandbox-brief" else f"{DISCLOSURE} {named.why}"
        return Plan("" if persona == "sandbox-brief" else why, named.content, named.calls)
    found = reader()
    intents = parse_intents(text, found.readings if found else "rules")
    brief = persona == "sandbox-brief"
    disclosure = DISCLOSURE if found else FALLBACK_DISCLOSURE

    def reply(content: str, why: str, calls: tuple[Call, ...] = ()) -> Plan:
        # Who is speaking is said once per request, not repeated in every round's reasoning.
        return Plan("" if brief else why if rounds else f"{disclosure} {why}", content, calls)

    chat = [i for i in intents if i.kind in ("greet", "help")]
    work = [i for i in intents if i.kind not in ("greet", "help")]
    small_talk = _small_talk(text)
    if small_talk is not None and not work:
        return reply(small_talk, "This is small talk, answered in kind; no tool is needed.")
    if not work:
        if chat and chat[0].kind == "greet" and len(chat) == 1:
            return reply(_greeting(box, brief), "This is a greeting; no tool is needed.")
        if chat:
            return reply(_capabilities(box, brief), "The user asks what I can do.")
        return reply(_unknown(text, box, brief), "No rule matches this request, so I say so.")
    unsure = next((i for i in work if i.unsure), None)
    if unsure is not None and not rounds:
        return reply(
            _which_reading(unsure),
            "The best readings of this request are close and one of them changes data, so I ask "
            "instead of picking one; nothing is written.",
        )
    if box.profile == "none":
        return reply(_no_tools(work, brief), "The request needs Stripe tools, but none are offered.")
    if len(rounds) >= max_rounds:
        return reply(
            f"I stopped after {len(rounds)} rounds of tool calls without finishing (the sandbox's cap on "
            "rounds per request). Try a simpler request, one step at a time.",
            "The round cap is reached, so I stop planning.",
        )
    ctx = Context(box, memory, objects)
    outcome = _replay([workflow_for(ctx, i) for i in work], rounds)
    understood = "; ".join(_describe(i) for i in work)
    done = _done(rounds)
    if isinstance(outcome, tuple):
        shown = ", ".join(f"`{c.name}` with {c.arguments_json}" for c in outcome)
        if rounds:
            return reply("", f"Round {len(rounds) + 1}: {done} answered, so next I call {shown}.", outcome)
        return reply("", f"I read the request as: {understood}. First I call {shown}.", outcome)
    if any(r.asked for r in outcome):
        why = "what to act on is not resolved, so I ask instead of guessing, and write nothing."
    elif any(r.failed for r in outcome):
        why = "a step failed or could not be done, so I report it instead of retrying."
    else:
        why = f"I summarise: {outcome[0].summary[:80].rstrip(':')}"
    if rounds:
        return reply(_compose(outcome, brief), f"After {len(rounds)} round(s) ({done}), {why}")
    return reply(_compose(outcome, brief), f"I read the request as: {understood}; {why}")


def _replay(
    workflows: list[Workflow | None], rounds: list[list[Observation]]
) -> tuple[Call, ...] | list[Report]:
    """Run every workflow over the rounds already done; the next round's calls, or the reports."""
    states: list[list[Call] | Report] = [_advance(w, None) for w in workflows if w is not None]
    live = [w for w in workflows if w is not None]
    for observations in rounds:
        at = 0
        for n, state in enumerate(states):
            if isinstance(state, Report):
                continue
            chunk = observations[at : at + len(state)]
            at += len(state)
            chunk += [_no_result(c) for c in state[len(chunk) :]]
            # Pair each result with the call as planned (it knows which arguments were dropped).
            chunk = [replace(obs, call=planned) for obs, planned in zip(chunk, state, strict=False)]
            states[n] = _advance(live[n], chunk)
    pending = [call for state in states if isinstance(state, list) for call in state]
    if pending:
        return tuple(pending)
    return [s for s in states if isinstance(s, Report)]


def _advance(workflow: Workflow, results: list[Observation] | None) -> list[Call] | Report:
    try:
        return next(workflow) if results is None else workflow.send(results)
    except StopIteration as done:
        report: Report = done.value
        return report
    except Stop as stop:
        return stop.report


def _no_result(call: Call) -> Observation:
    return Observation(call, "", error="no result came back for this call")


def _rounds(after_user: Sequence[Mapping[str, Any]]) -> list[list[Observation]]:
    """Each assistant tool-call message since the user spoke, with its results in call order."""
    rounds: list[list[Call]] = []
    ids: list[list[str]] = []
    results: dict[str, str] = {}
    for message in after_user:
        role = message.get("role")
        if role == "assistant" and message.get("tool_calls"):
            calls, call_ids = [], []
            for payload in message["tool_calls"]:
                fn = payload.get("function") or {}
                try:
                    args = json.loads(fn.get("arguments") or "{}")
                except ValueError:
                    args = {}
                calls.append(Call(str(fn.get("name", "")), args if isinstance(args, dict) else {}))
                call_ids.append(str(payload.get("id", "")))
            rounds.append(calls)
            ids.append(call_ids)
        elif role == "tool":
            results[str(message.get("tool_call_id", ""))] = _text(message.get("content"))
    out = []
    for calls, call_ids in zip(rounds, ids, strict=True):
        observed = []
        for call, call_id in zip(calls, call_ids, strict=True):
            if call_id not in results:
                observed.append(_no_result(call))
                continue
            data, error = looks_failed(results[call_id])
            observed.append(Observation(call, results[call_id], data, error))
        out.append(observed)
    return out


def _memory(
    earlier: Sequence[Mapping[str, Any]],
) -> tuple[tuple[tuple[str, ...], ...], dict[str, dict[str, Any]]]:
    """Object ids mentioned in each earlier exchange (oldest first) and the full objects seen."""
    exchanges: list[list[str]] = []
    objects: dict[str, dict[str, Any]] = {}
    for message in earlier:
        if message.get("role") == "user" or not exchanges:
            exchanges.append([])
        text = _text(message.get("content"))
        for payload in message.get("tool_calls") or ():
            text += " " + str((payload.get("function") or {}).get("arguments", ""))
        exchanges[-1].extend(_ID.findall(text))
        if message.get("role") == "tool":
            data, _ = looks_failed(text)
            for obj in (
                data
                if isinstance(data, list)
                else (data.get("data") or [data])
                if isinstance(data, dict)
                else []
            ):
                if isinstance(obj, dict) and isinstance(obj.get("id"), str):
                    objects[obj["id"]] = obj
    return tuple(tuple(ids) for ids in exchanges), objects


def _text(content: Any) -> str:
    if isinstance(content, str):
        return content
    if isinstance(content, list):  # OpenAI content parts
        return " ".join(str(p.get("text", "")) for p in content if isinstance(p, dict))
    return "" if content is None else str(content)


def _compose(reports: list[Report], brief: bool) -> str:
    parts = []
    for report in reports:
        lines = [report.summary]
        if brief:
            lines += list(report.details[:6])
        else:
            lines += list(report.details)
            lines += [f"\n_Note: {note}_" for note in report.notes]
        parts.append("\n".join(lines))
    return "\n\n".join(parts)


def _done(rounds: list[list[Observation]]) -> str:
    """The operations of the rounds so far, in a few words ("list_customers, then fetch ×3")."""
    steps = []
    for observations in rounds:
        names = [str(o.call.arguments.get("stripe_api_operation_id") or o.call.name) for o in observations]
        counted = dict.fromkeys(names)
        steps.append(", ".join(f"{n} ×{names.count(n)}" if names.count(n) > 1 else n for n in counted))
    return ", then ".join(steps)


def _which_reading(intent: Intent) -> str:
    book = load_phrasebook()
    options = "\n".join(
        f"- {kind.replace('_', ' ')} (e.g. *{book.entry(kind).example}*)" for kind in intent.unsure
    )
    return (
        "I'm not sure what you mean, and one reading would change your Stripe data, so I did nothing. "
        f"Did you mean one of these?\n{options}\nRephrase with the one you mean."
    )


def _describe(intent: Intent) -> str:
    words = intent.kind.replace("_", " ")
    extras = [
        f"{k}={v}"
        for k, v in (
            ("name", intent.name),
            ("email", intent.email),
            ("amount", intent.money),
            ("status", intent.status),
            ("id", intent.ref),
        )
        if v
    ]
    if intent.with_link:
        extras.append("then a payment link")
    if intent.with_finalize:
        extras.append("then finalize")
    return f"{words} ({', '.join(str(e) for e in extras)})" if extras else words


def examples_for(box: OfferedTools) -> tuple[str, ...]:
    """The example requests the offered tools can carry out (all of :data:`EXAMPLES` without tools)."""
    if box.profile == "none":
        return EXAMPLES
    shown = []
    for choices in _EXAMPLE_CHOICES:
        fit = next((text for text, needs in choices if all(_takes(box, o, a) for o, a in needs)), None)
        if fit is not None:
            shown.append(fit)
    return tuple(shown)


def _takes(box: OfferedTools, op: str, args: dict[str, Any]) -> bool:
    found = box.tool(op[5:], args) if op.startswith("tool:") else box.op(op, args)
    return isinstance(found, Call) and not found.missing and not found.dropped


def _examples(box: OfferedTools, brief: bool) -> str:
    shown = examples_for(box)
    if not shown:
        return "- (none of my example requests fit the tools offered in this chat)"
    return "\n".join(f"- *{e}*" for e in (shown[:4] if brief else shown))


# Thanks, goodbyes and acknowledgements, answered in kind (a "thanks" greeted with "Hello!" reads
# as a machine that didn't listen). Only when the message holds nothing else.
_SMALL_TALK: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"^(?:\w+[, ]+)?(?:many |great |big )?(?:thanks?|thank you|thx|ty|cheers)\b.{0,30}$", re.I),
     "You're welcome! Ask me anything else about your Stripe data."),
    (re.compile(r"^(?:ok(?:ay)?[, ]+)?(?:bye|goodbye|see you|that'?s all|done for now)\b.{0,20}$", re.I),
     "Bye! Everything here stays in the sandbox; nothing touched a real account."),
    (re.compile(r"^(?:(?:ok(?:ay)?|cool|great|nice|perfect|awesome|got it|sounds good|alright)[,.! ]*){1,3}$",
                re.I), "Glad that helped. What next?"),
)  # fmt: skip


def _small_talk(text: str) -> str | None:
    stripped = text.strip()
    for pattern, answer in _SMALL_TALK:
        if pattern.match(stripped):
            return answer
    return None


def _greeting(box: OfferedTools, brief: bool) -> str:
    if brief:
        return "Hi! Sandbox stand-in here (rule-based, not a language model). Ask me about your Stripe data."
    tools = (
        "I can use the Stripe tools offered here."
        if box.profile != "none"
        else ("No Stripe tools are offered in this chat, so I can only talk.")
    )
    return (
        "Hello! I'm the offline sandbox's rule-based stand-in, not a language model. "
        f"{tools} Try for example:\n{_examples(box, brief)}"
    )


def _capabilities(box: OfferedTools, brief: bool) -> str:
    tools = {
        "classic": "Stripe's per-resource tools",
        "generic": "Stripe's generic API tools",
        "none": "no tools (so I can only chat)",
    }[box.profile]
    return (
        "I'm a deterministic rule-based stand-in for a language model, running offline in the sandbox. "
        f"In this chat I have {tools}. I understand requests like:\n{_examples(box, brief)}"
    )


def _unknown(text: str, box: OfferedTools, brief: bool) -> str:
    said = f"*{text.strip()[:80]}*" if text.strip() else "that"
    return (
        f"Sorry, I could not map {said} to a Stripe action: I'm a rule-based sandbox stand-in, not a "
        f"language model, so I only understand requests like these:\n{_examples(box, brief)}"
    )


def _no_tools(work: list[Intent], brief: bool) -> str:
    wanted = ", ".join(i.kind.replace("_", " ") for i in work)
    return (
        f"I can't do that here ({wanted}): no Stripe tools are offered in this chat. I'm a rule-based "
        "sandbox stand-in, not a language model; connect the Stripe tools and ask again, e.g.:\n"
        f"{_examples(OfferedTools(), brief)}"
    )
