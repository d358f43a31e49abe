# %% [markdown]
# # Exercise 5: embeddings and search
#
# **What you'll learn**: embedding a product catalogue and searching it by meaning, not by keyword.
#
# Everything runs on the offline sandbox (a rule-based stand-in, not a language model, and a fake
# Stripe account): nothing you do here touches real money. The first cell resets the sandbox, so
# you can run this notebook again at any time. Replace each `...` with your own code, run the cells
# top to bottom, and read the **checkpoint**: it checks your result against the sandbox and says
# what is missing. Stuck? The solution is [solution_5](solution_5.ipynb).

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
# Find the **3 products** whose "name: description" is closest in meaning to
# *"something to brew coffee at home"* (`check.QUERY`), and put their ids in `found_ids`. Get the
# whole catalogue first (`list my last 100 products`, `--out catalogue --quiet`), then use
# `stripe_nb_agent.semantic_search(query, texts, k=3)`: each hit has the `.index` of its text.

# %%
request = "..."  # your request, in plain English

# %% magic_args="--out catalogue --quiet" language="stripe_agent"
# {request}

# %%
from stripe_nb_agent import semantic_search

found_ids = ...  # the ids of the 3 closest products

# %% [markdown]
# ## Checkpoint

# %%
check.closest_products(found_ids, agent)
