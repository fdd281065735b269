"""The statistics page's pure parts: the filter read from the form and the bar charts' geometry."""

from datetime import date

import pytest

from healthcode.domain.errors import InvalidInputs
from healthcode.statistics.charts import BOTTOM, HEIGHT, Series, bar_chart, nice_ceiling, short_number
from healthcode.statistics.filters import Filter, parse_filter

TODAY = date(2026, 3, 31)


def test_an_empty_form_asks_for_the_last_30_days_everywhere() -> None:
    wanted = parse_filter(TODAY, "", "", "")
    assert (wanted.start, wanted.end, wanted.region) == (date(2026, 3, 2), TODAY, "")
    assert len(wanted.days) == 30


@pytest.mark.parametrize(("code", "prefix"), [("150000", "15"), ("150100", "1501"), ("150102", "150102")])
def test_a_region_covers_the_regions_inside_it(code: str, prefix: str) -> None:
    assert Filter(TODAY, TODAY, code).region_prefix == prefix


def test_every_problem_of_the_filter_is_reported_beside_its_field() -> None:
    with pytest.raises(InvalidInputs) as raised:
        parse_filter(TODAY, "31/03/2026", "yesterday", "Hohhot")
    assert [(p.field, p.code) for p in raised.value.problems] == [
        ("from", "date_invalid"),
        ("to", "date_invalid"),
        ("region", "region_invalid"),
    ]


@pytest.mark.parametrize(("value", "ceiling"), [(0, 1), (1, 1), (3, 5), (7, 10), (11, 20), (120, 200), (999, 1000)])
def test_the_value_axis_ends_on_a_round_number(value: int, ceiling: int) -> None:
    assert nice_ceiling(value) == ceiling


def test_stacked_bars_sit_on_one_another_and_fill_the_axis() -> None:
    series = [Series("green", "Green", "s-green"), Series("red", "Red", "s-red")]
    chart = bar_chart(["03-01", "03-02"], series, {"green": [6, 10], "red": [4, 0]}, stacked=True)
    assert [bar.css for bar in chart.bars] == ["s-green", "s-red", "s-green"]
    green, red, full = chart.bars
    assert red.y + red.height == pytest.approx(green.y)  # red on top of green
    assert full.y == pytest.approx(chart.y_ticks[-1].at)  # 10 of 10 reaches the top tick
    assert chart.y_ticks[-1].label == "10"
    assert green.y + green.height == pytest.approx(chart.base) == HEIGHT - BOTTOM


def test_grouped_bars_stand_side_by_side_and_nothing_draws_no_bar() -> None:
    series = [Series("scans", "Scans", "s-one"), Series("fevers", "Fevers", "s-red")]
    chart = bar_chart(["00", "01"], series, {"scans": [8, 0], "fevers": [1, 0]}, stacked=False)
    scans, fevers = chart.bars
    assert fevers.x == pytest.approx(scans.x + scans.width)
    assert bar_chart(["00"], series, {"scans": [0], "fevers": [0]}, stacked=False).empty


@pytest.mark.parametrize(("value", "label"), [(950, "950"), (2500, "2,500"), (37500, "37.5k"), (1_200_000, "1.2M")])
def test_axis_labels_stay_short(value: int, label: str) -> None:
    assert short_number(value) == label
