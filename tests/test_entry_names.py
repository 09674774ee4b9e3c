"""Entry file names are URLs (issue 9 §5, issue 10 §2).

The choice, made once for `check` and `build` alike: a name that would need percent-encoding
('#', '?', '%', a space, any non-ASCII letter) or that is too long for the files the build writes
is refused with `file: message` naming a file to rename it to. Following that advice gives a
site whose links all resolve when served under a subpath, as on GitHub Pages.
"""

import unicodedata

import pytest

from papershelf.cli import main
from papershelf.content import NAME_MAX
from site_helpers import crawl, serve

SITE_TOML = 'title = "Names"\nbase_url = "https://example.github.io/shelf/"\n\n[search]\nenabled = false\n'
HARD_NAMES = {
    "c#-tricks": "c-tricks",
    "what?": "what",
    "100%": "100",
    "a b": "a-b",
    "café": "cafe",
    unicodedata.normalize("NFD", "naïve-bayes"): "naive-bayes",
    "-leading-dash": "leading-dash",
}


def make_site(root, names):
    (root / "content").mkdir(parents=True)
    (root / "site.toml").write_text(SITE_TOML, encoding="utf-8")
    (root / "content" / "plain-neighbour.md").write_text(
        "---\ntitle: Plain Neighbour\ndate: 2024-05-02\ntags: [names]\n---\nA neighbour.\n", encoding="utf-8")
    for i, name in enumerate(names):
        (root / "content" / f"{name}.md").write_text(
            f"---\ntitle: Hard Name {i}\ndate: 2024-05-01\ntags: [names]\n---\nAbstract {i}.\n", encoding="utf-8")
    return root


def run(site, capsys, *args):
    code = main(["--config", str(site / "site.toml"), *args])
    captured = capsys.readouterr()
    return code, captured.out + captured.err


@pytest.mark.parametrize("name", list(HARD_NAMES), ids=list(HARD_NAMES.values()))
def test_a_name_a_url_cannot_hold_is_refused_by_check_and_build_and_the_advice_works(tmp_path, capsys, name):
    site = make_site(tmp_path / "site", [name])
    message = (f"content/{name}.md: the file name has characters a URL cannot hold as they are (use only ASCII "
               f"letters, digits, '-', '_' and '.', starting with a letter or digit): rename it, e.g. to "
               f"content/{HARD_NAMES[name]}.md")
    code, output = run(site, capsys, "check")
    assert code == 1 and message in output.splitlines()
    code, output = run(site, capsys, "build")
    assert code == 1 and message in output.splitlines() and "Traceback" not in output
    assert not (site / "site").exists()   # refused before anything was written

    (site / "content" / f"{name}.md").rename(site / "content" / f"{HARD_NAMES[name]}.md")
    assert run(site, capsys, "check")[0] == 0
    assert run(site, capsys, "build", "-q")[0] == 0
    with serve(site / "site", "/shelf/") as root:
        visited, broken, _ = crawl(root)
    assert broken == []
    assert f"{root}papers/{HARD_NAMES[name]}/" in visited


def test_a_name_too_long_for_the_build_is_caught_by_check_before_the_build_writes(tmp_path, capsys):
    long_name = "a-" * 124   # 248 characters: content/<name>.md is 252, and <name>.bib would be 252 too
    site = make_site(tmp_path / "site", [])
    assert run(site, capsys, "build", "-q")[0] == 0
    before = sorted(p.relative_to(site) for p in (site / "site").rglob("*"))
    (site / "content" / f"{long_name}.md").write_text("---\ntitle: Long\n---\nx\n", encoding="utf-8")
    code, output = run(site, capsys, "check")
    assert code == 1
    line = next(line for line in output.splitlines() if line.startswith(f"content/{long_name}.md: "))
    assert f"the file name is 248 characters long (at most {NAME_MAX}: it names the paper's page and files in the " \
           "built site): rename it, e.g. to content/a-a-a" in line
    code, output = run(site, capsys, "build")
    assert code == 1 and line in output.splitlines() and "File name too long" not in output
    assert sorted(p.relative_to(site) for p in (site / "site").rglob("*")) == before


def test_the_longest_allowed_name_builds_and_its_links_work(tmp_path, capsys):
    name = "b" * NAME_MAX
    site = make_site(tmp_path / "site", [name])
    assert run(site, capsys, "check")[0] == 0
    assert run(site, capsys, "build", "-q")[0] == 0
    assert (site / "site" / "papers" / name / f"{name}.bib").is_file()
    with serve(site / "site", "/shelf/") as root:
        visited, broken, _ = crawl(root)
    assert broken == [] and f"{root}papers/{name}/" in visited


def test_plain_names_with_capitals_dots_and_underscores_are_fine(tmp_path, capsys):
    site = make_site(tmp_path / "site", ["GPT-4_report.v2"])
    assert run(site, capsys, "check") == (0, "2 entries, 0 errors, 0 warnings\n")
    assert run(site, capsys, "build", "-q")[0] == 0
    assert (site / "site" / "papers" / "gpt-4_report.v2" / "index.html").is_file()
