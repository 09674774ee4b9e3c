"""papershelf: a static-site generator for curated reading lists of research papers.

Pipeline, one module per step, imports pointing one way:
load (config, content) -> model -> taxonomy / search / render -> writer -> build -> serve / cli.
"""

__version__ = "0.1.0"
