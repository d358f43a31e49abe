"""Regenerate the README's screenshot (docs/widget.png): the real chat widget in a real JupyterLab.

    .venv/bin/python scripts/screenshot.py [--output docs/widget.png] [--prompt "..."]

Uses the browser test suite's harness (tests/browser/harness.py): JupyterLab from the project venv
in sandbox mode on a random loopback port, headless Chromium from /usr/bin/chromium. Needs
``apt-get install -y chromium`` and ``pip install playwright`` (no browser download).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from tests.browser.harness import Chat, Notebook, chromium, running_lab  # noqa: E402

CODE = "import stripe_nb_agent\n\nchat = stripe_nb_agent.chat()\nchat"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--output", type=Path, default=REPO / "docs" / "widget.png")
    parser.add_argument("--prompt", default="list my last 5 customers")
    parser.add_argument("--width", type=int, default=1280)
    parser.add_argument("--height", type=int, default=900)
    args = parser.parse_args(argv)

    started = time.monotonic()
    # The default pace (15 ms a chunk), so the metrics line shows plausible streaming figures.
    with running_lab(pace=0.015) as lab, chromium(viewport=(args.width, args.height)) as context:
        context.set_default_timeout(60_000)
        page = context.new_page()
        name = "Stripe agent.ipynb"
        lab.new_notebook(name)
        page.goto(lab.url(name, workspace="screenshot"))
        notebook = Notebook(page).wait_ready()
        # Give the notebook the whole width: collapse the file browser.
        page.locator(".jp-SideBar.jp-mod-left .lm-TabBar-tab.lm-mod-current").click()
        page.locator(".jp-SideBar.jp-mod-left .lm-TabBar-tab.lm-mod-current").wait_for(state="detached")

        notebook.run(CODE)
        chat = Chat(page).wait_shown()
        reply = chat.ask(args.prompt)
        status = chat.wait_done(reply)
        if status != "ready" or reply.cards.count() == 0 or reply.answer.locator("table").count() == 0:
            raise SystemExit(f"The reply is not screenshot-worthy (status {status!r}); nothing written.")
        # The frame: the top of the notebook, so the cell that made the widget shows above it; the
        # keyboard focus leaves the input so no caret blinks into the picture.
        page.locator(".jp-NotebookPanel-notebook").evaluate("el => el.scrollTo(0, 0)")
        page.locator(".jp-NotebookPanel-notebook").click(position={"x": 5, "y": 5})
        args.output.parent.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(args.output))
        lab.shut_down_kernels(name)
    print(f"wrote {args.output} ({args.width}x{args.height}) in {time.monotonic() - started:.1f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
