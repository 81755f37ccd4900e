"""The 亮证 live code's timing: the token may not outlive what the page promises.

The page says "每60秒自动刷新，截图无效" and shows a running clock and a countdown; it fetches a new
code every REFRESH_SECONDS. A code's lifetime is that period plus GRACE_SECONDS, so a code scanned
in its last second still reaches the verifier (a phone network's delay, clocks a few seconds
apart); a screenshot therefore verifies for at most 65 seconds. Chinese practice for 亮证: codes
refreshed every minute (docs/rules.md).
"""

from __future__ import annotations

REFRESH_SECONDS = 60
GRACE_SECONDS = 5
MAX_TTL = REFRESH_SECONDS + GRACE_SECONDS
MIN_TTL = 10


def ttl_problem(ttl: int) -> str | None:
    """Why a configured live-code lifetime breaks the page's promise, or None when it keeps it."""
    if MIN_TTL <= ttl <= MAX_TTL:
        return None
    return (f"signing.live_code_ttl must be between {MIN_TTL} and {MAX_TTL} seconds: the 亮证 page promises "
            f"a new code every {REFRESH_SECONDS} s, so a screenshot must not verify for longer")
