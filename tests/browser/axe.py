"""An axe-core audit of the page open in the browser: no serious or critical violation may remain.

axe-core comes from npm, pinned in js/package-lock.json (`make js` installs it into js/node_modules);
it is evaluated into the page by the test through the DevTools protocol, which the page's CSP does
not govern, so the page itself loads nothing it would not load for a worker.
"""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path
from typing import Any

import pytest

AXE = Path(__file__).resolve().parents[2] / "js" / "node_modules" / "axe-core" / "axe.min.js"
# WCAG 2.1 A and AA (GB/T 37668 follows WCAG 2.0 AA) plus axe's best practices; only serious and
# critical findings fail a test, as the issue asks.
TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"]
FAILING = ("serious", "critical")


@lru_cache(maxsize=1)
def _source() -> str:
    if not AXE.is_file():
        if os.environ.get("CI") == "true":
            pytest.fail("axe-core is missing from js/node_modules (make js)")
        pytest.skip("axe-core is missing from js/node_modules: run `make js`")
    return AXE.read_text("utf-8")


def violations(page: Any) -> list[dict[str, Any]]:
    """The serious and critical axe-core violations of the page as it is now."""
    if not page.evaluate("typeof window.axe === 'object'"):
        page.evaluate(_source())
    result = page.evaluate("opts => axe.run(document, opts)", {"runOnly": {"type": "tag", "values": TAGS},
                                                               "resultTypes": ["violations"]})
    return [v for v in result["violations"] if v["impact"] in FAILING]


def assert_accessible(page: Any, name: str) -> None:
    """Fail with each rule, its help text and the elements it found, for the page called `name`."""
    found = violations(page)
    lines = [f"{v['impact']} {v['id']}: {v['help']} -> {[n['target'] for n in v['nodes']][:5]}" for v in found]
    assert not found, f"axe-core on {name} ({page.url}):\n" + "\n".join(lines)
