"""The workshop's exercise notebooks and their solutions, from one definition per exercise.

Each exercise is a list of steps: ("md", text), ("code", source) shared by both notebooks, and
("task", exercise_source, solution_source). The exercise notebook gets the placeholder (it still
runs: its checkpoint then says what is missing); the solution notebook gets the answer, and nbval
runs it like every other notebook. Exercise notebooks are saved without outputs, for attendees.
"""

from __future__ import annotations

Cells = list[tuple[str, str]]
Step = tuple[str, ...]

SETUP = """
%load_ext stripe_nb_agent
from stripe_nb_agent.ui.shared import get_agent

import workshop_checks as check  # the checkpoints, next to this notebook

agent = get_agent()
agent.reset()  # an empty conversation
%stripe_agent sandbox reset
"""

PLACEHOLDER = '"..."  # your request, in plain English'


def _opening(number: int, title: str, learn: str, solution: bool) -> str:
    kind = "Solution" if solution else "Exercise"
    other = (
        f"The exercise is [workshop_{number}](workshop_{number}.ipynb)."
        if solution
        else f"Stuck? The solution is [solution_{number}](solution_{number}.ipynb)."
    )
    return f"""
# {kind} {number}: {title}

**What you'll learn**: {learn}

Everything runs on the offline sandbox (a rule-based stand-in, not a language model, and a fake
Stripe account): nothing you do here touches real money. The first cell resets the sandbox, so
you can run this notebook again at any time. Replace each `...` with your own code, run the cells
top to bottom, and read the **checkpoint**: it checks your result against the sandbox and says
what is missing. {other}
"""


def _build(number: int, title: str, learn: str, steps: list[Step], *, solution: bool) -> Cells:
    cells: Cells = [("md", _opening(number, title, learn, solution)), ("code", SETUP)]
    for step in steps:
        if step[0] == "task":
            cells.append(("code", step[2] if solution else step[1]))
        else:
            cells.append((step[0], step[1]))
    return cells


