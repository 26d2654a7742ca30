"""Load and resolve: the publication's settings and posts, validated, linked into a `Site`.

Everything here reads the publication and reports every problem as `path:line: field: message`.
It must not render, write or cache anything: it imports nothing from `render`, `incremental`,
`commands`, `build` or `cli`.
"""
