"""The domain core (govreports/) imports neither Scrapy nor Twisted, at the top of a module or
inside a function: spiders/ and pipelines/ are the adapters (README, Layout). Only the Scrapy
settings module, govreports/settings.py, may name Scrapy classes, and it does so by dotted path
in strings, which this does not look at. itemadapter is allowed: it is not Scrapy.
"""
from __future__ import annotations

import ast
from pathlib import Path

CORE = Path(__file__).resolve().parents[1] / "govreports"
FORBIDDEN = ("scrapy", "scrapy_redis", "twisted")
EXEMPT = {CORE / "settings.py"}


def _forbidden(name: str) -> bool:
    return name.split(".", 1)[0] in FORBIDDEN


def scrapy_imports(path: Path, root: Path = CORE.parent) -> list[str]:
    """`file:line: imports …` for every import of a forbidden package in the file, in line order."""
    found = []
    for node in ast.walk(ast.parse(path.read_bytes(), filename=str(path))):
        if isinstance(node, ast.Import):
            names = [a.name for a in node.names if _forbidden(a.name)]
        elif isinstance(node, ast.ImportFrom):
            # A relative import (level > 0) stays inside govreports.
            names = [node.module] if node.level == 0 and node.module and _forbidden(node.module) else []
        else:
            continue
        found += [(node.lineno, f"{path.relative_to(root)}:{node.lineno}: imports {n}")
                  for n in names]
    return [line for _, line in sorted(found)]


def test_the_core_does_not_import_scrapy_or_twisted():
    files = sorted(p for p in CORE.rglob("*.py") if p not in EXEMPT)
    assert len(files) > 40  # the walk found the package
    offending = [line for p in files for line in scrapy_imports(p)]
    assert not offending, "govreports/ must not import Scrapy or Twisted:\n" + "\n".join(offending)


def test_the_check_sees_imports_at_any_depth(tmp_path):
    probe = tmp_path / "probe.py"
    probe.write_text("import os\nimport itemadapter\n"
                     "def f():\n    from scrapy.http import Request\n"
                     "class C:\n    def g(self):\n        import twisted.internet.task\n"
                     "from scrapy_redis import connection\nfrom . import scrapy\n")
    assert scrapy_imports(probe, tmp_path) == ["probe.py:4: imports scrapy.http",
                                               "probe.py:7: imports twisted.internet.task",
                                               "probe.py:8: imports scrapy_redis"]
