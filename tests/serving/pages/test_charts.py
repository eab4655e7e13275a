"""SVG charts: scales, round ranges, escaping, gaps, and waterfalls that add up."""

from __future__ import annotations

import re

import pytest

from serving.pages.charts import (
    Scale,
    bar_chart,
    compact,
    line_chart,
    nice_range,
    nice_step,
    waterfall_chart,
)


@pytest.mark.parametrize(
    ("values", "include_zero", "expected"),
    [
        ([3.0, 47.0], True, (0.0, 50.0)),
        ([31.0, 78.5], False, (30.0, 80.0)),
        ([0.012, 0.645], True, (0.0, 0.8)),
        ([5.0, 5.0], False, (4.0, 6.0)),
        ([0.0, 0.0], True, (0.0, 1.0)),
        ([-3.0, 2.0], True, (-3.0, 2.0)),
        ([-3.0, 8.0], True, (-5.0, 10.0)),
    ],
)
def test_nice_range_has_round_ends(
    values: list[float], include_zero: bool, expected: tuple[float, float]
) -> None:
    assert nice_range(values, include_zero) == pytest.approx(expected)


def test_nice_step_gives_at_most_five_intervals() -> None:
    assert nice_step(0.0, 50.0) == 10.0
    assert nice_step(0.0, 1.0) == pytest.approx(0.2)
    assert nice_step(0.0, 15_000_000.0) == 5_000_000.0


def test_scale_maps_ends_and_middle() -> None:
    y = Scale(0.0, 50.0, 184.0, 28.0)
    assert (y(0.0), y(25.0), y(50.0)) == (184.0, 106.0, 28.0)
    assert Scale(3.0, 3.0, 0.0, 10.0)(3.0) == 5.0


def test_compact_numbers() -> None:
    assert [compact(v) for v in (11_378_471, 2_500_000_000, 25_000, 2_500, 42.0)] == [
        "11.4M",
        "2.5G",
        "25k",
        "2,500",
        "42",
    ]


def test_labels_and_titles_are_escaped() -> None:
    svg = str(bar_chart([("<b>&", 3.0)], title='x" onload="alert(1)'))
    assert "<b>" not in svg and "&lt;b&gt;&amp;" in svg
    assert 'aria-label="x&#34; onload=&#34;alert(1)"' in svg
    assert 'onload="alert' not in svg


def test_line_chart_leaves_a_gap_for_missing_values() -> None:
    svg = str(line_chart(["a", "b", "c", "d"], [1.0, 2.0, None, 4.0], title="t"))
    path = re.search(r'<path d="([^"]+)"', svg)
    assert path is not None
    assert [p[0] for p in path.group(1).split()] == ["M", "L", "M"]
    assert svg.count("<circle") == 3


def test_line_chart_draws_intervals() -> None:
    svg = str(line_chart(["now", "30d"], [40.0, 50.0], title="t", band=[None, (30.0, 90.0)]))
    assert svg.count('class="band"') == 1
    # the axis runs 20..100 (round ends) over pixels 184..28
    assert 'y1="164.5" y2="47.5" class="band"' in svg


def test_charts_without_data_say_so() -> None:
    assert ">no data</text>" in str(line_chart(["a"], [None], title="t"))
    assert ">no data</text>" in str(bar_chart([], title="t"))


def test_waterfall_runs_from_base_to_predicted() -> None:
    svg = str(waterfall_chart(0.2, [("late share", 0.15), ("tenure", -0.05)], title="w", fmt=str))
    titles = re.findall(r"<rect[^>]*><title>([^<]+)</title>", svg)
    assert titles == ["Base rate: 0.2", "late share: +0.15", "tenure: -0.05", "Predicted: 0.3"]
    widths = [float(w) for w in re.findall(r'<rect x="[^"]+" y="[^"]+" width="([^"]+)"', svg)]
    assert widths[0] + widths[1] + widths[2] * -1 == pytest.approx(widths[3], abs=0.05)
    assert svg.count('fill="#c0392b"') == 1 and svg.count('fill="#1e8449"') == 1
