"""No function in generator/ or notify/ is longer than 80 lines (part of `make lint`).

Ruff counts branches (C901) and statements (PLR0915); this counts lines, docstring and
comments included, since that is what a reader has to hold in mind at once.
"""

from __future__ import annotations

import ast
import sys
from pathlib import Path

LIMIT = 80
PACKAGES = ("generator", "notify")


def too_long(root: Path) -> list[str]:
    found = []
    for package in PACKAGES:
        for path in sorted((root / package).rglob("*.py")):
            tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
            for node in ast.walk(tree):
                if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                    length = (node.end_lineno or node.lineno) - node.lineno + 1
                    if length > LIMIT:
                        where = path.relative_to(root)
                        found.append(f"{where}:{node.lineno}: {node.name} is {length} lines (limit {LIMIT})")
    return found


def main() -> int:
    found = too_long(Path(__file__).resolve().parent.parent)
    for line in found:
        print(line, file=sys.stderr)
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())
