"""Without Chromium, Java or node_modules the suite skips on a laptop but fails in CI."""

from __future__ import annotations

import pytest

from .conftest import INSTALL_HINT, unavailable

pytestmark = pytest.mark.browser


def test_a_developer_without_the_tools_is_told_how_to_install_them(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CI", raising=False)
    with pytest.raises(pytest.skip.Exception, match="apt-get install chromium chromium-driver") as skipped:
        unavailable("missing /usr/bin/chromium")
    assert INSTALL_HINT in str(skipped.value)


def test_ci_without_the_tools_fails_instead_of_skipping(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match="cannot run in CI: missing /usr/bin/chromium"):
        unavailable("missing /usr/bin/chromium")
