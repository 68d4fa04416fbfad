"""Every listing command, as a person reads it in an 80-column terminal: labels in the
workspace's language (no snake_case codes), no line wider than the terminal, numbers never
broken across lines, counts without decimals; English workspaces read English labels."""

from __future__ import annotations

import csv
import io
import itertools
import json
import re

import pytest
from rich.cells import cell_len
from typer.testing import CliRunner

from custlens.analytics.value.analysis import analyze_value
from custlens.analytics.value.lifecycle import STAGES
from custlens.analytics.value.segments import SEGMENTS, VALUE_GROUPS
from custlens.cli.main import app
from custlens.config import update_settings
from custlens.demo import generate_world
from custlens.i18n import gettext
from custlens.i18n.columns import COLUMN_LABELS
from custlens.io.pipeline import import_file
from custlens.privacy import audit, users
from custlens.store import init_workspace
from custlens.store.results import save_analysis
from tests.i18n_scan import english_labels

runner = CliRunner()

COMMANDS = [
    ["status"],
    ["summary"],
    ["import-log"],
    ["quality"],
    ["doctor"],
    ["basket"],
    ["basket", "--sequential", "60"],
    ["compare", "--metric", "gmv", "--period", "2025-11"],
    ["compare", "--metric", "repurchase_rate", "--period", "2025-Q4", "--against", "yoy"],
    ["kpi"],
    ["rfm"],
    ["segments"],
    ["segments", "--by", "group"],
    ["lifecycle"],
    ["clusters"],
    ["customers", "--limit", "20"],
    *[["sessions", "--view", v] for v in ("summary", "heatmap", "terms")],
    *[["funnel", "--view", v] for v in ("steps", "time", "dropoff", "trend", "category")],
    *[["paths", "--view", v] for v in ("top", "next", "sankey")],
    *[["attribution", "--view", v] for v in ("models", "sources", "journeys")],
    *[["cohorts", "--view", v] for v in ("matrix", "curve", "new-returning", "acquisition")],
    ["audit"],
    ["user", "list"],
    ["patterns", "time"],
    ["patterns", "categories"],
    ["patterns", "repurchase"],
    ["tags", "list"],
    ["tags", "stats"],
    ["churn", "score"],
]
# a snake_case word: a code or a column name leaking into what a person reads
SNAKE = re.compile(r"(?<![\w./\\-])[a-z][a-z0-9]*(?:_[a-z0-9]+)+(?![\w./\\-])")
CJK = re.compile(r"[\u4e00-\u9fff]")
# a count or a share shown with ".00" (money carries its currency sign and may)
COUNT_00 = re.compile(r"(?<![¥$£€\d,.])\d[\d,]*\.00(?![\d%])")


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    """A small demo shop, imported and analysed, with a user (for `user list`, `audit`)."""
    root = tmp_path_factory.mktemp("output-language")
    truth = generate_world(root / "data", n_customers=400, seed=11)
    ws = init_workspace(root / "ws")
    for table, name in truth["files"].items():
        import_file(ws, table, root / "data" / name)
    save_analysis(ws, analyze_value(ws))
    users.add_user(ws.con, "ana", "analyst-pass-1", "analyst", "province=广东")
    audit.record(ws.con, "login", "ana", "role=analyst", "127.0.0.1")
    audit.record(ws.con, "export", "ana", {"table": "customers", "rows": 400, "via": "cli"})
    ws.con.execute("CHECKPOINT")
    ws.close()
    return root / "ws"


def run(ws, args, lang="zh", fmt="table"):
    update_settings(ws, {"locale": {"zh": "zh_CN", "en": "en"}[lang]})
    r = runner.invoke(app, [*args, "--workspace", str(ws), "--format", fmt], env={"COLUMNS": "80"})
    # doctor exits 1 when it finds a problem; its table is what is checked here
    assert r.exit_code == 0 or (args == ["doctor"] and r.exit_code == 1), (args, r.output)
    return r.stdout


def user_input(ws, args) -> set[str]:
    """Words that are the user's own (the column names in a tag rule's expression)."""
    if args[:2] == ["tags", "list"]:
        return {w for r in json.loads(run(ws, args, fmt="json")) for w in SNAKE.findall(r["expr"])}
    return set()


def broken_numbers(lines: list[str]) -> list[str]:
    """Table rows where a number goes on in the next line's continuation of the same cell."""
    out = []
    for above, below in itertools.pairwise(lines):
        if not (above.startswith("│") and below.startswith("│")):
            continue
        a, b = above.split("│"), below.split("│")
        if len(a) != len(b) or b[1].strip():  # not the continuation of a wrapped row
            continue
        for x, y in zip(a, b, strict=True):
            x, y = x.strip(), y.strip()
            if re.search(r"[\d,.]$", x) and re.match(r"^[\d,.%]", y) and x and y:
                out.append(f"{above}\n{below}")
    return out


