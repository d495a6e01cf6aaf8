"""Run files: one SQLite file per run, written while the run goes, read by every report and
screen, and turned back into the engine's messages for replay and follow.

- `schema`: the tables, built from the message fields they hold;
- `writer`: `RunWriter`, used by the engine's main loop only;
- `reader`: `read_run` and `Run` (with the figures every view shows: summary, statistics);
- `series`: a run's readings (`Run` is a `SeriesReader`): whole, streamed, by window;
- `blocks`, `windows`: readings in compressed blocks, and windows of time read from them;
- `files`: finding run files (`resolve_run`, `list_run_files`);
- `stream`: `RunStream`, a finished file as messages by time window (replay);
- `follow`: `BenchFollower`, the files of a benchmark being written, as messages;
- `capture`: a run's memray capture, read in a child process under limits (`read_sites`).
Never imports Rich or anything of the UI. Clients import from this package, not its modules.
"""

from .capture import read_sites
from .files import list_run_files, new_run_id, prepare_runs_dir, resolve_run
from .follow import BenchFollower, RunFollower
from .listing import Listed, listed_runs
from .reader import Run, read_run
from .schema import SCHEMA_VERSION, SUFFIX
from .stream import RunStream
from .writer import RunWriter

__all__ = ["SCHEMA_VERSION", "SUFFIX", "BenchFollower", "Listed", "Run", "RunFollower",
           "RunStream", "RunWriter", "list_run_files", "listed_runs", "new_run_id",
           "prepare_runs_dir", "read_run", "read_sites", "resolve_run"]
