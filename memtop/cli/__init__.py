"""The `memtop` command line. Bad input: one line on stderr and exit code 2, never a traceback.

- `parser`: the grammar; `live`: commands that run or replay (the engine, the TUI);
- `reports`: commands that read run files and print; `headless`: `--no-tui` progress and tables;
- `output`: where tables go (the terminal at its width, or a pipe).
"""

from __future__ import annotations

from collections.abc import Sequence

from memtop.engine.errors import UserError

from . import reports
from .live import cmd_attach, cmd_bench, cmd_diff, cmd_home, cmd_replay, cmd_run
from .parser import EXIT_USAGE, build_parser, fail

COMMANDS = {"bench": cmd_bench, "show": reports.cmd_show, "ls": reports.cmd_ls,
            "replay": cmd_replay, "diff": cmd_diff, "run": cmd_run, "attach": cmd_attach,
            "export": reports.cmd_export, "check": reports.cmd_check}


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
        if args.command is None:
            return cmd_home(args)
        return COMMANDS[args.command](args)
    except UserError as exc:
        return fail(str(exc))
    except SystemExit as exc:
        return exc.code if isinstance(exc.code, int) else EXIT_USAGE
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:  # `memtop show … | head`
        return 0
