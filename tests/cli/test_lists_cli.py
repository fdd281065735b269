"""``healthcode lists``: an authority list imported from the command line (SPEC §5, §10)."""

import asyncio
import csv
import io
import json
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select, text
from stdnum.cn import ric
from typer.testing import CliRunner

from healthcode.cli.main import app
from healthcode.config import Settings
from healthcode.db.engine import make_engine, make_sessionmaker
from healthcode.db.models import Card, CardHolder
from healthcode.declarations.service import answers_from, make_declaration_service
from healthcode.domain.clock import SystemClock
from tests.factories import card_application, resident

runner = CliRunner()
ADULT = "15010219900307123" + ric.calc_check_digit("15010219900307123" + "0")
HEADER = ["document_type", "document_number", "list", "since", "until"]


@pytest.fixture
def env(env: Settings, monkeypatch: pytest.MonkeyPatch) -> Settings:
    """The shared environment, with real-name checks decided at once."""
    monkeypatch.setenv("HEALTHCODE_REALNAME_DELAY_S", "0")
    return Settings()


def csv_file(path: Path, rows: list[list[str]]) -> Path:
    out = io.StringIO()
    csv.writer(out).writerows(rows)
    path.write_text(out.getvalue(), encoding="utf-8")
    return path


def approved_card(settings: Settings, number: str = ADULT) -> int:
    """An approved resident-ID card (the built-in real-name provider decides at once)."""

    async def main() -> int:
        engine = make_engine(settings.database_url)
        async with make_sessionmaker(engine)() as db:
            clock = SystemClock()
            owner = await resident(db, clock)
            view = await card_application(
                db, settings, clock, owner.id, name="张三", document_type="resident_id", number=number
            )
            assert view.status == "approved"
            card_id = view.card.id
        await engine.dispose()
        return card_id

    return asyncio.run(main())


def card_colour(settings: Settings, card_id: int) -> str:
    async def main() -> str:
        engine = make_engine(settings.database_url)
        async with make_sessionmaker(engine)() as db:
            colour = await db.scalar(select(Card.colour).where(Card.id == card_id))
        await engine.dispose()
        return str(colour)

    return asyncio.run(main())


def count(settings: Settings, table: str) -> int:
    async def main() -> int:
        engine = make_engine(settings.database_url)
        async with engine.connect() as connection:
            rows = await connection.scalar(select(func.count()).select_from(text(table)))
        await engine.dispose()
        return int(rows or 0)

    return asyncio.run(main())


def audit_actions(settings: Settings) -> list[str]:
    tail = runner.invoke(app, ["audit", "tail", "--json", "--limit", "50"])
    assert tail.exit_code == 0, tail.output
    return [json.loads(line)["action"] for line in tail.stdout.splitlines()][::-1]


def test_a_case_list_with_a_bad_row_imports_the_good_one_and_reports_the_bad(env: Settings, tmp_path: Path) -> None:
    card_id = approved_card(env)
    assert card_colour(env, card_id) == "green"
    listed = csv_file(
        tmp_path / "cases.csv",
        [
            HEADER,
            ["resident_id", ADULT, "close_contact", "2020-02-05", ""],
            ["resident_id", "150102199003071234", "confirmed", "2020-02-05", ""],
        ],
    )

    result = runner.invoke(app, ["lists", "import", "--kind", "cases", str(listed)])

    assert result.exit_code == 0, result.output
    assert "2 rows, 1 accepted, 1 rejected, 1 cards changed colour" in result.stdout
    report = tmp_path / "cases.csv.rejected.csv"
    assert f"rejected rows written to {report}" in result.stdout
    rows = list(csv.reader(io.StringIO(report.read_text(encoding="utf-8-sig"))))
    assert rows[0][:4] == ["line", "column", "code", "message"]
    assert [(r[0], r[1]) for r in rows[1:]] == [("3", "document_number")]
    assert card_colour(env, card_id) == "red"
    assert count(env, "list_entries") == 1
    assert audit_actions(env)[-3:] == ["lists.upload", "lists.import", "lists.report_read"]
    assert runner.invoke(app, ["audit", "verify"]).exit_code == 0

    status = runner.invoke(app, ["lists", "status"])
    assert status.exit_code == 0, status.output
    assert "cases.csv" in status.stdout
    assert "done" in status.stdout


