"""What makes a rebuild cheap and safe: the cache, fingerprints, the no-change fast path and the
atomic output staging.

It knows about content (to key what it caches) but never renders: it must not import `render`,
`commands`, `build` or `cli`.
"""
