# %% [markdown]
# # 3. Embeddings, search, reranking and model comparison
#
# **What you'll learn**
#
# * what an embedding is, and how to embed the product catalogue,
# * semantic search ("something to drink in the morning") and "customers who might like this",
# * a 2-D map of the catalogue (PCA with numpy, no scikit-learn),
# * reranking through a DAT1 custom deployment,
# * switching models, and one request on several models side by side.
#
# **Embeddings here.** Live, `embed()` calls DAT1's `qwen3-embedding`
# (`POST /collection/qwen3-embedding/invoke` with `{"texts": [...]}`). In sandbox mode it runs
# all-MiniLM-L6-v2 (384 dimensions, int8 ONNX) on this machine: a real embedding model, shipped
# inside a Python package, so no key and no download are needed.

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
# ## The product catalogue
#
# Through the agent, like any other request (so this works on a live account too):

# %% magic_args="--out catalogue --quiet" language="stripe_agent"
# list my last 100 products

# %%
products = catalogue.tables[0][["id", "name", "description"]].reset_index(drop=True)
products

# %% [markdown]
# ## Embeddings
#
# An embedding model turns a text into a vector such that texts with similar meaning get vectors
# pointing in similar directions. Similarity is the **cosine** of the angle between two vectors
# (1 = same direction). We embed "name: description" for each product:

# %%
from stripe_nb_agent import default_embedding_model, embed

texts = [f"{row.name}: {row.description}" for row in products.itertuples()]
vectors = embed(texts)
print(default_embedding_model(), vectors.shape, vectors.dtype)

# %% [markdown]
# ## Semantic search
#
# `semantic_search` embeds the query and ranks the texts by cosine similarity. No keyword of the
# query needs to appear in the product: it is matched by meaning. (Pass `corpus_vecs` so the
# catalogue is not embedded again.)

# %%
import pandas as pd

from stripe_nb_agent import semantic_search


def search(query, k=3):
    hits = semantic_search(query, texts, k=k, corpus_vecs=vectors)
    return pd.DataFrame(
        [{"product": products.loc[h.index, "name"], "score": round(h.score, 2)} for h in hits]
    )

search("something to drink in the morning")

# %%
search("help my team understand churn")

# %% [markdown]
# ## "Customers who might like this"
#
# A customer's taste is the average of the embeddings of the products they subscribe to. To
# recommend a product, score every customer who does not have it yet by the cosine between the
# product and their taste; customers with the same subscriptions get the same score, so the table
# groups them. All the data comes from one more tool call.

# %% magic_args="--out subs --quiet" language="stripe_agent"
# list my last 100 subscriptions

# %%
import numpy as np

owned = {}  # customer id -> set of product ids they subscribe to
for sub in subs.tables[0].itertuples():
    for item in sub.items:
        owned.setdefault(sub.customer, set()).add(item["price"]["product"])

row_of = {pid: i for i, pid in enumerate(products["id"])}
customers = sorted(c for c, ps in owned.items() if any(p in row_of for p in ps))
taste = np.stack([vectors[[row_of[p] for p in owned[c] if p in row_of]].mean(axis=0) for c in customers])
print(len(customers), "customers with a subscription;", taste.shape)

# %%
from stripe_nb_agent import cosine_similarity


def who_might_like(product_name):
    """Customers who do not have the product yet, grouped by what they have, best match first."""
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

# %% [markdown]
# The customers in the top rows are the ones to tell about it. Another product, another order:

# %%
who_might_like("API Credits")

# %% [markdown]
# ## A 2-D map of the catalogue
#
# 384 dimensions cannot be drawn, so we project them onto the two directions along which the
# vectors vary most: **PCA**, which is just a singular value decomposition of the centred matrix
# (`numpy.linalg.svd`; no scikit-learn needed). Nearby points are products with similar meaning.

# %%
centred = vectors - vectors.mean(axis=0)
_, singular, components = np.linalg.svd(centred, full_matrices=False)
points = centred @ components[:2].T
explained = singular**2 / np.sum(singular**2)
print(f"the two axes keep {explained[:2].sum():.0%} of the variance")

# %%
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

# %% [markdown]
# ## Reranking through a custom deployment
#
# Embedding search is fast but coarse: a **reranker** reads the query and each candidate together
# and scores their relevance. On DAT1 a reranker is a *custom deployment*: your own handler behind
# `POST /api/v1/inference/<name>/invoke` (`X-API-Key`), here taking
# `{"pairs": [[query, passage], ...], "normalize": true}` and answering `{"scores": [...]}`.
# `CustomDeployment` calls any such deployment; `rerank()` is the worked example.
#
# In sandbox mode the deployment is served by the local sandbox server, and it is a **stand-in**:
# the score is the cosine of the two texts' local embeddings mapped to [0, 1], not a trained
# cross-encoder. Live, point it at your own deployment (same code, `root` from the settings).

# %%
from urllib.parse import urlsplit

from stripe_nb_agent import CustomDeployment, rerank

# Live: your deployment on DAT1. Sandbox: the local server's stand-in route of the same name.
reranker = CustomDeployment.from_settings("reranker", agent.settings)
print("POST", urlsplit(reranker.url).path)

# %%
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

# %% [markdown]
# ## Models
#
# `%stripe_agent models` lists every model the registry knows and whether it is usable here (and
# why not). In sandbox mode the DAT1 models are off; `sandbox` and `sandbox-brief` are two
# rule-based stand-ins (**not language models**; the second is terser), and `local/smollm2` is a
# real tiny language model on a local llama.cpp server, when its package is installed. Which rows
# are usable depends on what is installed, so the tests do not compare this table.

# %%
# NBVAL_IGNORE_OUTPUT
# (not compared by the tests: usable models depend on the installed extras)
# %stripe_agent models

# %% [markdown]
# `%stripe_agent use MODEL` switches the model for the next requests; the conversation is kept.

# %%
# %stripe_agent use sandbox-brief

# %% language="stripe_agent"
# show my balance

# %%
# %stripe_agent use sandbox

# %% [markdown]
# ## One request, several models, side by side
#
# Each model gets the same request in a conversation of its own (so no model sees another's
# answer). The table shows time to first token, tokens per second and the start of each answer.
# Live, add `dat1/gpt-120-oss` and `dat1/gemma-3-12b`. Timings (and a real model's wording) vary
# between runs, so this cell's output is not compared by the tests.

# %%
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

# %% [markdown]
# The sandbox stand-ins' rates are simulated (paced, or instant with pacing off); a real model's
# TTFT includes loading and reading the prompt, and its tokens/s is what you would feel while it
# types. `local/smollm2` has no tool calling, so it answers from what it learned in training.

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
