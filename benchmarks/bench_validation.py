"""The options for checking a tool call against its input schema, measured side by side.

    .venv/bin/python benchmarks/bench_validation.py

For each library: the import (in a fresh interpreter, best of 3), compiling one validator, and
validating a good and a bad call with the compiled validator (best of 5 rounds of 2,000 calls).
A library that is not installed is skipped. Absolute times are indicative; the ratios are what
the choice in ``tools/validate.py`` rests on.
"""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from timing import best

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

CALLS = 2_000
SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "name": {"type": "string"},
        "email": {"type": "string", "format": "email"},
        "limit": {"type": "integer", "minimum": 1, "maximum": 100},
        "metadata": {"type": "object", "additionalProperties": {"type": "string"}},
    },
    "required": ["name"],
    "additionalProperties": False,
}
GOOD = {"name": "Jenny Rosen", "email": "jenny@example.com", "limit": 3, "metadata": {"k": "v"}}
BAD = {"name": 3, "email": "not-an-email", "limit": 0, "phone": "1"}


def import_seconds(module: str) -> float:
    code = f"import time; t = time.perf_counter(); import {module}; print(time.perf_counter() - t)"
    runs = [float(subprocess.check_output([sys.executable, "-c", code], text=True)) for _ in range(3)]
    return min(runs)


def options() -> dict[str, tuple[Callable[[], Any], Callable[[Any, dict[str, Any]], int]]]:
    """name -> (compile one validator, count the errors of one instance with it)."""
    found: dict[str, tuple[Callable[[], Any], Callable[[Any, dict[str, Any]], int]]] = {}
    import jsonschema

    def js_compile() -> Any:
        return jsonschema.Draft202012Validator(
            SCHEMA, format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER
        )

    found["jsonschema"] = (js_compile, lambda v, x: sum(1 for _ in v.iter_errors(x)))
    if importlib.util.find_spec("fastjsonschema"):
        import fastjsonschema

        def fjs_check(v: Any, x: dict[str, Any]) -> int:
            try:
                v(x)
            except fastjsonschema.JsonSchemaValueException:
                return 1  # it stops at the first error
            return 0

        found["fastjsonschema"] = (lambda: fastjsonschema.compile(SCHEMA), fjs_check)
    if importlib.util.find_spec("jsonschema_rs"):
        import jsonschema_rs

        found["jsonschema-rs"] = (
            lambda: jsonschema_rs.validator_for(SCHEMA, validate_formats=True),
            lambda v, x: sum(1 for _ in v.iter_errors(x)),
        )
    return found


def main(argv: list[str] | None = None) -> dict[str, float]:
    from stripe_nb_agent.tools.validate import schema_violations

    per_call = best(lambda: schema_violations(SCHEMA, GOOD), n=200)
    print(f"stripe_nb_agent schema_violations, good call: {per_call * 1e6:8.1f} us/call")
    figures = {"ours_s": per_call}
    print()
    print(f"{'library':16} {'import s':>9} {'compile us':>11} {'good us':>8} {'bad us':>8} {'errors':>7}")
    for name, (compile_, check) in options().items():
        module = {"jsonschema-rs": "jsonschema_rs"}.get(name, name)
        imported = import_seconds(module)
        compiled = best(compile_, n=20)
        validator = compile_()
        good = best(lambda v=validator, c=check: c(v, GOOD), n=CALLS)
        bad = best(lambda v=validator, c=check: c(v, BAD), n=CALLS)
        errors = check(validator, BAD)
        figures[f"{name}_import_s"] = imported
        figures[f"{name}_good_s"] = good
        print(
            f"{name:16} {imported:9.3f} {compiled * 1e6:11.1f} {good * 1e6:8.1f} {bad * 1e6:8.1f} {errors:7d}"
        )
    print()
    print("errors: how many of the bad call's 4 problems the library reports (the model fixes all at once).")
    return figures


if __name__ == "__main__":
    main()
