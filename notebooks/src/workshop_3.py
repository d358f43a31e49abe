# %% [markdown]
# # Exercise 3: writes and policies
#
# **What you'll learn**: how a write waits for your approval under `--policy confirm`, and how to approve it.
#
# Everything runs on the offline sandbox (a rule-based stand-in, not a language model, and a fake
# Stripe account): nothing you do here touches real money. The first cell resets the sandbox, so
# you can run this notebook again at any time. Replace each `...` with your own code, run the cells
# top to bottom, and read the **checkpoint**: it checks your result against the sandbox and says
# what is missing. Stuck? The solution is [solution_3](solution_3.ipynb).

# %%
# %load_ext stripe_nb_agent
from stripe_nb_agent import get_agent

import workshop_checks as check  # the checkpoints, next to this notebook

agent = get_agent()
agent.reset()  # an empty conversation
# %stripe_agent sandbox reset

# %% [markdown]
# ## Your task
#
# Create a customer named **Ada Lovelace** with the email **ada@example.com**, under
# `--policy confirm`: the agent stops before the write and shows what it will do. Read it, then
# approve it with the next cell (`%stripe_agent decline all` would refuse it instead).

# %%
request = "..."  # your request, in plain English

# %% magic_args="--policy confirm" language="stripe_agent"
# {request}

# %%
# %stripe_agent approve all

# %% [markdown]
# ## Checkpoint

# %%
check.customer_created(agent, "Ada Lovelace", "ada@example.com")
