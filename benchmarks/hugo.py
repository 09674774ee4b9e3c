"""A minimal Hugo site over the same entries, as the speed baseline (Hugo builds pages only, no search).

Hugo reads our front matter as is (YAML); the layouts below render what our paper, index, tag and
tags-index pages show, without a search index. Used by benchmarks/run.py when `hugo` is installed.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

CONFIG = """baseURL = "https://bench.example.org/shelf/"
title = "Benchmark"
disableKinds = ["RSS"]
[taxonomies]
tag = "tags"
[pagination]
pagerSize = 20
"""
# Hugo 0.111 reads `paginate`; newer releases read [pagination]. Both are harmless to the other.
CONFIG += "paginate = 20\n"

BASEOF = """<!doctype html><html lang="en"><head><meta charset="utf-8"><title>{{ .Title }}</title>
<link rel="stylesheet" href="{{ "style.css" | relURL }}"></head><body><main>{{ block "main" . }}{{ end }}</main></body></html>
"""
SINGLE = """{{ define "main" }}<article><h1>{{ .Title }}</h1><p>{{ .Date.Format "2006-01-02" }} ·
{{ range .Params.authors }}{{ . }}, {{ end }} · {{ .Params.upvotes }} upvotes</p>
<ul>{{ range .Params.tags }}<li><a href="{{ "tags/" | relURL }}{{ . | urlize }}/">{{ . }}</a></li>{{ end }}</ul>
{{ .Content }}</article>{{ end }}
"""
LIST = """{{ define "main" }}<h1>{{ .Title }}</h1><ol>{{ range .Paginator.Pages }}<li><a href="{{ .RelPermalink }}">{{ .Title }}</a>
{{ .Date.Format "2006-01-02" }} {{ range .Params.tags }}{{ . }} {{ end }}<p>{{ .Summary }}</p></li>{{ end }}</ol>
{{ template "_internal/pagination.html" . }}{{ end }}
"""
TERMS = """{{ define "main" }}<ul>{{ range .Data.Terms.ByCount }}<li><a href="{{ .Page.RelPermalink }}">{{ .Page.Title }}</a> {{ .Count }}</li>{{ end }}</ul>{{ end }}
"""


def make_hugo_site(corpus: Path, dest: Path) -> Path:
    """Lay out a Hugo site in ``dest`` whose content/papers/ links to the corpus entries."""
    if dest.exists():
        shutil.rmtree(dest)
    (dest / "layouts" / "_default").mkdir(parents=True)
    (dest / "static").mkdir()
    (dest / "static" / "style.css").write_text("body{font-family:sans-serif}\n")
    (dest / "hugo.toml").write_text(CONFIG)
    layouts = dest / "layouts" / "_default"
    (layouts / "baseof.html").write_text(BASEOF)
    (layouts / "single.html").write_text(SINGLE)
    (layouts / "list.html").write_text(LIST)
    (layouts / "terms.html").write_text(TERMS)
    (dest / "layouts" / "index.html").write_text(LIST)
    papers = dest / "content" / "papers"
    papers.mkdir(parents=True)
    for entry in (corpus / "content").glob("*.md"):
        os.link(entry, papers / entry.name) if _same_fs(entry, papers) else shutil.copy(entry, papers / entry.name)
    return dest


def _same_fs(a: Path, b: Path) -> bool:
    return os.stat(a).st_dev == os.stat(b).st_dev


def hugo_command(site: Path, out: Path) -> list[str]:
    return ["hugo", "--quiet", "--source", str(site), "--destination", str(out), "--cleanDestinationDir"]