EXERCISES: list[tuple[str, str, list[Step]]] = [
    (
        "first requests",
        "writing a request in a `%%stripe_agent` cell and keeping its result with `--out`.",
        [
            (
                "md",
                """
## Your task

Ask the agent for your **three newest customers**, keeping the result as `newest`. Put your
request in `request` (the cell below it sends `{request}`: a `{name}` in a cell is replaced by
that variable's value).
""",
            ),
            ("task", f"request = {PLACEHOLDER}", 'request = "list my last 3 customers"'),
            ("code", "%%stripe_agent --out newest\n{request}"),
            ("md", "## Checkpoint"),
            ("code", "check.newest_customers(newest, agent)"),
        ],
    ),
    (
        "results as data",
        "reading a result as a pandas DataFrame, with amounts in dollars and the cents kept.",
        [
            (
                "md",
                """
## Your task

1. Get your **last 20 payments** as `payments` (`--out payments --quiet`).
2. From `payments.tables[0]`, compute `succeeded_usd`: the total, in dollars, of those whose
   `status` is `succeeded` and `currency` is `usd`. (`amount` is already in dollars; Stripe's
   cents are in `amount_minor`.)
""",
            ),
            ("task", f"request = {PLACEHOLDER}", 'request = "list my last 20 payments"'),
            ("code", "%%stripe_agent --out payments --quiet\n{request}"),
            (
                "task",
                "succeeded_usd = ...  # from payments.tables[0]",
                """
frame = payments.tables[0]
succeeded_usd = frame.loc[(frame.status == "succeeded") & (frame.currency == "usd"), "amount"].sum()
round(succeeded_usd, 2)
""",
            ),
            ("md", "## Checkpoint"),
            ("code", "check.succeeded_total(payments, succeeded_usd, agent)"),
        ],
    ),
    (
        "writes and policies",
        "how a write waits for your approval under `--policy confirm`, and how to approve it.",
        [
            (
                "md",
                """
## Your task

Create a customer named **Ada Lovelace** with the email **ada@example.com**, under
`--policy confirm`: the agent stops before the write and shows what it will do. Read it, then
approve it with the next cell (`%stripe_agent decline all` would refuse it instead).
""",
            ),
            (
                "task",
                f"request = {PLACEHOLDER}",
                'request = "create a customer named Ada Lovelace with email ada@example.com"',
            ),
            ("code", "%%stripe_agent --policy confirm\n{request}"),
            ("code", "%stripe_agent approve all"),
            ("md", "## Checkpoint"),
            ("code", 'check.customer_created(agent, "Ada Lovelace", "ada@example.com")'),
        ],
    ),
    (
        "a chart",
        "turning a result into a chart with pandas and matplotlib.",
        [
            (
                "md",
                """
## Your task

Get your **last 50 payments** (`--out recent --quiet`), then draw their total amount **per day**
as a bar chart on `ax`, with a title and both axis labels. Hint: `frame.created.dt.date` is the
day of each payment; `groupby(...)["amount"].sum()` totals them; `.plot.bar(ax=ax)` draws.
""",
            ),
            ("task", f"request = {PLACEHOLDER}", 'request = "list my last 50 payments"'),
            ("code", "%%stripe_agent --out recent --quiet\n{request}"),
            (
                "task",
                """
import matplotlib.pyplot as plt

fig, ax = plt.subplots(figsize=(8, 3))
# ... draw the bars on ax, then set a title and the axis labels
""",
                """
import matplotlib.pyplot as plt

frame = recent.tables[0]
per_day = frame.groupby(frame.created.dt.date)["amount"].sum()
fig, ax = plt.subplots(figsize=(8, 3))
per_day.plot.bar(ax=ax)
ax.set_title("Payments per day (last 50 payments)")
ax.set_xlabel("day (UTC)")
ax.set_ylabel("amount (USD)")
plt.show()
""",
            ),
            ("md", "## Checkpoint"),
            ("code", "check.payments_chart(ax, agent)"),
        ],
    ),
    (
        "embeddings and search",
        "embedding a product catalogue and searching it by meaning, not by keyword.",
        [
            (
                "md",
                """
## Your task

Find the **3 products** whose "name: description" is closest in meaning to
*"something to brew coffee at home"* (`check.QUERY`), and put their ids in `found_ids`. Get the
whole catalogue first (`list my last 100 products`, `--out catalogue --quiet`), then use
`stripe_nb_agent.search.semantic_search(query, texts, k=3)`: each hit has the `.index` of its text.
""",
            ),
            ("task", f"request = {PLACEHOLDER}", 'request = "list my last 100 products"'),
            ("code", "%%stripe_agent --out catalogue --quiet\n{request}"),
            (
                "task",
                """
from stripe_nb_agent.search import semantic_search

found_ids = ...  # the ids of the 3 closest products
""",
                """
from stripe_nb_agent.search import semantic_search

products = catalogue.tables[0].reset_index(drop=True)
texts = [f"{row.name}: {row.description or ''}" for row in products.itertuples()]
hits = semantic_search(check.QUERY, texts, k=3)
found_ids = [products.id[hit.index] for hit in hits]
found_ids
""",
            ),
            ("md", "## Checkpoint"),
            ("code", "check.closest_products(found_ids, agent)"),
        ],
    ),
]

WORKSHOP: dict[str, Cells] = {}
for _number, (_title, _learn, _steps) in enumerate(EXERCISES, start=1):
    WORKSHOP[f"workshop_{_number}"] = _build(_number, _title, _learn, _steps, solution=False)
    WORKSHOP[f"solution_{_number}"] = _build(_number, _title, _learn, _steps, solution=True)

#: Saved without outputs (attendees start clean) and left out of nbval (see dev.py).
EXERCISE_NOTEBOOKS = frozenset(name for name in WORKSHOP if name.startswith("workshop_"))
