# %% [markdown]
# # 2. Stripe through MCP: tools, policies and charts
#
# **What you'll learn**
#
# * how the agent connects to Stripe's MCP server, and what a tool call is,
# * the tool catalogue as a table, and how it is cached,
# * the everyday requests: customers, payments, refunds, balance, products, prices, payment links,
#   subscriptions and invoices, with every result as a DataFrame,
# * a multi-step chain the model plans by itself,
# * the **confirm** policy (approve and decline write calls) and **read-only** mode,
# * a chart from a tool result, and the chat widget.

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
# ## How the agent reaches Stripe
#
# [MCP](https://modelcontextprotocol.io) (the Model Context Protocol) is a JSON-RPC protocol for
# offering tools to a model. Live, the agent opens one MCP session to `https://mcp.stripe.com` over
# Streamable HTTP with `Authorization: Bearer <your key>`: `initialize`, then `tools/list` (the
# catalogue: each tool's name, description, JSON input schema and hints such as `readOnlyHint`),
# then one `tools/call` per call the model makes. The session is kept across cells.
#
# A turn is a loop: the model gets the conversation plus the tool schemas; it streams back either
# an answer or **tool calls** (a name and JSON arguments); the agent validates the arguments
# against the schema, runs the calls over MCP, appends the results to the conversation and asks
# the model again, until it answers in words (at most `--max-rounds`, default 10).
#
# In the sandbox the MCP server is a real MCP server too, in process, with the same tools.
#
# ## The tool catalogue

# %%
# %stripe_agent tools

# %% [markdown]
# `kind` comes from the tools' annotations: **read** tools only look, **write** tools change the
# account. The policies below use it.
#
# **Caching.** The catalogue is fetched once per session and cached (each request would otherwise
# pay a `tools/list` round trip). `tools --refresh` (or `agent.tools(refresh=True)`) fetches it
# again, for when the server's tool set changed:

# %%
first = agent.tools()
again = agent.tools()  # from the cache: the very same objects
refreshed = agent.tools(refresh=True)  # a new tools/list request
print(len(first), "tools;", "cached:", again[0] is first[0], "| refetched:", refreshed[0] is not first[0])

# %% [markdown]
# ## Everyday requests
#
# **Balance and customers.** One request may need several tools; the model calls them and sums up.
# Every tool result is also a table under the answer.

# %% language="stripe_agent"
# show my balance and my last 3 customers

# %% [markdown]
# **Why minor units?** Stripe stores every amount as an integer in the currency's smallest unit:
# cents for USD and EUR, but whole yen for JPY (a zero-decimal currency). Integers avoid floating
# point rounding on money. So `amount: 10000` in USD is $100.00, and in JPY it is ¥10,000. The tables
# here convert to major units (`amount`) and keep Stripe's integers in `amount_minor`; when the
# model *sends* an amount (a refund of $5), it must send `500`.
#
# **Payments.**

# %% magic_args="--out payments" language="stripe_agent"
# list my last 5 payments

# %%
recent = payments.tables[0]
recent[["id", "amount", "amount_minor", "currency", "status", "created"]]

# %% [markdown]
# **Refunds.** A cell can insert Python values with `{name}` (here a payment id from the table
# above). A failed tool call is not an exception: it is a result the model reads and explains, as
# it would for an already-refunded payment.

# %%
payment_id = recent.loc[2, "id"]
payment_id

# %% language="stripe_agent"
# refund $5 of {payment_id}

# %% [markdown]
# **Products and prices.**

# %% language="stripe_agent"
# list my last 5 products

# %% language="stripe_agent"
# list my last 5 prices

# %% [markdown]
# **A multi-step chain.** One sentence, three dependent calls: the product's id feeds the price,
# and the price's id feeds the payment link. The model plans the order; the agent runs each round.

# %% magic_args="--out launch" language="stripe_agent"
# create a product Premium Plan at $20 and give me a payment link

# %%
for call in launch.tool_calls:
    print(f"round {call.round}: {call.name}({call.arguments})")

# %% [markdown]
# **Subscriptions and invoices.**

# %% language="stripe_agent"
# list active subscriptions

# %% language="stripe_agent"
# list my last 5 invoices

# %% [markdown]
# A longer chain: a customer, then an invoice for them with the product created above, finalized.
# The follow-up refers to the earlier turn ("the Premium Plan"): the conversation carries it.

# %% language="stripe_agent"
# create a customer Ada Lovelace with email ada@example.com

# %% language="stripe_agent"
# create an invoice for ada@example.com for the Premium Plan and finalize it

# %% [markdown]
# ## Policies: who decides what runs
#
# * `auto`: every call runs (the default in the sandbox and with test-mode keys),
# * `confirm`: **write** calls wait for you; read calls still run,
# * `read-only`: write tools are not even offered to the model, and one that arrives anyway is
#   refused.
#
# With `--policy confirm` the turn stops at the first write call and shows what it would do:

# %% magic_args="--policy confirm" language="stripe_agent"
# create a customer named Grace Hopper with email grace@example.com

# %% [markdown]
# `%stripe_agent approve` (all, a number from the table, or a call id) runs it and continues the turn:

# %%
# %stripe_agent approve all

# %% [markdown]
# `%stripe_agent decline` refuses: the model is told the call was declined and answers accordingly.

# %% magic_args="--policy confirm" language="stripe_agent"
# create a product Gold Tier at $50

# %%
# %stripe_agent decline 1

# %% [markdown]
# **Read-only mode** for exploring an account safely: the model only sees read tools.

# %% magic_args="--policy read-only" language="stripe_agent"
# create a customer named Alan Turing with email alan@example.com

# %% [markdown]
# ## A chart from a tool result
#
# The tables are ordinary pandas DataFrames. Here: the last 100 payment intents, the succeeded ones
# in US dollars (amounts in different currencies cannot be added), summed per day. `created` is
# already a UTC timestamp. The last 100 payments reach back only a couple of weeks of the sandbox's
# 90 days of data, so the chart's title says which days it covers.

# %% magic_args="--out history --quiet" language="stripe_agent"
# list my last 100 payments

# %%
frame = history.tables[0]
usd = frame[(frame["currency"] == "usd") & (frame["status"] == "succeeded")]
per_day = usd.groupby(usd["created"].dt.date)["amount"].sum().rename("revenue (USD)")
per_day.to_frame()

# %%
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

# %% [markdown]
# ## The chat widget
#
# The same agent and policies in a chat box; write calls under `confirm` get Approve and Decline
# buttons on their card. `.send()` does what pressing Enter does.

# %%
# NBVAL_IGNORE_OUTPUT
# (not compared by the tests: a widget: its model ids change on every run)
import stripe_nb_agent

chat = stripe_nb_agent.chat(conversation="widget", policy="read-only")
chat

# %%
chat.send("list my last 3 payments")
result = chat.wait(30)
print(result.text)

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
