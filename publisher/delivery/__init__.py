"""Sending posts to subscribers over SMTP: the transport, per-recipient messages, the ledger, the run.

It reads the built email and the subscriber database and records every delivery there; it never
builds, never writes into the output folder, and knows nothing of the command line.
"""