@pytest.mark.parametrize("args", COMMANDS, ids=" ".join)
def test_tables_read_as_zh_in_80_columns(world, args):
    text = run(world, args)
    lines = text.splitlines()
    assert text.strip(), args
    codes = [w for w in SNAKE.findall(text) if w not in user_input(world, args)]
    assert not codes, codes[:10]
    assert english_labels(text) == []  # every label through the catalogue
    too_wide = [line for line in lines if cell_len(line) > 80]
    assert not too_wide, too_wide[:3]
    assert not broken_numbers(lines), broken_numbers(lines)[:2]
    assert not COUNT_00.findall(text), COUNT_00.findall(text)[:5]


ZH_LABELS = {
    *(gettext(msgid, "zh") for msgid in COLUMN_LABELS.values()),
    *(s.zh for s in (*SEGMENTS, *VALUE_GROUPS, *STAGES)),
} - set(COLUMN_LABELS.values())


@pytest.mark.parametrize(
    "args",
    [["summary"], ["rfm"], ["segments"], ["lifecycle"], ["kpi"], ["funnel"], ["import-log"]],
    ids=" ".join,
)
def test_tables_read_as_en(world, args):
    text = run(world, args, lang="en")
    zh = sorted(label for label in ZH_LABELS if len(label) > 1 and label in text)
    assert not zh, zh
    assert not SNAKE.findall(text), SNAKE.findall(text)[:10]
    assert max(cell_len(line) for line in text.splitlines()) <= 80


def test_en_labels_and_units(world):
    text = run(world, ["funnel"], lang="en")
    assert "Home" in text and "Paid" in text and not CJK.search(text)
    segments = run(world, ["rfm"], lang="en")
    assert any(s.en in segments for s in SEGMENTS)
    kpi = run(world, ["kpi"], lang="en")
    assert " pp" in kpi and "Repurchase rate" in kpi
    zh_kpi = run(world, ["kpi"])
    assert "个百分点" in zh_kpi and "复购率" in zh_kpi


def test_json_and_csv_keep_codes(world):
    rows = json.loads(run(world, ["import-log"], lang="en", fmt="json"))
    assert {"rows_read", "table_name", "status"} <= set(rows[0])
    assert {r["status"] for r in rows} <= {"ok", "partial", "failed"}
    doctor = json.loads(run(world, ["doctor"], fmt="json"))
    assert {r["check"] for r in doctor} <= {"log", "index", "search", "mirror"}
    header = run(world, ["segments"], fmt="csv").splitlines()[0]
    assert header.startswith("segment_code,") and not CJK.search(header)


def test_wide_shows_every_column(world):
    narrow = run(world, ["import-log"])
    wide = run(world, ["import-log", "--wide"])
    assert "SHA-256" in wide and "SHA-256" not in narrow
    assert max(cell_len(line) for line in wide.splitlines()) > 80


def test_every_label_has_a_chinese_text():
    """Headers, code names, titles and units of terminal tables are all in the catalogue."""
    from custlens.cli import behaviour, kpi, patterns
    from custlens.i18n import labels
    from tests.i18n_scan import titles

    msgids = {
        *COLUMN_LABELS.values(),
        *labels.STATUS_LABELS.values(),
        *labels.AUDIT_ACTIONS.values(),
        *labels.STEP_LABELS.values(),
        *labels.SOURCE_LABELS.values(),
        *labels.WEEKDAYS,
        *labels.KIND_LABELS.values(),
        *labels.BASIS_LABELS.values(),
        *behaviour.VIEWS.values(),
        *patterns.SECTION_TITLES.values(),
        *kpi.KPI_TITLES.values(),
        *{t for t in titles("cli") if not t.startswith("{")},
        "{h}h {m}m",
        "{m}m {s}s",
        "{s}s",
        "yes",
        "no",
    }
    # a Chinese text for each (names kept as they are, e.g. "618", "SHA-256", are exempt)
    exempt = {"618", "SHA-256", "ROC AUC", "PR AUC", "CLV", "custlens.toml"}
    missing = sorted(m for m in msgids - exempt if not CJK.search(gettext(m, "zh")))
    assert not missing, missing


BAD_CUSTOMERS = (
    "客户编号,姓名,性别,年龄,联系方式,注册日期,客户等级,标签\n"
    "C001,张三,男,30,13812345678,2024-01-05,VIP,\n"
    "C002,李四,女,25,123,2024-01-06,,\n"
    ",王五,男,41,13712345678,2024-01-07,,\n"
)


@pytest.fixture
def fresh(tmp_path):
    """An empty workspace and a customer file with two bad rows (rows 3 and 4)."""
    assert runner.invoke(app, ["init", str(tmp_path / "ws")]).exit_code == 0
    (tmp_path / "bad.csv").write_text(BAD_CUSTOMERS, encoding="utf-8")
    return tmp_path