def test_a_clean_file_writes_no_report(env: Settings, tmp_path: Path) -> None:
    areas = csv_file(
        tmp_path / "areas.csv",
        [["region_code", "level", "effective_from"], ["420100", "high", "2020-01-23"]],
    )

    result = runner.invoke(app, ["lists", "import", "--kind", "areas", str(areas)])

    assert result.exit_code == 0, result.output
    assert "1 rows, 1 accepted, 0 rejected, 0 cards changed colour" in result.stdout
    assert not (tmp_path / "areas.csv.rejected.csv").exists()
    assert count(env, "risk_areas") == 1


def test_a_risk_area_list_recolours_who_declared_travel_there(env: Settings, tmp_path: Path) -> None:
    card_id = approved_card(env)

    async def declare_travel() -> None:
        engine = make_engine(env.database_url)
        async with make_sessionmaker(engine)() as db:
            clock = SystemClock()
            card = await db.get_one(Card, card_id)
            holder = await db.scalar(select(CardHolder.resident_id).where(CardHolder.card_id == card_id))
            assert holder is not None
            answers = {"temperature": 36.5, "address_region": "150105", "address_detail": "大学东街1号", "pledge": True}
            service = make_declaration_service(db, env, clock)
            await service.declare(holder, card.public_id, answers_from({**answers, "travel_regions": ["420102"]}))
        await engine.dispose()

    asyncio.run(declare_travel())
    assert card_colour(env, card_id) == "green"
    today = SystemClock().now().date().isoformat()
    areas = csv_file(tmp_path / "areas.csv", [["region_code", "level", "effective_from"], ["420100", "high", today]])

    result = runner.invoke(app, ["lists", "import", "--kind", "areas", str(areas)])

    assert result.exit_code == 0, result.output
    assert "1 cards changed colour" in result.stdout
    assert card_colour(env, card_id) != "green"


def test_a_low_row_lifts_the_regions_open_risk_area(env: Settings, tmp_path: Path) -> None:
    header = ["region_code", "level", "effective_from"]
    first = csv_file(
        tmp_path / "areas.csv", [header, ["420100", "high", "2020-01-23"], ["110101", "medium", "2020-01-23"]]
    )
    assert runner.invoke(app, ["lists", "import", "--kind", "areas", str(first)]).exit_code == 0
    lifted = csv_file(tmp_path / "lifted.csv", [header, ["420100", "low", "2020-04-08"]])

    result = runner.invoke(app, ["lists", "import", "--kind", "areas", str(lifted)])

    assert result.exit_code == 0, result.output
    assert count(env, "risk_areas") == 2, "a low row ends an area; it is not stored as one"

    async def open_regions() -> list[tuple[str, object]]:
        engine = make_engine(env.database_url)
        async with engine.connect() as connection:
            rows = await connection.execute(
                text("SELECT region_code, effective_to FROM risk_areas ORDER BY region_code")
            )
            found = [(str(row[0]), row[1]) for row in rows]
        await engine.dispose()
        return found

    regions = asyncio.run(open_regions())
    assert regions[0] == ("110101", None), "another region stays open"
    assert regions[1][0] == "420100"
    assert str(regions[1][1]).startswith("2020-04-08")


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("list.xls", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(512), "is an old Excel workbook (.xls)"),
        ("empty.csv", b"", "is empty"),
    ],
)
def test_a_file_that_is_not_a_list_stores_nothing(
    env: Settings, tmp_path: Path, name: str, content: bytes, message: str
) -> None:
    unreadable = tmp_path / name
    unreadable.write_bytes(content)

    result = runner.invoke(app, ["lists", "import", "--kind", "cases", str(unreadable)])

    assert result.exit_code == 1
    assert message in result.stderr
    assert count(env, "list_imports") == 0
    assert count(env, "list_entries") == 0


