"""Render: a resolved `Site` becomes web pages and feeds (`render.email` for the email edition).

Renderers turn content into bytes in memory and may key their outputs with `incremental`
fingerprints. They must not write files, run the build or know about the command line.
"""
