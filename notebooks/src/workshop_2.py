# %% [markdown]
# # Exercise 2: results as data
#
# **What you'll learn**: reading a result as a pandas DataFrame, with amounts in dollars and the cents kept.
#
# Everything runs on the offline sandbox (a rule-based stand-in, not a language model, and a fake
# Stripe account): nothing you do here touches real money. The first cell resets the sandbox, so
# you can run this notebook again at any time. Replace each `...` with your own code, run the cells
# top to bottom, and read the **checkpoint**: it checks your result against the sandbox and says
# what is missing. Stuck? The solution is [solution_2](solution_2.ipynb).

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
# 1. Get your **last 20 payments** as `payments` (`--out payments --quiet`).
# 2. From `payments.tables[0]`, compute `succeeded_usd`: the total, in dollars, of those whose
#    `status` is `succeeded` and `currency` is `usd`. (`amount` is already in dollars; Stripe's
#    cents are in `amount_minor`.)

# %%
request = "..."  # your request, in plain English

# %% magic_args="--out payments --quiet" language="stripe_agent"
# {request}

# %%
succeeded_usd = ...  # from payments.tables[0]

# %% [markdown]
# ## Checkpoint

# %%
check.succeeded_total(payments, succeeded_usd, agent)
