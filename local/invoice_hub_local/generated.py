"""The command line of a file the repository commits but a command makes (the OpenAPI document, the layer's
endpoint data): `--write` writes it, `--check` fails when the committed one differs, neither prints it."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any


def compact_json(data: Any) -> str:
    """A generated data file's text: keys sorted, no spaces, one line (botocore reads it as JSON)."""
    return json.dumps(data, separators=(",", ":"), sort_keys=True) + "\n"


def main(
    argv: list[str] | None, description: str | None, path: Path, made: Callable[[], str], command: str
) -> int:
    """`made()` is the file's text as the code makes it now; `command` is what a stale file's message tells
    the reader to run."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--write", action="store_true", help=f"write {path.name}")
    parser.add_argument("--check", action="store_true", help=f"fail if the committed {path.name} is stale")
    args = parser.parse_args(argv)
    text = made()
    if args.write:
        path.write_text(text, encoding="utf-8")
        print(f"wrote {path} ({len(text):,} bytes)")
    elif args.check:
        if not path.exists() or path.read_text(encoding="utf-8") != text:
            print(f"{path.name} is stale: run `{command}`", file=sys.stderr)
            return 1
    else:
        sys.stdout.write(text)
    return 0
