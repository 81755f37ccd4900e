"""长辈模式: the holder's stored choice wins, else this browser's cookie (app/services/preferences.py)."""

from __future__ import annotations

import pytest

from app.services.preferences import large_text


@pytest.mark.parametrize(("stored", "cookie", "shown"), [
    (None, None, False),   # nobody chose: the usual pages
    (None, "1", True),     # chosen in this browser before signing in
    (None, "0", False),
    (None, "yes", False),  # anything but "1" is off
    (True, None, True),    # the bound holder on a new phone
    (True, "0", True),     # his own choice, whatever an old cookie says
    (False, "1", False),
])
def test_the_holders_choice_wins_over_the_browsers(stored: bool | None, cookie: str | None, shown: bool) -> None:
    assert large_text(stored, cookie) is shown
