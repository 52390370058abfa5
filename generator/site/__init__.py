"""The site: model, pages, data files, the MkDocs plugin, build and serve."""
