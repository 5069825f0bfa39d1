"""import-members: a 100,000-row 党员花名册 imported into an empty county.

Measured, each in a fresh worker process on a throw-away SQLite database:
  * Dangjian importing all rows (`dangjian import members FILE --format json`, run in-process through
    call_command): wall time of the import (read, validate, write, audit) and the process's peak RSS;
  * django-import-export (bench-only dependency, the baseline) importing the first 10,000 rows into the
    same Member model with the resource in member_resource.py, and Dangjian importing the same 10,000 rows.
The members table (and its audit entries) is emptied between the runs, so every import starts from an
empty ledger. Workbook generation and county setup are not timed.

Goals: ≥ 10× the baseline on 10,000 rows; 100,000 rows in < 60 s and < 1 GiB peak RSS on SQLite.

Worker steps (run by run() with bench settings): python -m scenarios.import_members
setup | clear | dangjian FILE | baseline FILE.
"""

import datetime as dt
import os
import random
import sys
from pathlib import Path

from common import RESULTS_DIR, Goal, django_env, emit, load_average, peak_rss_mb, print_table, run_worker

NAME = "import-members"
DEFAULT_ROWS = 100_000
COMPARE_ROWS = 10_000
GENERATOR_VERSION = 1  # bump when the generated roster changes (the workbooks are cached in bench/results/)

HEADERS = [
    "姓名", "性别", "民族", "公民身份号码", "出生日期", "学历", "人员类别", "入党日期", "转为正式党员日期",
    "工作岗位", "联系电话", "所在党组织代码",
]  # fmt: skip

# --- The county -----------------------------------------------------------------------------------
COUNTY_DIVISION = "371599"  # a made-up county of Shandong; also the region part of every ID number
TOWNSHIPS = 12
VILLAGES_PER_TOWNSHIP = 16
ORGAN_BRANCHES = 8  # 县直机关 branches directly under the county committee
TOWNSHIP_NAMES = "城关 东关 西湖 南山 北岭 柳林 石桥 清河 张庄 李集 马店 高坡".split()


def branch_codes() -> list[str]:
    """Codes of the branches members belong to: 8 county organ branches and 12 × 16 village branches."""
    return [f"D0100{o:03d}" for o in range(1, ORGAN_BRANCHES + 1)] + [
        f"D01{t:02d}{v:03d}" for t in range(1, TOWNSHIPS + 1) for v in range(1, VILLAGES_PER_TOWNSHIP + 1)
    ]


# --- The roster -----------------------------------------------------------------------------------
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱覃武戴孔汤"
GIVEN = "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超兰霞平刚桂文华建国志海燕红梅玉凤德春立新永金珍淑晓东庆卫俊子涵雨轩浩然梓萱一诺欣怡宇鹏飞"
ETHNIC_MINORITIES = ["回族", "满族", "蒙古族", "壮族", "苗族", "土家族", "朝鲜族"]
EDUCATIONS = (
    ["研究生"] * 2
    + ["大学本科"] * 18
    + ["大专"] * 20
    + ["中专"] * 10
    + ["高中"] * 20
    + ["初中"] * 22
    + ["小学"] * 8
)
JOBS = [
    "农民", "农民", "农民", "村党支部书记", "村民委员会委员", "教师", "医生", "个体工商户", "企业职工",
    "公务员", "事业单位人员", "退休", "退休", "网格员", "外出务工", "学生",
]  # fmt: skip
BIRTH_BASE = dt.date(1940, 1, 1)
BIRTH_DAYS = 21_000  # 1940-01-01 … 1997-06: everyone was 18 well before 2015
LAST_DAY = dt.date(2024, 6, 30)


