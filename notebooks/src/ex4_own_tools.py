# %% [markdown]
# # 4. Your own Python functions as tools
#
# **What you'll learn**
#
# * how any typed Python function becomes a tool the agent calls next to Stripe's,
# * a function over a DataFrame of the account's payments, called by the agent, its result charted,
# * why a function counts as a *write* unless you say otherwise, and what that means under `confirm`,
# * how other MCP servers join the same catalogue.
#
# A function's name, docstring and type hints become the tool's name, description and input
# schema. It is served by an in-process MCP server (the official SDK's), so it takes exactly the
# path Stripe's tools take: the catalogue, argument validation, the policy, results and tables.

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
# ## The account's payments, as a DataFrame
#
# `--out payments` keeps the turn; `payments.tables[0]` is its first tool result as a DataFrame
# (amounts in major units, `created` as UTC datetimes).

# %% magic_args="--out payments --quiet" language="stripe_agent"
# list my last 100 payments

# %%
frame = payments.tables[0]
frame[["id", "amount", "currency", "status", "created"]].head()

# %% [markdown]
# ## A function over that DataFrame, offered to the agent
#
# `@stripe_nb_agent.tool` registers it on the agent the magic and the chat widget share.
# `kind="read"` declares that it changes nothing. Without it a function counts as a **write**
# (fail-safe: the package can't see what a function does), so under the `confirm` policy it would
# wait for your approval, and under `read-only` it would not be offered at all.

# %%
import pandas as pd

import stripe_nb_agent


@stripe_nb_agent.tool(kind="read")
def revenue_per_week(weeks: int = 4) -> pd.DataFrame:
    """Revenue of succeeded USD payments per ISO week, for the last `weeks` weeks of data, oldest first."""
    paid = frame[(frame["status"] == "succeeded") & (frame["currency"] == "usd")]
    week = paid["created"].dt.strftime("%G-W%V")
    table = paid.groupby(week)["amount"].sum().rename_axis("week").reset_index(name="revenue")
    return table.tail(weeks).reset_index(drop=True)


# %% [markdown]
# `%stripe_agent status` now lists a second tool server, `python`, beside Stripe's:

# %%
# %stripe_agent status

# %% [markdown]
# ## The agent calls it
#
# The offline stand-in reads a request that names an offered tool literally: the tool's name, then
# its arguments as `name value`. A real model (GPT-OSS on DAT1) picks the tool and its arguments
# from the description, the same way it picks Stripe's tools.

# %% magic_args="--out weekly" language="stripe_agent"
# run revenue_per_week with weeks 6

# %%
import matplotlib.pyplot as plt

weekly_revenue = weekly.tables[0]
period = f"{weekly_revenue['week'].iloc[0]} to {weekly_revenue['week'].iloc[-1]}"
fig, ax = plt.subplots(figsize=(7, 3))
ax.bar(weekly_revenue["week"], weekly_revenue["revenue"])
ax.set_title(f"Succeeded USD revenue per week, {period} (sandbox data)")
ax.set_xlabel("ISO week")
ax.set_ylabel("USD")
plt.show()

# %% [markdown]
# ## A function that changes something waits for you
#
# `tag_customer` writes to a (pretend) CRM, so it keeps the default `kind="write"`. Under
# `--policy confirm` the call is held, with what it will do in words before the exact arguments;
# nothing runs until you approve. An exception inside a function comes back as a failed tool
# result with its message, never a crashed turn.

# %%
crm_tags: dict[str, list[str]] = {}


@stripe_nb_agent.tool
def tag_customer(customer: str, tag: str) -> dict[str, object]:
    """Add a tag to a customer in our own CRM."""
    crm_tags.setdefault(customer, []).append(tag)
    return {"customer": customer, "tags": crm_tags[customer]}


# %% magic_args="--policy confirm" language="stripe_agent"
# run tag_customer with customer cus_VFmBLZY5ZbfSG4 and tag vip

# %%
crm_tags  # still empty: the call is waiting for approval

# %%
# %stripe_agent approve 1

# %%
crm_tags

# %% [markdown]
# ## Other MCP servers
#
# Any other MCP server joins the same catalogue: `%stripe_agent connect https://…/mcp --name docs`
# (or a command, run over stdio), `%stripe_agent disconnect docs`. A tool name two servers share is
# listed as `server.name`; a server that can't be reached has its tools reported unavailable while
# the others keep working; its annotations decide which of its tools are reads only with
# `--trusted`. `%stripe_agent tools` shows every tool with its server.
