"""The ``papershelf`` command line: parse arguments, call one function, map errors to exit codes.

Exit codes: 0 success, 1 a problem in the user's content or config (printed as
``file:line: message``), 2 wrong usage (argparse's own convention).
No logic lives here: each subcommand calls one function of the pipeline.
"""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path

from . import __version__
from .config import CONFIG_NAME, Config, find_config, load_config
from .errors import SiteError, SiteErrors

log = logging.getLogger("papershelf")

EXIT_OK, EXIT_CONTENT, EXIT_USAGE = 0, 1, 2


def _common(top: bool) -> argparse.ArgumentParser:
    """Options accepted before and after the subcommand.

    The subcommand's copy has no defaults, so ``papershelf -q build`` is not undone
    by the subparser filling in ``quiet=False``.
    """
    def default(value):
        return value if top else argparse.SUPPRESS

    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--config", metavar="FILE", default=default(None),
                        help="site configuration (default: site.toml in this folder or the nearest folder above)")
    noise = common.add_mutually_exclusive_group()
    noise.add_argument("-q", "--quiet", action="store_true", default=default(False), help="print only problems")
    noise.add_argument("-v", "--verbose", action="store_true", default=default(False), help="print more detail")
    return common


def make_parser() -> argparse.ArgumentParser:
    common = _common(top=False)
    parser = argparse.ArgumentParser(
        prog="papershelf", parents=[_common(top=True)],
        description="A static-site generator for curated reading lists of research papers.")
    parser.add_argument("--version", action="version", version=f"papershelf {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True

    p = sub.add_parser("init", parents=[common], help="start a new reading list in a folder",
                       description="Create a new reading list: site.toml (every key commented), content/ with one "
                                   "example entry, .gitignore, a GitHub Pages workflow and a README. "
                                   "Never overwrites a file.")
    p.add_argument("folder", nargs="?", default=".", metavar="DIR", help="where (default: this folder); created if needed")
    p.add_argument("--title", help="the site's title (default: from the folder's name)")
    p.add_argument("--base-url", metavar="URL", help="where it will be published, e.g. https://USER.github.io/REPO/")
    p.add_argument("--force", action="store_true",
                   help="add the missing starter files to a folder that already holds a list (never overwrites)")

    p = sub.add_parser("import", parents=[common], help="import papers from listings into content/",
                       description="Import papers from Hugging Face pages (text or API JSON), BibTeX, RIS, CSL-JSON "
                                   "or arXiv API responses. Each paper becomes content/<slug>.md; re-importing "
                                   "never loses a curator's edits.")
    p.add_argument("sources", nargs="+", metavar="SOURCE",
                   help="files: Hugging Face page copies or API JSON, .bib, .ris, CSL-JSON, arXiv API XML")
    p.add_argument("--format", choices=["auto", "hf-text", "hf-json", "hf-list", "bibtex", "ris", "csl-json",
                                        "arxiv-atom"], default="auto",
                   help="input format (default: recognised from the content)")
    p.add_argument("--year", type=int, metavar="YYYY", help="year for dates printed without one (default: inferred from the page)")
    p.add_argument("--content", metavar="DIR", help="content folder (default: content_dir from the config)")
    p.add_argument("--dry-run", action="store_true", help="report what would change, write nothing")
    p.add_argument("--strict", action="store_true", help="fail before writing anything if any entry could not be read")

    p = sub.add_parser("export", parents=[common], help="write the papers as BibTeX, RIS or CSL-JSON",
                       description="Write the selected papers for a reference manager or LaTeX; importing the "
                                   "result gives back the same entries.")
    p.add_argument("--format", choices=["bibtex", "ris", "csl-json"], required=True, help="output format")
    p.add_argument("--tag", metavar="T", help="only papers with this tag")
    p.add_argument("--status", choices=["to-read", "reading", "read"], help="only papers with this status")
    p.add_argument("--drafts", action="store_true", help="include entries marked draft: true")
    p.add_argument("--out", metavar="FILE", help="write to FILE (default: standard output)")
    p.add_argument("--content", metavar="DIR", help="content folder (default: content_dir from the config)")

    p = sub.add_parser("check", parents=[common], help="validate site.toml and every entry",
                       description="Validate the config and every entry; report every problem as file:line: message.")
    p.add_argument("--content", metavar="DIR", help="content folder (default: content_dir from the config)")

    p = sub.add_parser("build", parents=[common], help="build the static site",
                       description="Render content/ through the theme into site/ (or --out).")
    p.add_argument("--out", metavar="DIR", help="output folder (default: output_dir from the config, site/)")
    p.add_argument("--base-url", metavar="URL", help="override base_url, e.g. https://user.github.io/repo/")
    p.add_argument("--drafts", action="store_true", help="include entries marked draft: true")
    p.add_argument("--no-search", action="store_true", help="build without the search page and index")
    p.add_argument("--force", action="store_true", help="replace an output folder that papershelf did not create")
    p.add_argument("--no-cache", action="store_true",
                   help="a full build that neither reads nor writes the build cache (.papershelf-cache/)")
    p.add_argument("--clean", action="store_true", help="a full build that ignores the build cache and replaces it")

    p = sub.add_parser("serve", parents=[common], help="preview the site with live reload",
                       description="Build, serve on 127.0.0.1, rebuild on every change and reload open pages.")
    p.add_argument("--host", default="127.0.0.1", help="address to bind (default: 127.0.0.1)")
    p.add_argument("--port", type=_port, default=8000, help="port (default: 8000; 0 picks a free one)")
    p.add_argument("--no-drafts", action="store_true", help="hide entries marked draft: true")
    p.add_argument("--no-search", action="store_true", help="preview without the search page and index")
    p.add_argument("--open", action="store_true", help="open the site in a web browser")

    p = sub.add_parser("new", parents=[common], help="create a new entry",
                       description="Create content/<slug>.md with its front matter filled in.")
    p.add_argument("title", help="the paper's title")
    p.add_argument("--tags", default="", help="comma-separated tags")
    p.add_argument("--arxiv", metavar="ID", help="arXiv id, e.g. 2405.15738")
    p.add_argument("--url", help="project or code URL")
    p.add_argument("--date", metavar="YYYY-MM-DD", help="publication date")
    p.add_argument("--content", metavar="DIR", help="content folder (default: content_dir from the config)")

    p = sub.add_parser("tags", parents=[common], help="list tags with counts and flag near-duplicates",
                       description="List every tag with the number of papers using it, and flag near-duplicates "
                                   "(case variants, [tags.aliases] in site.toml, singular/plural, near-misspellings) "
                                   "with the files to edit.")
    p.add_argument("--content", metavar="DIR", help="content folder (default: content_dir from the config)")

    p = sub.add_parser("deploy", parents=[common], help="publish the built site to a git branch (gh-pages)",
                       description="Commit the built site to a branch and push it, like mkdocs gh-deploy.")
    p.add_argument("--remote", default="origin", help="git remote (default: origin)")
    p.add_argument("--branch", default="gh-pages", help="branch (default: gh-pages)")
    p.add_argument("--message", help="commit message")
    p.add_argument("--out", metavar="DIR", help="built site to publish (default: output_dir from the config)")
    return parser


def _port(text: str) -> int:
    try:
        port = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a port number: {text!r}") from None
    if not 0 <= port <= 65535:
        raise argparse.ArgumentTypeError(f"{port} is not a port: use 1-65535, or 0 for a free one")
    return port


def _setup_logging(args) -> None:
    level = logging.WARNING if args.quiet else logging.DEBUG if args.verbose else logging.INFO
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(message)s"))
    log.handlers[:] = [handler]
    log.setLevel(level)
    log.propagate = False


def main(argv: list[str] | None = None) -> int:
    parser = make_parser()
    args = parser.parse_args(argv)
    _setup_logging(args)
    try:
        return _dispatch(args) or EXIT_OK
    except SiteErrors as exc:
        for problem in exc.errors:
            print(problem, file=sys.stderr)
        n = sum(1 for e in exc.errors if e.is_error)
        print(f"{n} error{'s' if n != 1 else ''}", file=sys.stderr)
        return EXIT_CONTENT
    except SiteError as exc:
        print(exc, file=sys.stderr)
        return EXIT_CONTENT
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except OSError as exc:   # the file system refused (a path under a file, no space, no permission)
        where = exc.filename if exc.filename is not None else "papershelf"
        print(f"{where}: {exc.strerror or exc}", file=sys.stderr)
        return EXIT_CONTENT


def _dispatch(args) -> int | None:
    if args.command == "init":
        from .init import run_init
        return run_init(args.folder, title=args.title, base_url=args.base_url, force=args.force)
    config = _config(args)
    content = Path(args.content).resolve() if getattr(args, "content", None) else config.content_path

    if args.command == "import":
        from .importers import run_import
        return run_import(args.sources, config=config, content_dir=content, fmt=args.format,
                          year=args.year, dry_run=args.dry_run, strict=args.strict)
    if args.command == "export":
        from .export import run_export
        return run_export(config, content, fmt=args.format, tag=args.tag, status=args.status, out=args.out,
                          drafts=args.drafts)
    if args.command == "check":
        from .check import run_check
        return run_check(config, content)
    if args.command == "build":
        from .build import run_build
        return run_build(config, out=args.out, base_url=args.base_url, drafts=args.drafts,
                         search=not args.no_search, force=args.force, quiet=args.quiet,
                         use_cache=not args.no_cache, clean=args.clean)
    if args.command == "serve":
        from .serve import run_serve
        return run_serve(config, host=args.host, port=args.port, drafts=not args.no_drafts,
                         search=False if args.no_search else None, open_browser=args.open)
    if args.command == "new":
        from .editing import run_new
        return run_new(config, content, title=args.title, tags=args.tags, arxiv=args.arxiv, url=args.url, date=args.date)
    if args.command == "tags":
        from .editing import run_tags
        return run_tags(config, content)
    if args.command == "deploy":
        from .deploy import run_deploy
        return run_deploy(config, out=args.out, remote=args.remote, branch=args.branch, message=args.message)
    raise AssertionError(args.command)


def _config(args) -> Config:
    """The site's config: --config, else site.toml here or in the nearest folder above (as git finds .git)."""
    if args.config is not None:
        path = Path(args.config)
    else:
        path = find_config(Path.cwd())
        if path is None:
            if args.command in ("import", "export") and args.content:
                log.debug("no %s here or above: using the defaults", CONFIG_NAME)
                return load_config(Path.cwd() / CONFIG_NAME)
            raise SiteError(CONFIG_NAME, None, f"not found in {Path.cwd()} or any folder above it: "
                            "run `papershelf init` to start a reading list here, cd into one, or pass --config FILE"
                            + (" (or give import --content DIR)" if args.command == "import" else ""))
    log.debug("using %s", path.resolve())
    return load_config(path)