def _import(ws, path, lang):
    update_settings(ws, {"locale": {"zh": "zh_CN", "en": "en"}[lang]})
    r = runner.invoke(app, ["import", "customers", str(path), "-w", str(ws)])
    assert r.exit_code == 0, r.output
    rejects = max((ws / "rejects").glob("*.csv"), key=lambda p: p.stat().st_mtime_ns)
    return r.output, rejects.read_text(encoding="utf-8-sig").splitlines()


def test_import_problems_and_rejects_read_in_zh(fresh):
    from tests.i18n_scan import english_labels, snake_codes

    text, rejects = _import(fresh / "ws", fresh / "bad.csv", "zh")
    assert "第3行 联系方式：格式错误（应为11位手机号）" in text
    assert "第4行 客户编号：必填项缺失" in text
    assert snake_codes(text) == [] and english_labels(text) == []
    header = rejects[0].replace('"', "").split(",")
    assert (header[0], header[1], header[-1]) == ("原行号", "客户编号", "错误原因")
    assert rejects[2].endswith('"客户编号：必填项缺失"')
    assert snake_codes("\n".join(rejects)) == []


def test_import_problems_and_rejects_read_in_en(fresh):
    text, rejects = _import(fresh / "ws", fresh / "bad.csv", "en")
    assert "row 3, phone: invalid format (expected an 11-digit mobile number)" in text
    assert not CJK.search(text.split("\n")[-3])  # the problem lines are English
    header = rejects[0].replace('"', "").split(",")
    # the file's own columns keep the input's headers
    assert (header[0], header[1], header[-1]) == ("source_row", "客户编号", "errors")
    assert rejects[2].endswith('"customer_id: required value missing"')


def test_template_in_each_language(tmp_path):
    import openpyxl

    sheets = {}
    for lang in ("zh", "en"):
        out = tmp_path / f"{lang}.xlsx"
        r = runner.invoke(app, ["template", "orders", "--out", str(out), "--lang", lang])
        assert r.exit_code == 0, r.output
        wb = openpyxl.load_workbook(out)
        sheets[lang] = {ws.title: [list(r) for r in ws.iter_rows(values_only=True)] for ws in wb}
    zh, en = sheets["zh"], sheets["en"]
    assert list(zh) == ["购买记录表", "说明"] and list(en) == ["orders", "notes"]
    assert zh["说明"][0] == ["列名", "英文列名", "必填", "格式与规则"]
    assert en["notes"][0] == ["column", "Chinese header", "required", "format and rules"]
    assert {row[2] for row in zh["说明"][1:]} == {"是", "否"}
    assert "customer_id*" in en["orders"][0] and "客户编号*" in zh["购买记录表"][0]


def test_export_headers_in_each_language(world, tmp_path):
    """Chinese headers (the review columns too) in a zh export; the stable keys in en."""
    header = {}
    for lang in ("zh", "en"):
        update_settings(world, {"locale": {"zh": "zh_CN", "en": "en"}[lang]})
        out = tmp_path / f"orders-{lang}.csv"
        r = runner.invoke(app, ["export", "orders", "--out", str(out), "-w", str(world)])
        assert r.exit_code == 0, r.output
        header[lang] = next(csv.reader(io.StringIO(out.read_text(encoding="utf-8-sig"))))
    update_settings(world, {"locale": "zh_CN"})
    assert {"订单日期", "需核实", "核实原因"} <= set(header["zh"])
    assert all(CJK.search(h) for h in header["zh"]), header["zh"]
    assert {"order_date", "needs_review", "review_reasons"} <= set(header["en"])
    assert not any(CJK.search(h) for h in header["en"])


@pytest.mark.parametrize(
    "args",
    [
        ["funnel", "--steps", "home,nosuch"],  # a step the funnel does not know
        ["funnel", "--attribution", "step:9"],  # the funnel definition's own validation
        ["funnel", "--exclude", "search:x-y"],
        ["report", "--format", "docx"],
        ["audit", "--since", "yesterday"],
    ],
    ids=" ".join,
)
def test_errors_read_in_the_workspace_language(world, args):
    messages = {}
    for lang in ("zh", "en"):
        update_settings(world, {"locale": {"zh": "zh_CN", "en": "en"}[lang]})
        r = runner.invoke(app, [*args, "--workspace", str(world)])
        assert r.exit_code in (1, 2), r.output
        messages[lang] = r.output.split("error:", 1)[1]
    update_settings(world, {"locale": "zh_CN"})
    assert CJK.search(messages["zh"]) and not CJK.search(messages["en"]), messages
    from tests.i18n_scan import english_labels

    assert english_labels(messages["zh"]) == []
