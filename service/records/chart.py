"""The chart of a count for the PDF record, drawn with reportlab graphics: each option's votes
count by count (a line per option) when there are several counts, otherwise one bar per
option (budget rounds: its support, funded projects in red)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Final

from reportlab.graphics.charts.barcharts import HorizontalBarChart
from reportlab.graphics.charts.legends import Legend
from reportlab.graphics.charts.lineplots import LinePlot
from reportlab.graphics.shapes import Drawing, String
from reportlab.graphics.widgets.markers import makeMarker
from reportlab.lib import colors

from engine.result import Result

WIDTH: Final[float] = 460
PALETTE: Final = (
    colors.HexColor("#c0392b"),
    colors.HexColor("#2471a3"),
    colors.HexColor("#229954"),
    colors.HexColor("#d68910"),
    colors.HexColor("#7d3c98"),
    colors.HexColor("#17a589"),
    colors.HexColor("#566573"),
    colors.HexColor("#a04000"),
)
RED: Final = colors.HexColor("#c0392b")
GREY: Final = colors.HexColor("#aab7b8")


def count_chart(result: Result, font: str, title: str) -> Drawing | None:
    """The chart that fits the result, or ``None`` when the method reports no figures."""
    if result.decisions:
        chosen = {d.candidate for d in result.decisions if d.funded}
        values = [(d.candidate, d.support) for d in result.decisions]
        return _bars(values, chosen, font, title)
    if len(result.rounds) >= 2:
        return _lines(result, font, title)
    if len(result.rounds) == 1:
        only = result.rounds[0]
        return _bars(list(only.tallies.items()), set(result.winners), font, title)
    if result.scores:
        return _bars(list(result.scores.items()), set(result.winners), font, title)
    return None


def _title(drawing: Drawing, font: str, title: str, height: float) -> None:
    drawing.add(String(0, height - 12, title, fontName=font, fontSize=10))


def _lines(result: Result, font: str, title: str) -> Drawing:
    names = [c for c in result.candidates if any(c in r.tallies for r in result.rounds)]
    height = 220.0
    drawing = Drawing(WIDTH, height)
    _title(drawing, font, title, height)
    plot = LinePlot()
    plot.x, plot.y = 36, 30
    plot.width, plot.height = 290, height - 60
    plot.data = [
        [(float(r.number), float(r.tallies[name])) for r in result.rounds if name in r.tallies]
        for name in names
    ]
    last = result.rounds[-1].number
    plot.xValueAxis.valueMin, plot.xValueAxis.valueMax = 1, max(2, last)
    plot.xValueAxis.valueSteps = list(range(1, last + 1))
    plot.xValueAxis.labelTextFormat = "%d"
    plot.yValueAxis.valueMin = 0
    for axis in (plot.xValueAxis, plot.yValueAxis):
        axis.labels.fontName = font
        axis.labels.fontSize = 8
    for i in range(len(names)):
        colour = PALETTE[i % len(PALETTE)]
        plot.lines[i].strokeColor = colour
        plot.lines[i].strokeWidth = 1.5
        plot.lines[i].symbol = makeMarker("FilledCircle", size=4, fillColor=colour)
    drawing.add(plot)
    _legend(drawing, names, font, x=340, top=height - 30)
    return drawing


def _legend(drawing: Drawing, names: Sequence[str], font: str, *, x: float, top: float) -> None:
    legend = Legend()
    legend.x, legend.y = x, top
    legend.fontName = font
    legend.fontSize = 8
    legend.alignment = "right"
    legend.boxAnchor = "nw"
    legend.columnMaximum = 12
    legend.colorNamePairs = [(PALETTE[i % len(PALETTE)], name) for i, name in enumerate(names)]
    drawing.add(legend)


def _bars(values: list[tuple[str, float]], chosen: set[str], font: str, title: str) -> Drawing:
    rows = max(1, len(values))
    height = 40.0 + 18 * rows
    drawing = Drawing(WIDTH, height)
    _title(drawing, font, title, height)
    chart = HorizontalBarChart()
    chart.x, chart.y = 150, 18
    chart.width, chart.height = 280, height - 40
    shown = list(reversed(values))  # the first option on top
    chart.data = [[float(v) for _, v in shown] or [0.0]]
    chart.categoryAxis.categoryNames = [name for name, _ in shown] or [""]
    chart.categoryAxis.labels.fontName = font
    chart.categoryAxis.labels.fontSize = 8
    chart.categoryAxis.labels.boxAnchor = "e"
    chart.valueAxis.valueMin = 0
    chart.valueAxis.labels.fontName = font
    chart.valueAxis.labels.fontSize = 8
    chart.bars.strokeColor = None
    for i, (name, _) in enumerate(shown):
        chart.bars[(0, i)].fillColor = RED if name in chosen else GREY
    drawing.add(chart)
    return drawing
