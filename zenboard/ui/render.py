"""Pure drawing helpers: model values to Rich text (bars, counts, worker rows, states).

Kept apart from the widgets so the look is decided in one place and can be tested without an
app. Bars are drawn with text rather than a ProgressBar widget per worker: one card repaints as
one unit, and nothing animates on its own (snapshots stay deterministic).
"""

from __future__ import annotations

from rich.cells import cell_len, get_character_cell_size
from rich.text import Text

from zenboard.config import WORKERS_FROM_ENV, SuiteConfig
from zenboard.model.state import SuiteState, SuiteStatus, WorkerState
from zenboard.model.timing import is_slow, running_for
from zenboard.ui.safe_text import visible
from zenboard.words import plural

STATUS_STYLE: dict[SuiteStatus, str] = {
    SuiteStatus.IDLE: "dim",
    SuiteStatus.WAITING: "yellow",
    SuiteStatus.RUNNING: "bold cyan",
    SuiteStatus.PASSED: "bold green",
    SuiteStatus.FAILED: "bold red",
    SuiteStatus.ERROR: "bold magenta",
    SuiteStatus.NO_TESTS: "yellow",
    SuiteStatus.CANCELLED: "yellow",
}
OUTCOME_LABELS = (
    ("passed", "passed", "green"),
    ("failed", "failed", "red"),
    ("error", "error", "magenta"),
    ("skipped", "skipped", "yellow"),
    ("xfailed", "xfailed", "cyan"),
    ("xpassed", "xpassed", "cyan"),
)
OUTCOME_MARK = {
    "failed": "✗",
    "error": "E",
    "passed": "✓",
    "skipped": "s",
    "xfailed": "x",
    "xpassed": "X",
}
OUTCOME_STYLE = {
    "failed": "bold red",
    "error": "bold magenta",
    "passed": "green",
    "skipped": "yellow",
    "xfailed": "cyan",
    "xpassed": "cyan",
}
HEALTH_STYLE = {"healthy": "green", "starting": "yellow", "unhealthy": "bold red", "none": "dim"}


def status_style(status: SuiteStatus) -> str:
    return STATUS_STYLE[status]


def bar(fraction: float | None, width: int, failed: bool = False) -> Text:
    """A text progress bar; `None` draws an empty track (the total is not known yet)."""
    width = max(width, 1)
    style = "red" if failed else "green"
    if fraction is None:
        return Text("╌" * width, style="grey37")
    fraction = min(max(fraction, 0.0), 1.0)
    halves = round(fraction * width * 2)
    full, half = divmod(halves, 2)
    text = Text("━" * full, style=style)
    if half:
        text.append("╸", style=style)
    text.append("─" * (width - full - half), style="grey35")
    return text


def fraction(done: int, total: int | None) -> float | None:
    if total is None:
        return None
    return done / total if total else 1.0


def counts_text(counts: dict[str, int], always: tuple[str, ...] = ("passed", "failed")) -> Text:
    text = Text()
    for key, label, style in OUTCOME_LABELS:
        value = counts.get(key, 0)
        if value or key in always:
            if text:
                text.append("  ")
            text.append(f"{value}", style=style if value else "dim")
            text.append(f" {label}", style="dim")
    return text


def duration_text(seconds: float) -> str:
    if seconds < 1:
        return f"{seconds * 1000:.0f}ms"
    if seconds < 60:
        return f"{seconds:.1f}s"
    minutes, secs = divmod(int(seconds), 60)
    return f"{minutes}m{secs:02d}s"


def worker_plan(suite: SuiteConfig) -> str:
    workers = suite.workers
    if workers == WORKERS_FROM_ENV:
        return f"plan: workers from {WORKERS_FROM_ENV} (auto or a count, when it runs)"
    if suite.kind == "playwright":
        count = plural(workers, "worker") if isinstance(workers, int) else "auto"
        return f"plan: Playwright, {count} (lanes pw0...)"
    if workers == 0:
        return "plan: one process, no xdist (lane main)"
    dist = f", dist {suite.dist}" if suite.dist else ""
    count = (
        plural(workers, "xdist worker")
        if isinstance(workers, int)
        else "as many xdist workers as CPUs"
    )
    return f"plan: {count}{dist} (lanes gw0...)"


def short_nodeid(nodeid: str) -> str:
    """`tests/api/test_x.py::test_y` -> `test_x.py::test_y`: the part that tells tests apart."""
    path, sep, rest = nodeid.partition("::")
    return path.rsplit("/", 1)[-1] + sep + rest


def lane_order(worker: WorkerState) -> tuple[int, str]:
    """gw2 before gw10: sort lanes by their number, then by name."""
    digits = "".join(ch for ch in worker.id if ch.isdigit())
    return (int(digits) if digits else -1, worker.id)