def roster_rows(count: int, seed: int = 20240701):
    """`count` valid, distinct, deterministic roster rows (the first n rows never depend on `count`)."""
    from dangjian.core.idnumber import make_id_number

    if count > BIRTH_DAYS * 10:
        raise ValueError(f"at most {BIRTH_DAYS * 10} distinct rows")
    rng = random.Random(seed)
    orgs = branch_codes()
    for i in range(count):
        # (birth day, sequence block) is distinct for every i; the random last digits keep it distinct.
        birth = BIRTH_BASE + dt.timedelta(days=(i * 7919) % BIRTH_DAYS)
        sequence = (i // BIRTH_DAYS) * 100 + rng.randrange(100)
        id_number = make_id_number(COUNTY_DIVISION, birth, sequence)
        gender = "男" if sequence % 2 else "女"
        adult = dt.date(birth.year + 18, birth.month, min(birth.day, 28))
        if rng.random() < 0.08:
            status, joined = "预备党员", LAST_DAY - dt.timedelta(days=rng.randrange(360))
            full = None
        else:
            span = (dt.date(2023, 6, 30) - adult).days
            status, joined = "正式党员", adult + dt.timedelta(days=rng.randrange(span))
            full = joined + dt.timedelta(days=365 + rng.randrange(30))
        name = rng.choice(SURNAMES) + "".join(rng.choice(GIVEN) for _ in range(rng.choice((1, 2, 2))))
        phone = f"1{rng.choice('3456789')}{rng.randrange(10**9):09d}" if rng.random() < 0.9 else ""
        yield [
            name, gender, "汉族" if rng.random() < 0.92 else rng.choice(ETHNIC_MINORITIES), id_number, birth,
            rng.choice(EDUCATIONS), status, joined, full, rng.choice(JOBS), phone, rng.choice(orgs),
        ]  # fmt: skip


def workbook(rows: int) -> Path:
    """The roster as an .xlsx, like one saved by Excel/WPS: shared strings, text-formatted 公民身份号码 and
    联系电话 columns (the numbers are text cells), date cells for dates. Cached under bench/results/."""
    import xlsxwriter

    path = RESULTS_DIR / f"{NAME}-v{GENERATOR_VERSION}-{rows}.xlsx"
    if path.exists():
        return path
    print(f"  generating {path.name} …", flush=True)
    partial = path.with_suffix(".tmp.xlsx")
    book = xlsxwriter.Workbook(str(partial), {"strings_to_numbers": False, "strings_to_formulas": False})
    sheet = book.add_worksheet("党员花名册")
    bold = book.add_format({"bold": True})
    text = book.add_format({"num_format": "@"})
    date = book.add_format({"num_format": "yyyy-mm-dd"})
    for col, width in enumerate([10, 6, 8, 22, 12, 10, 10, 12, 16, 16, 14, 14]):
        sheet.set_column(col, col, width, text if HEADERS[col] in ("公民身份号码", "联系电话") else None)
    sheet.write_row(0, 0, HEADERS, bold)
    sheet.freeze_panes(1, 0)
    for r, values in enumerate(roster_rows(rows), start=1):
        for c, value in enumerate(values):
            if value is None or value == "":
                continue
            if isinstance(value, dt.date):
                sheet.write_datetime(r, c, dt.datetime(value.year, value.month, value.day), date)
            elif c in (3, 10):
                sheet.write_string(r, c, value, text)
            else:
                sheet.write_string(r, c, value)
    book.close()
    partial.rename(path)
    return path


# --- The scenario (parent process) ----------------------------------------------------------------
def run(rows: int | None = None) -> dict:
    rows = rows or DEFAULT_ROWS
    compare = min(COMPARE_ROWS, rows)
    big, small = workbook(rows), workbook(compare)
    module = "scenarios.import_members"
    loads = [load_average()]
    with django_env(NAME) as env:
        print("  setting up the county (migrate, regions, party organisations) …", flush=True)
        county = run_worker(module, ["setup"], env)
        print(f"  django-import-export: {compare:,} rows …", flush=True)
        baseline = run_worker(module, ["baseline", str(small)], env)
        run_worker(module, ["clear"], env)
        print(f"  Dangjian: {compare:,} rows …", flush=True)
        small_run = run_worker(module, ["dangjian", str(small)], env)
        run_worker(module, ["clear"], env)
        print(f"  Dangjian: {rows:,} rows …", flush=True)
        big_run = run_worker(module, ["dangjian", str(big)], env)
    loads.append(load_average())

    for label, result, expected in (
        ("baseline", baseline, compare),
        ("Dangjian", small_run, compare),
        ("Dangjian", big_run, rows),
    ):
        if result["members"] != expected or not result["check"]["ok"]:
            raise RuntimeError(f"{label} import of {expected} rows is wrong: {result}")

    speedup = baseline["seconds"] / small_run["seconds"]
    goals = [
        Goal(
            f"speedup over django-import-export on {compare:,} rows",
            round(speedup, 1),
            10,
            "×",
            higher_is_better=True,
        ),
        Goal(f"{rows:,} rows wall time", big_run["seconds"], 60, "s"),
        Goal(f"{rows:,} rows peak RSS", big_run["peak_rss_mb"], 1024, "MB"),
    ]
    print_table(
        f"import-members — SQLite, county of {county['orgs']} party organisations, fresh process per import",
        [
            (f"Dangjian, {rows:,} rows: wall time", f"{big_run['seconds']:.2f} s", goals[1]),
            ("  CPU time", f"{big_run['cpu_seconds']:.2f} s", None),
            (f"Dangjian, {rows:,} rows: peak RSS", f"{big_run['peak_rss_mb']:.0f} MB", goals[2]),
            (f"Dangjian, {rows:,} rows: rows per second", f"{rows / big_run['seconds']:,.0f}", None),
            (f"Dangjian, {compare:,} rows: wall time", f"{small_run['seconds']:.2f} s", None),
            ("  CPU time", f"{small_run['cpu_seconds']:.2f} s", None),
            (f"django-import-export, {compare:,} rows: wall time", f"{baseline['seconds']:.2f} s", None),
            ("  CPU time", f"{baseline['cpu_seconds']:.2f} s", None),
            ("  of which reading the xlsx into a Dataset", f"{baseline['load_seconds']:.2f} s", None),
            (f"django-import-export, {compare:,} rows: peak RSS", f"{baseline['peak_rss_mb']:.0f} MB", None),
            ("speedup (baseline / Dangjian)", f"{speedup:.1f}×", goals[0]),
        ],
    )
    print(f"baseline mode: django-import-export {baseline['version']}, {baseline['mode']}")
    print(
        "wall time: file → rows in the database, measured inside the worker (process start-up and Django setup excluded);"
    )
    print("peak RSS: the importing process's ru_maxrss (start-up included).")
    if any(load is not None and load > (os.cpu_count() or 1) for load in loads):
        print(
            f"note: the machine was busy (1-minute load average {loads[0]} → {loads[1]} on {os.cpu_count()} CPUs);"
        )
        print("      wall times are inflated, CPU times less so.")
    return {
        "rows": rows,
        "seconds": big_run["seconds"],
        "peak_rss_mb": big_run["peak_rss_mb"],
        "baseline_seconds": baseline["seconds"],
        "dangjian_10k_seconds": small_run["seconds"],
        "speedup": round(speedup, 2),
        "compare_rows": compare,
        "database": "sqlite",
        "cpu_seconds": big_run["cpu_seconds"],
        "baseline_cpu_seconds": baseline["cpu_seconds"],
        "dangjian_10k_cpu_seconds": small_run["cpu_seconds"],
        "load_average": loads,
        "baseline": {
            "library": "django-import-export",
            "version": baseline["version"],
            "mode": baseline["mode"],
            "load_seconds": baseline["load_seconds"],
            "import_data_seconds": baseline["import_seconds"],
            "peak_rss_mb": baseline["peak_rss_mb"],
        },
        "dangjian": {
            "seconds": big_run["seconds"],
            "peak_rss_mb": big_run["peak_rss_mb"],
            "polled_peak_rss_mb": big_run["polled_peak_rss_mb"],
            "rss_before_import_mb": big_run["rss_before_mb"],
            "compare_seconds": small_run["seconds"],
            "compare_peak_rss_mb": small_run["peak_rss_mb"],
        },
        "county": county,
        "goals": [g.as_dict() for g in goals],
    }


# --- Worker steps (child processes, Django configured by bench settings) --------------------------
def _setup() -> dict:
    from django.core.management import call_command

    from dangjian.orgs.models import PartyOrg
    from dangjian.places.models import Region

    call_command("migrate", verbosity=0, interactive=False)
    regions, orgs = Region.objects, PartyOrg.objects
    county = regions.add_root(
        {"division_code": f"{COUNTY_DIVISION}000000", "name": "示范县", "level": "county"}
    )
    committee = orgs.add_root(
        {"code": "D01", "name": "中共示范县委员会", "kind": "committee", "region": county}
    )
    for o in range(1, ORGAN_BRANCHES + 1):
        orgs.add_child(
            committee,
            {"code": f"D0100{o:03d}", "name": f"县直机关第{o}党支部", "kind": "branch", "region": county},
        )
        committee.refresh_from_db()
    for t, township_name in enumerate(TOWNSHIP_NAMES[:TOWNSHIPS], start=1):
        county.refresh_from_db()
        township = regions.add_child(
            county,
            {
                "division_code": f"{COUNTY_DIVISION}{t:03d}000",
                "name": f"{township_name}镇",
                "level": "township",
            },
        )
        committee.refresh_from_db()
        township_committee = orgs.add_child(
            committee,
            {
                "code": f"D01{t:02d}",
                "name": f"中共{township_name}镇委员会",
                "kind": "committee",
                "region": township,
            },
        )
        for v in range(1, VILLAGES_PER_TOWNSHIP + 1):
            township.refresh_from_db()
            village = regions.add_child(
                township,
                {
                    "division_code": f"{COUNTY_DIVISION}{t:03d}{v:03d}",
                    "name": f"{township_name}{v}村",
                    "level": "village",
                },
            )
            township_committee.refresh_from_db()
            orgs.add_child(
                township_committee,
                {
                    "code": f"D01{t:02d}{v:03d}",
                    "name": f"{township_name}镇{v}村党支部",
                    "kind": "branch",
                    "region": village,
                },
            )
    missing = set(branch_codes()) - set(PartyOrg.objects.values_list("code", flat=True))
    if missing:
        raise RuntimeError(f"branches not created: {sorted(missing)[:5]}")
    return {
        "regions": Region.objects.count(),
        "orgs": PartyOrg.objects.count(),
        "branches": len(branch_codes()),
    }


def _clear() -> dict:
    from auditlog.context import disable_auditlog
    from auditlog.models import LogEntry
    from django.contrib.contenttypes.models import ContentType

    from dangjian.core.models import AccessLog
    from dangjian.members.models import Member

    with disable_auditlog():
        deleted, _ = Member.all_objects.all().delete()
    LogEntry.objects.filter(content_type=ContentType.objects.get_for_model(Member)).delete()
    AccessLog.objects.all().delete()
    return {"deleted": deleted, "members": Member.all_objects.count()}


def _check(sample: int = 50) -> dict:
    """The imported rows are valid ledger rows: ciphertexts decrypt to values matching the index and masks."""
    from auditlog.models import LogEntry
    from django.contrib.contenttypes.models import ContentType

    from dangjian.core import crypto
    from dangjian.core.idnumber import mask_id_number, parse_id_number
    from dangjian.core.phone import mask_phone
    from dangjian.core.pinyin import initials
    from dangjian.members.models import Member

    problems = []
    members = list(Member.all_objects.select_related("org").order_by("?")[:sample])
    for m in members:
        plain = crypto.decrypt(m.id_number_enc)
        parsed = parse_id_number(plain)
        phone = crypto.decrypt(m.phone_enc)
        checks = {
            "index": crypto.blind_index(plain) == m.id_number_index,
            "mask": mask_id_number(plain) == m.id_number_masked,
            "birth": parsed.birth_date == m.birth_date,
            "gender": parsed.gender == m.gender,
            "phone": mask_phone(phone) == m.phone_masked,
            "initials": initials(m.name) == m.name_initials and bool(m.name_initials),
            "org_path": m.org_path == m.org.path,
            "joined": m.joined_on is not None,
        }
        problems += [f"{m.pk}:{k}" for k, ok in checks.items() if not ok]
    audited = LogEntry.objects.filter(content_type=ContentType.objects.get_for_model(Member)).count()
    return {"ok": not problems, "sampled": len(members), "problems": problems[:10], "audit_entries": audited}


def _dangjian(path: str) -> dict:
    import io
    import json
    import time

    from django.core.management import call_command

    from dangjian.members.models import Member

    rss_before = peak_rss_mb()
    out = io.StringIO()
    profiler = None
    if os.environ.get("BENCH_PROFILE"):  # a directory: write a cProfile dump of this import there
        import cProfile

        profiler = cProfile.Profile()
        profiler.enable()
    started, cpu_started = time.perf_counter(), time.process_time()
    try:
        call_command("import", "members", path, format="json", stdout=out)
    except SystemExit:  # the command exits 1 when rows were rejected; the result says why
        pass
    seconds, cpu = time.perf_counter() - started, time.process_time() - cpu_started
    if profiler:
        profiler.disable()
        target = Path(os.environ["BENCH_PROFILE"]) / f"dangjian-{Path(path).stem}.prof"
        target.parent.mkdir(parents=True, exist_ok=True)
        profiler.dump_stats(target)
    peak = peak_rss_mb()
    result = json.loads(out.getvalue())
    result["errors"] = result["errors"][:5]
    return {
        "seconds": round(seconds, 3), "cpu_seconds": round(cpu, 3), "peak_rss_mb": peak, "rss_before_mb": rss_before,
        "result": result,
        "members": Member.all_objects.count(), "check": _check(),
    }  # fmt: skip


def _baseline(path: str) -> dict:
    import time

    import import_export
    from import_export.formats.base_formats import XLSX

    from dangjian.members.models import Member

    from .member_resource import MemberResource

    rss_before = peak_rss_mb()
    started, cpu_started = time.perf_counter(), time.process_time()
    with open(path, "rb") as handle:
        dataset = XLSX().create_dataset(handle.read())
    loaded = time.perf_counter()
    result = MemberResource().import_data(dataset, dry_run=False, raise_errors=False, use_transactions=True)
    finished, cpu = time.perf_counter(), time.process_time() - cpu_started
    peak = peak_rss_mb()
    errors = []
    for number, row_errors in result.row_errors()[:3]:
        errors.append(f"row {number}: {row_errors[0].error!r}")
    for invalid in result.invalid_rows[:3]:
        errors.append(f"row {invalid.number}: {invalid.error_dict}")
    return {
        "seconds": round(finished - started, 3), "cpu_seconds": round(cpu, 3), "load_seconds": round(loaded - started, 3),
        "import_seconds": round(finished - loaded, 3), "peak_rss_mb": peak, "rss_before_mb": rss_before,
        "totals": dict(result.totals), "errors": errors, "version": import_export.__version__,
        "mode": MemberResource.mode(), "members": Member.all_objects.count(), "check": _check(),
    }  # fmt: skip


def main(argv: list[str]) -> None:
    import django

    django.setup()
    step, *args = argv
    steps = {"setup": _setup, "clear": _clear, "dangjian": _dangjian, "baseline": _baseline}
    emit(steps[step](*args))


if __name__ == "__main__":
    main(sys.argv[1:])
