"""Sphinx configuration of Hurtle's documentation."""

project = 'Hurtle'
copyright = 'Hurtle developers'
author = 'Hurtle developers'

extensions = []

source_suffix = {'.rst': 'restructuredtext'}
root_doc = 'index'
exclude_patterns = []

language = 'en'
pygments_style = 'sphinx'
# Documentation only: never import the hurtle package (no autodoc), so the
# build needs nothing but Sphinx.
html_theme = 'alabaster'
html_title = 'Hurtle documentation'
html_static_path = []
nitpicky = True
