"""`cinema` command line: one sub-command per module in this package (info, phantom, analyse, measure, demo,
export-dicom (module export_dicom), send).

Each sub-command module defines ``HELP`` (one line), ``add_arguments(parser)`` and ``run(args) -> int``.
Errors a user can act on (:class:`CineMAError`) are printed as one line and give exit code 2, never a traceback.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

from CineMALib.errors import CineMAError

SUBCOMMANDS: tuple[str, ...] = ("info", "phantom", "analyse", "measure", "demo", "export-dicom", "send")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="cinema", description="CineMA cine cardiac MR analysis")
    sub = parser.add_subparsers(dest="command", required=True)
    for name in SUBCOMMANDS:
        try:
            module = importlib.import_module(f"CineMALib.cli.{name.replace('-', '_')}")
        except ModuleNotFoundError as err:  # a sub-command not built yet is simply absent
            if err.name == f"CineMALib.cli.{name.replace('-', '_')}":
                continue
            raise
        sub_parser = sub.add_parser(name, help=module.HELP, description=module.HELP)
        module.add_arguments(sub_parser)
        sub_parser.set_defaults(_run=module.run)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return int(args._run(args))
    except CineMAError as err:
        print(f"cinema {args.command}: error: {err}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"cinema {args.command}: cancelled", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
