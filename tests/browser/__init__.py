"""The browser suite: pages and emails in headless Chromium, axe-core and the Nu Html Checker."""
