# %% [markdown]
# # Exercise 1: first requests
#
# **What you'll learn**: writing a request in a `%%stripe_agent` cell and keeping its result with `--out`.
#
# Everything runs on the offline sandbox (a rule-based stand-in, not a language model, and a fake
# Stripe account): nothing you do here touches real money. The first cell resets the sandbox, so
# you can run this notebook again at any time. Replace each `...` with your own code, run the cells
# top to bottom, and read the **checkpoint**: it checks your result against the sandbox and says
# what is missing. Stuck? The solution is [solution_1](solution_1.ipynb).

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
# Ask the agent for your **three newest customers**, keeping the result as `newest`. Put your
# request in `request` (the cell below it sends `{request}`: a `{name}` in a cell is replaced by
# that variable's value).

# %%
request = "..."  # your request, in plain English

# %% magic_args="--out newest" language="stripe_agent"
# {request}

# %% [markdown]
# ## Checkpoint

# %%
check.newest_customers(newest, agent)
