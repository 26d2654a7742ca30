"""Search: the published posts as a Pagefind index under `search/pagefind/` in the site.

A render step like the feeds: it turns the resolved site into bytes in memory
(Pagefind itself runs in a scratch folder) and never writes the output folder
or runs the build; the build stages its files like every other output.
"""
