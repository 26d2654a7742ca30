"""The subscriber list: a SQLite database in the publication's data folder, addresses and signed tokens.

It knows people and their choices (status, sections) and the schema the delivery ledger shares;
it never renders, sends or serves anything, so sending and the subscription service both build on it.
"""
