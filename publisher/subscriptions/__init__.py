"""The subscription web service: sign-up with double opt-in, confirmation, one-click unsubscribe and
per-section preferences, as a small Starlette app over the subscriber database. It renders its own
pages and sends confirmation email; it never builds the site or sends posts."""