def test_a_missing_file_is_refused(env: Settings, tmp_path: Path) -> None:
    result = runner.invoke(app, ["lists", "import", "--kind", "cases", str(tmp_path / "nowhere.csv")])
    assert result.exit_code == 1
    assert "cannot read" in result.stderr
    assert count(env, "list_imports") == 0


def test_a_file_without_a_required_column_fails_as_a_whole(env: Settings, tmp_path: Path) -> None:
    card_id = approved_card(env)
    listed = csv_file(tmp_path / "cases.csv", [["document_number", "list"], [ADULT, "confirmed"]])

    result = runner.invoke(app, ["lists", "import", "--kind", "cases", str(listed)])

    assert result.exit_code == 1
    assert "refused" in result.stderr
    assert "has no column since (起始日期)" in result.stderr
    assert count(env, "list_entries") == 0
    assert card_colour(env, card_id) == "green"
    assert not (tmp_path / "cases.csv.rejected.csv").exists()
    status = runner.invoke(app, ["lists", "status"])
    assert "cases.csv by cli: failed: “cases.csv” has no column since (起始日期)" in status.stdout


def test_an_unknown_kind_is_a_usage_error(env: Settings, tmp_path: Path) -> None:
    listed = csv_file(tmp_path / "cases.csv", [HEADER])
    result = runner.invoke(app, ["lists", "import", "--kind", "people", str(listed)])
    assert result.exit_code == 2
    assert "--kind must be one of: cases, areas" in result.stderr


TEST_HEADER = ["证件类型", "证件号码", "姓名", "采样日期", "检测结果", "检测机构"]


def test_a_positive_test_result_turns_the_card_red_and_stores_nothing_in_clear(env: Settings, tmp_path: Path) -> None:
    card_id = approved_card(env)
    today = SystemClock().now().date().isoformat()
    results = csv_file(tmp_path / "tests.csv", [TEST_HEADER, ["身份证", ADULT, "张三", today, "阳性", "第一检测中心"]])

    result = runner.invoke(app, ["lists", "import", "--kind", "tests", str(results)])

    assert result.exit_code == 0, result.output
    assert "1 rows, 1 accepted, 0 rejected, 1 cards changed colour" in result.stdout
    assert card_colour(env, card_id) == "red"

    async def stored() -> list[str]:
        engine = make_engine(env.database_url)
        async with engine.connect() as connection:
            rows = (await connection.execute(text("SELECT * FROM test_results"))).all()
        await engine.dispose()
        return [str(value) for row in rows for value in row]

    values = asyncio.run(stored())
    assert len(values) == 5
    assert not any(ADULT in value or "张三" in value or "检测中心" in value for value in values)


def test_a_negative_test_result_leaves_the_card_green(env: Settings, tmp_path: Path) -> None:
    card_id = approved_card(env)
    today = SystemClock().now().date().isoformat()
    results = csv_file(tmp_path / "tests.csv", [TEST_HEADER, ["", ADULT, "", today, "阴性", ""]])

    result = runner.invoke(app, ["lists", "import", "--kind", "tests", str(results)])

    assert result.exit_code == 0, result.output
    assert "1 rows, 1 accepted, 0 rejected, 0 cards changed colour" in result.stdout
    assert card_colour(env, card_id) == "green"
    assert count(env, "test_results") == 1


def test_a_later_negative_result_does_not_clear_a_positive_one(env: Settings, tmp_path: Path) -> None:
    card_id = approved_card(env)
    today = SystemClock().now().date()
    earlier = (today - timedelta(days=2)).isoformat()
    header = ["document_number", "taken_on", "result"]
    positive = csv_file(tmp_path / "positive.csv", [header, [ADULT, earlier, "positive"]])
    negative = csv_file(tmp_path / "negative.csv", [header, [ADULT, today.isoformat(), "negative"]])
    assert runner.invoke(app, ["lists", "import", "--kind", "tests", str(positive)]).exit_code == 0
    assert card_colour(env, card_id) == "red"

    result = runner.invoke(app, ["lists", "import", "--kind", "tests", str(negative)])

    assert result.exit_code == 0, result.output
    assert card_colour(env, card_id) == "red"