def lanes(suite: SuiteState) -> list[WorkerState]:
    """The suite's lanes, in order, without those that got no test (a `0/0` says nothing)."""
    return sorted((w for w in suite.workers.values() if not idle_lane(suite, w)), key=lane_order)


def idle_lane(suite: SuiteState, worker: WorkerState) -> bool:
    """A lane that ran nothing and will run nothing: its queue is known empty, or the run ended."""
    if worker.done or worker.current or worker.crashed or worker.replaced_by or worker.replaces:
        return False
    return worker.total == 0 or suite.status.finished


def worker_total(suite: SuiteState, worker: WorkerState) -> int | None:
    """The worker's expected total: its scheduler queue, or the whole suite for a single lane."""
    if worker.total is not None:
        return worker.total
    if suite.status.finished:
        return worker.done
    if len(suite.workers) == 1 and suite.total is not None:
        return suite.total
    return None


def elapsed_text(seconds: float) -> str:
    """A running test's time on its lane: whole seconds (the lane repaints once a second)."""
    if seconds < 60:
        return f"{int(seconds)}s"
    minutes, secs = divmod(int(seconds), 60)
    return f"{minutes}m{secs:02d}s"


def worker_row(
    suite: SuiteState,
    worker: WorkerState,
    width: int,
    now: float | None = None,
    slow: float = 0.0,
) -> Text:
    """A lane: its id, bar and counts, then what it runs (or crashed in), and for how long
    (at `now`; SLOW past `slow` seconds). Worker ids and test ids come from the test
    processes: shown with their control characters spelled out."""
    total = worker_total(suite, worker)
    label = Text(f"  {visible(worker.id):<5}", style="bold red" if worker.crashed else "bold")
    bar_width = max(6, min(20, width // 7))
    row = label + Text(" ") + bar(fraction(worker.done, total), bar_width, failed=worker.failed > 0)
    row.append(f" {worker.done:>4}/{total if total is not None else '?':<4}")
    row.append(f" ✓{worker.passed}", style="green")
    row.append(f" ✗{worker.failed}", style="red" if worker.failed else "dim")
    if worker.crashed:
        row.append("  TIMED OUT" if worker.timed_out else "  CRASHED", style="bold white on red")
        if worker.replaced_by:
            row.append(f" -> {visible(worker.replaced_by)}", style="yellow")
        if worker.crashed_test:
            row.append(f" in {visible(short_nodeid(worker.crashed_test))}", style="red")
    elif worker.replaces:
        row.append(f"  replaces {visible(worker.replaces)}", style="yellow")
    if worker.restarts:
        row.append(f"  restarted x{worker.restarts}", style="yellow")
    if worker.current and not worker.crashed:
        seconds = running_for(worker, now) if now is not None else None
        if seconds is not None:  # before the name: a long name must not cut the time off
            row.append(f"  {elapsed_text(seconds):>5}", style="bold")
            if is_slow(seconds, slow):
                row.append(" SLOW", style="bold black on yellow")
        row.append("  ")
        row.append(visible(short_nodeid(worker.current)), style="italic")
    row.truncate(width, overflow="ellipsis")
    return row


SPARKS = "▁▂▃▄▅▆▇█"
TREND_FLAT = 0.05
"""Within 5 % of the median, the last duration counts as unchanged (no arrow colour)."""


def sparkline(values: list[float]) -> str:
    """One cell per value, scaled between the smallest and the largest (flat: mid-height)."""
    if not values:
        return ""
    low, high = min(values), max(values)
    if high - low <= 1e-9:
        return SPARKS[3] * len(values)
    top = len(SPARKS) - 1
    return "".join(SPARKS[round((v - low) / (high - low) * top)] for v in values)


def median(values: list[float]) -> float:
    ordered = sorted(values)
    mid = len(ordered) // 2
    return ordered[mid] if len(ordered) % 2 else (ordered[mid - 1] + ordered[mid]) / 2


def trend_text(durations: list[float]) -> Text:
    """A suite's recent wall times: `▂▃▂▅▇ 12.3s ▲ +12%` (the last run against the median of
    those shown; slower is yellow, faster green). Empty without history."""
    if not durations:
        return Text()
    last = durations[-1]
    text = Text(sparkline(durations), style="cyan")
    text.append(f" {duration_text(last)}", style="dim")
    if len(durations) < 2:
        return text
    middle = median(durations)
    change = (last - middle) / middle if middle > 0 else 0.0
    if abs(change) < TREND_FLAT:
        text.append(f" = {change:+.0%}", style="dim")
    elif change > 0:
        text.append(f" ▲ {change:+.0%}", style="yellow")
    else:
        text.append(f" ▼ {change:+.0%}", style="green")
    return text


ELLIPSIS = "…"
PATH_LEAST = 7
"""The fewest cells worth showing of a cut path: three at each end around the ellipsis."""


def split_nodeid(nodeid: str) -> tuple[str, str]:
    """`tests/a/test_x.py::TestY::test_z[p]` -> (`tests/a/test_x.py::TestY`, `test_z[p]`).

    The second part, the test's own name and parameters, is what tells two rows apart, so it is
    the last thing a narrow column gives up. Parameters may hold anything (`::`, `/`, `[`), so
    the name starts after the last `::` that comes before the parameters' `[` (a name cannot
    hold `[`). Without `::` the whole id is a path (a collection error's file): ("path", "").
    """
    first = nodeid.find("::")
    if first < 0:
        return nodeid, ""
    bracket = nodeid.find("[", first)
    cut = nodeid.rfind("::", first, bracket if bracket >= 0 else len(nodeid))
    return nodeid[:cut], nodeid[cut + 2 :]


def _cells_from_start(text: str, width: int) -> str:
    """The longest start of `text` that fits in `width` cells (wide characters count two)."""
    used = 0
    for index, char in enumerate(text):
        used += get_character_cell_size(char)
        if used > width:
            return text[:index]
    return text


def _cells_from_end(text: str, width: int) -> str:
    """The longest end of `text` that fits in `width` cells."""
    return _cells_from_start(text[::-1], width)[::-1]


def middle_cut(text: str, width: int, end: int | None = None, always: bool = False) -> str:
    """`text` in at most `width` cells, its middle replaced by `…` when it does not fit (or
    `always`: it lost something before, and the ellipsis says so).

    Both ends stay: ids differ at their start (the file) and at their end (`.py`, the
    parameters). `end` is how many cells the end keeps (default: half, the odd cell to the end).

    Args:
        text: The text to fit.
        width: The cells available.
        end: Cells the end keeps (None: half, the odd cell to the end).
        always: Show the ellipsis even when the text fits.
    """
    if cell_len(text) <= width and not (always and text):
        return text
    if width <= 1:
        return ELLIPSIS[:width]
    room = width - 1
    tail = min(room, max(end if end is not None else (room + 1) // 2, 0))
    return _cells_from_start(text, room - tail) + ELLIPSIS + _cells_from_end(text, tail)


def shorten_path(path: str, width: int) -> str:
    """A node id's path in `width` cells: directories go first, from the middle
    (`tests/…/isolation/test_x.py`, then `tests/…/test_x.py`, `…/test_x.py`), then the middle
    of the file name, since the file name says more than where it lives. Below
    `PATH_LEAST` cells what is left of a path says nothing (`t…py`): it becomes `…`."""
    if cell_len(path) <= width:
        return path
    if width < PATH_LEAST:
        return ELLIPSIS[:width]
    *dirs, name = path.split("/")
    for keep in range(len(dirs) - 1, -1, -1):
        first = dirs[: min(keep, 1)]
        last = dirs[len(dirs) - (keep - len(first)) :] if keep > len(first) else []
        candidate = "/".join([*first, ELLIPSIS, *last, name])
        if cell_len(candidate) <= width:
            return candidate
    if cell_len(name) < width:
        return ELLIPSIS + name
    return middle_cut(name, width, always=True)


def shorten_test_name(name: str, width: int) -> str:
    """A test's own `function[params]` in `width` cells, when even that does not fit: the
    function stays whole and the parameters lose their middle (`test_leak[gw…db]`), so their
    end stays visible; a function too long for that gives way to the parameters, which are
    what tells the cases of one test apart (`tes…[gw1-db]`, `…gw1-db]`)."""
    if cell_len(name) <= width:
        return name
    function, bracket, params = name.partition("[")
    if bracket and function and params.endswith("]"):
        room = width - cell_len(function) - 2
        if room >= 2:
            return f"{function}[{middle_cut(params[:-1], room)}]"
        return middle_cut(name, width, end=cell_len(params) + 1)
    return middle_cut(name, width)


def fit_nodeid(nodeid: str, width: int) -> str:
    """`nodeid` in at most `width` cells, cut where it says least (middle ellipsis).

    The path goes first (`shorten_path`), then the `::` before the name; the test's own name
    and parameters go last, and lose their middle only when nothing else is left
    (`shorten_test_name`). Two parametrized failures in one file thus never read the same.
    A `nodeid` that fits is returned as it is.
    """
    if cell_len(nodeid) <= width:
        return nodeid
    if width <= 0:
        return ""
    path, name = split_nodeid(nodeid)
    if not name:
        return shorten_path(path, width)
    room = width - cell_len(name) - 2  # the path and `::`
    if room >= 1:
        return shorten_path(path, room) + "::" + name
    if width > cell_len(name):
        return ELLIPSIS + name  # the path is gone: the ellipsis says so
    return shorten_test_name(name, width)
