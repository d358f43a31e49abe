"""The one CSS block both surfaces inject, built on JupyterLab's theme variables.

Every rule is scoped to a ``snba-`` class so nothing leaks onto the notebook's own elements, and
every ``var()`` carries a fallback so the output still reads in classic Notebook, VS Code or an
HTML export where JupyterLab's variables are not defined. Link colours are scoped under ``.snba``
too: JupyterLab's ``.jp-ThemedContainer a { color: unset }`` outranks a lone class.
"""

from __future__ import annotations

from typing import Final

__all__ = ["STYLE", "STYLE_HTML"]

STYLE: Final = """
.snba {
  color: var(--jp-ui-font-color1, #1f1f1f);
  font-family: var(--jp-ui-font-family, system-ui, -apple-system, "Segoe UI", sans-serif);
  font-size: var(--jp-ui-font-size1, 13px);
  line-height: 1.45;
}
.snba-markdown p { margin: 0.35em 0; }
.snba .snba-markdown a, .snba .snba-link, .snba .snba-link a {
  color: var(--jp-brand-color1, #1976d2);
  text-decoration: underline;
}
.snba-markdown code, .snba-code {
  font-family: var(--jp-code-font-family, SFMono-Regular, Menlo, Consolas, monospace);
  font-size: var(--jp-code-font-size, 12px);
  background: var(--jp-layout-color2, #eeeeee);
  padding: 0 0.25em;
  border-radius: 3px;
}
.snba-markdown pre, .snba-json {
  font-family: var(--jp-code-font-family, SFMono-Regular, Menlo, Consolas, monospace);
  font-size: var(--jp-code-font-size, 12px);
  background: var(--jp-layout-color2, #eeeeee);
  color: var(--jp-content-font-color1, #1f1f1f);
  border: 1px solid var(--jp-border-color2, #e0e0e0);
  border-radius: 4px;
  padding: 0.5em 0.75em;
  overflow-x: auto;
  white-space: pre;
  max-height: 30em;
}
.snba-markdown pre code { background: none; padding: 0; }
.snba-markdown table, .snba-table {
  border-collapse: collapse;
  margin: 0.4em 0;
  font-size: var(--jp-ui-font-size1, 13px);
}
.snba-markdown th, .snba-markdown td, .snba-table th, .snba-table td {
  border: 1px solid var(--jp-border-color2, #e0e0e0);
  padding: 0.2em 0.6em;
  text-align: left;
  vertical-align: top;
}
.snba-markdown th, .snba-table th {
  background: var(--jp-layout-color2, #eeeeee);
  font-weight: 600;
}
.snba-table tbody tr:nth-child(even) { background: var(--jp-layout-color1, #ffffff); }
.snba-table td.snba-num { text-align: right; font-variant-numeric: tabular-nums; }
.snba-table-note { color: var(--jp-ui-font-color2, #616161); font-size: 0.9em; }
.snba-tool {
  font-family: var(--jp-code-font-family, SFMono-Regular, Menlo, Consolas, monospace);
  font-size: var(--jp-code-font-size, 12px);
  color: var(--jp-ui-font-color2, #616161);
  margin: 0.15em 0;
}
.snba-tool-details > summary { cursor: pointer; }
.snba-tool-details > summary > .snba-tool { display: inline; }
.snba-tool-ok .snba-tool-icon { color: var(--jp-success-color1, #388e3c); }
.snba-tool-error .snba-tool-icon, .snba-tool-error .snba-tool-error-text {
  color: var(--jp-error-color1, #d32f2f);
}
.snba-tool-awaiting_approval .snba-tool-icon, .snba-tool-declined .snba-tool-icon,
.snba-tool-unknown .snba-tool-icon, .snba-tool-unknown .snba-tool-error-text {
  color: var(--jp-warn-color1, #f57c00);
}
.snba-tool-preview { color: var(--jp-ui-font-color1, #1f1f1f); font-weight: 600; }
.snba-tool-progress { color: var(--jp-ui-font-color2, #616161); }
.snba-image { max-width: 100%; max-height: 24em; margin: 0.25em 0; }
.snba-tool-name { color: var(--jp-ui-font-color1, #1f1f1f); font-weight: 600; }
.snba-tool-args { color: var(--jp-ui-font-color3, #9e9e9e); }
.snba-metrics {
  color: var(--jp-ui-font-color2, #616161);
  font-size: var(--jp-ui-font-size0, 11px);
  margin-top: 0.3em;
}
.snba-metric + .snba-metric::before { content: " · "; color: var(--jp-ui-font-color3, #9e9e9e); }
.snba-metric-label { color: var(--jp-ui-font-color3, #9e9e9e); }
.snba-error { color: var(--jp-error-color1, #d32f2f); }
.snba-warning { color: var(--jp-warn-color1, #f57c00); }
""".strip()

STYLE_HTML: Final = f"<style>{STYLE}</style>"
