"""Importers: archives exported from Substack, Ghost and WordPress become posts of this publication.

Each source module reads one export format into `ExportedPost`s; the converter turns their HTML
into Markdown; the planner and writer decide paths, slugs and redirects and write the files. They
read the content model but never render or build.
"""
