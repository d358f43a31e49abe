# %% [markdown]
# # stripe-nb-agent: a payment agent in a notebook
#
# This package lets a Jupyter notebook work with a Stripe account through an AI agent. You write a
# request in plain English; a language model (hosted on DAT1) decides which Stripe tools to call;
# the tools run on Stripe's MCP server; the answer and the data come back as text and DataFrames.
#
# **What you'll learn in five minutes**
#
# 1. how to load the `%%stripe_agent` magic and check where calls go,
# 2. how to ask for something and read the result as a DataFrame,
# 3. where to go next.
#
# Everything below runs **offline with no keys**: see the status table.

# %% [markdown]
# ## How it fits together
#
# ```mermaid
# flowchart LR
#     N["your notebook<br/>%%stripe_agent, chat()"] --> A["the agent<br/>(in the kernel)"]
#     A -- "chat: what to do next" --> M{"model"}
#     A -- "tools: MCP" --> T{"Stripe tools"}
#     M --> D["DAT1<br/>(live, DAT1_API_KEY)"]
#     M --> SM["sandbox stand-in<br/>(offline, rules)"]
#     T --> S["Stripe's MCP server<br/>(live, STRIPE_SECRET_KEY)"]
#     T --> SS["Stripe sandbox<br/>(offline, fake data)"]
# ```
#
# (In words: notebook → agent → the model on DAT1 *or* the sandbox stand-in, and the Stripe tools
# over MCP on Stripe *or* the sandbox.)
#
# * **The agent** sends your request to a model, runs the Stripe tools the model asks for, sends
#   their results back, and repeats until the model answers. You see every tool call.
# * **DAT1** hosts the language model (GPT-OSS-120B) live. Offline, a local server speaks DAT1's
#   protocol with a rule-based stand-in behind it: **not a language model**, but it plans real
#   tool calls for common requests.
# * **MCP** (Model Context Protocol) is the standard way a program offers tools to a model: Stripe
#   runs an MCP server with tools such as `list_customers` and `create_refund`. Offline, a real MCP
#   server in the kernel answers from a fake, seeded Stripe account.
# * **Writes** (creating, refunding, ...) can wait for your approval (`--policy confirm`).

# %%
# %load_ext stripe_nb_agent

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
# %stripe_agent status

# %% [markdown]
# ## Ask for something
#
# A `%%stripe_agent` cell sends its body as the request. While the model works, the cell shows
# live progress (the streamed answer and each tool call as it runs); when the turn ends it shows
# the answer, the tool calls it made, their results as tables, and a metrics line.

# %% language="stripe_agent"
# show my balance and my last 3 customers

# %% [markdown]
# ## Results are data
#
# `--out NAME` stores the result in a variable (a `TurnOutput`); `--quiet` skips the display.
# `turn.tables` holds one DataFrame per tool result. Amounts are shown in major units (dollars);
# Stripe itself counts in **minor units** (cents), kept in the `*_minor` columns.

# %% magic_args="--out turn --quiet" language="stripe_agent"
# list my last 5 payments

# %%
turn.tables[0][["id", "amount", "currency", "status", "created"]]

# %% [markdown]
# ## Next
#
# * [ex1_chat.ipynb](ex1_chat.ipynb): streaming chat, metrics (TTFT, tokens/s), conversation memory,
#   system prompt and temperature, the reasoning display, the chat widget.
# * [ex2_mcp.ipynb](ex2_mcp.ipynb): Stripe's MCP tools: customers, payments, refunds, products,
#   payment links, subscriptions, invoices; approving and declining write calls; a revenue chart.
# * [ex3_embeddings_models.ipynb](ex3_embeddings_models.ipynb): embeddings of the product catalogue,
#   semantic search and recommendations, a 2-D map, reranking, and several models side by side.
# * [ex4_own_tools.ipynb](ex4_own_tools.ipynb): your own Python functions as tools next to Stripe's
#   (a weekly revenue table the agent calls and you chart), a write function held for approval,
#   and other MCP servers.
#
# **Workshop exercises** (each with a checkpoint that checks your result against the sandbox, and
# a solution): [1. first requests](workshop_1.ipynb), [2. results as data](workshop_2.ipynb),
# [3. writes and policies](workshop_3.ipynb), [4. a chart](workshop_4.ipynb),
# [5. embeddings and search](workshop_5.ipynb). `%stripe_agent sandbox reset` puts the sandbox
# back to its seeded data at any time.
#
# `%stripe_agent help` lists every option.

# %%
# %stripe_agent help
