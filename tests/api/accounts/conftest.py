"""The console's browser fixtures, for the accounts tests too."""

from tests.api.console.conftest import browser, other_browser

__all__ = ["browser", "other_browser"]
