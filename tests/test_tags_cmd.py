"""`papershelf tags`: every tag with its count, and the near-duplicates a curator should merge."""

from __future__ import annotations

import re
from pathlib import Path

from papershelf.cli import main

ALIASES = '[tags.aliases]\nllm = ["LLM", "large-language-models", "language-models"]\n'


def entry(folder: Path, slug: str, tags: list[str]) -> None:
    listed = "".join(f"  - {t}\n" for t in tags)
    (folder / f"{slug}.md").write_text(f"---\ntitle: Paper {slug}\ntags:\n{listed}---\nAbstract.\n", encoding="utf-8")


def make_site(root: Path, config: str, entries: dict[str, list[str]]) -> Path:
    (root / "content").mkdir(parents=True)
    (root / "site.toml").write_text(config, encoding="utf-8")
    for slug, tags in entries.items():
        entry(root / "content", slug, tags)
    return root


def run_tags(site: Path, capsys) -> str:
    assert main(["--config", str(site / "site.toml"), "tags"]) == 0
    return capsys.readouterr().out


def counts(output: str) -> dict[str, int]:
    return {m.group(2): int(m.group(1)) for m in re.finditer(r"^\s+(\d+)  (.+?)(?:\s+\(written .*\))?$", output, re.M)}


ENTRIES = {
    "a": ["LLM", "transformers"],
    "b": ["llm", "diffusion-models"],
    "c": ["llm", "Diffusion Model"],
    "d": ["large-language-models"],
    "e": ["tranformers", "sparsity"],
    "f": ["transformers"],
}


def test_tags_lists_every_tag_with_its_count(tmp_path, capsys):
    out = run_tags(make_site(tmp_path, ALIASES, ENTRIES), capsys)
    assert counts(out) == {"llm": 3, "transformers": 2, "Diffusion Model": 1, "diffusion-models": 1,
                           "large-language-models": 1, "sparsity": 1, "tranformers": 1}
    assert out.startswith("7 tags on 6 papers")


def test_tags_flags_case_variants_and_configured_aliases_with_the_files_to_edit(tmp_path, capsys):
    out = run_tags(make_site(tmp_path, ALIASES, ENTRIES), capsys)
    assert "LLM / llm: one tag written 2 ways; write 'llm'" in out
    assert re.search(r"write 'llm'\n\s+in content/a\.md\n", out)
    assert "large-language-models (1): listed in site.toml [tags.aliases] as a variant of 'llm'" in out
    assert re.search(r"variant of 'llm'; write 'llm'\n\s+in content/d\.md\n", out)


def test_tags_flags_plurals_and_slips(tmp_path, capsys):
    out = run_tags(make_site(tmp_path, ALIASES, ENTRIES), capsys)
    assert "Diffusion Model (1) / diffusion-models (1): singular and plural" in out
    assert "tranformers (1) / transformers (2): spelled almost the same" in out
    assert "sparsity" not in out.split("near-duplicate")[1]


def test_an_alias_is_only_flagged_when_configured(tmp_path, capsys):
    out = run_tags(make_site(tmp_path, 'title = "x"\n', {"a": ["llm"], "d": ["large-language-models"]}), capsys)
    assert "No near-duplicate tags." in out
    assert "aliases" not in out


def test_entries_with_errors_are_pointed_out_not_fatal(tmp_path, capsys):
    site = make_site(tmp_path, ALIASES, {"a": ["llm"]})
    (site / "content" / "broken.md").write_text("---\ntitle: [oops\n---\n", encoding="utf-8")
    out = run_tags(site, capsys)
    assert counts(out) == {"llm": 1}
    assert "1 entry with errors not counted; run `papershelf check`" in out
