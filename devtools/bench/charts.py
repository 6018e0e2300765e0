"""The report's charts: one PNG per benchmark family, a panel per figure: ours beside its same-run
baseline, with the level §9 asks for as a dashed line (for a ratio target, the threshold times the
baseline, so every panel reads in the figure's own unit). Drawn with matplotlib's Agg canvas (no display,
no pyplot state)."""

from collections import defaultdict
from pathlib import Path

from devtools.bench.suite import FAMILIES
from devtools.bench.targets import Verdict

COLOURS = {"met": "#2e7d32", "missed": "#c62828"}
BASELINE_COLOUR = "#9e9e9e"
COLUMNS = 3


def draw_charts(verdicts: list[Verdict], results: Path) -> dict[str, Path]:
    """family → its PNG in `results`, for each family with at least one figure measured."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    families: dict[str, list[Verdict]] = defaultdict(list)
    for verdict in verdicts:
        if verdict.value is not None:
            families[FAMILIES.get(verdict.target.bench, verdict.target.bench)].append(verdict)
    charts = {}
    for family, measured in families.items():
        rows = -(-len(measured) // COLUMNS)
        columns = min(COLUMNS, len(measured))
        figure = Figure(figsize=(4.2 * columns, 3.4 * rows), layout="constrained")
        FigureCanvasAgg(figure)
        figure.suptitle(f"{family}: ours, same-run baseline, target")
        for i, verdict in enumerate(measured):
            _panel(figure.add_subplot(rows, columns, i + 1), verdict)
        path = results / f"{family}.png"
        figure.savefig(path, dpi=100)
        charts[family] = path
    return charts


def _panel(axes, verdict: Verdict) -> None:
    target = verdict.target
    labels, heights, colours = ["ours"], [verdict.value], [COLOURS.get(verdict.status, BASELINE_COLOUR)]
    if verdict.baseline is not None:
        labels.append("baseline")
        heights.append(verdict.baseline)
        colours.append(BASELINE_COLOUR)
    axes.bar(labels, heights, color=colours, width=0.6)
    level = target.threshold * verdict.baseline if target.on == "ratio" and verdict.baseline else None
    if target.on == "value":
        level = target.threshold
    if level is not None:
        axes.axhline(level, color="black", linestyle="--", linewidth=1, label=f"target {target.target_text()}")
        axes.legend(loc="best", fontsize=7)
    axes.set_title(f"{target.figure}\n{verdict.verdict_text()}", fontsize=8)
    axes.set_ylabel(target.unit, fontsize=8)
    axes.tick_params(labelsize=7)
    if target.baseline_label and verdict.baseline is not None:
        axes.set_xlabel(f"baseline: {target.baseline_label}", fontsize=7)
