# %% [markdown]
# # Exercise 4: a chart
#
# **What you'll learn**: turning a result into a chart with pandas and matplotlib.
#
# Everything runs on the offline sandbox (a rule-based stand-in, not a language model, and a fake
# Stripe account): nothing you do here touches real money. The first cell resets the sandbox, so
# you can run this notebook again at any time. Replace each `...` with your own code, run the cells
# top to bottom, and read the **checkpoint**: it checks your result against the sandbox and says
# what is missing. Stuck? The solution is [solution_4](solution_4.ipynb).

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
# Get your **last 50 payments** (`--out recent --quiet`), then draw their total amount **per day**
# as a bar chart on `ax`, with a title and both axis labels. Hint: `frame.created.dt.date` is the
# day of each payment; `groupby(...)["amount"].sum()` totals them; `.plot.bar(ax=ax)` draws.

# %%
request = "..."  # your request, in plain English

# %% magic_args="--out recent --quiet" language="stripe_agent"
# {request}

# %%
import matplotlib.pyplot as plt

fig, ax = plt.subplots(figsize=(8, 3))
# ... draw the bars on ax, then set a title and the axis labels

# %% [markdown]
# ## Checkpoint

# %%
check.payments_chart(ax, agent)
