"""The measuring step of the checkup scenario (runs in a worker with Django configured, on the generated province):
the full run with the time inside each rule, one county, the naive one-member-at-a-time evaluation of a sample,
and EXPLAIN (ANALYZE, BUFFERS) of the slowest query of each slow rule. See checkup.py."""

import dataclasses
import datetime as dt
import time
from collections import defaultdict

MEMBER_RULES = ("member.absent.six_months", "member.dues.arrears", "member.study.hours_short",
                "member.probation.ending", "member.probation.overdue", "member.mobile.no_contact",
                "member.transfer.letter_expired")  # fmt: skip


class Recorder:
    """Seconds spent inside each rule and the SQL it ran (with each statement's duration)."""

    def __init__(self):
        self.current = None
        self.seconds = defaultdict(float)
        self.found = defaultdict(int)
        self.queries = defaultdict(list)

    def wrap(self, rule):
        def evaluate(path, as_of, params):
            previous, self.current = self.current, rule.id
            started = time.perf_counter()
            try:
                rows = list(rule.evaluate(path, as_of, params))
            finally:
                self.seconds[rule.id] += time.perf_counter() - started
                self.current = previous
            self.found[rule.id] += len(rows)
            return rows

        return dataclasses.replace(rule, evaluate=evaluate)

    def __call__(self, execute, sql, params, many, context):
        started = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            if self.current:
                self.queries[self.current].append((time.perf_counter() - started, sql, params))


class Cpu:
    """CPU seconds of this process, of its PostgreSQL backend and of the whole machine between two moments, so the
    figures say how much of the two cores the run had (other helpers, tests and servers share them)."""

    def __init__(self):
        import psutil
        from django.db import connection

        with connection.cursor() as c:
            c.execute("SELECT pg_backend_pid()")
            self.backend = psutil.Process(c.fetchone()[0])
        self.own = psutil.Process()
        self.start = self._now()

    def _now(self):
        import psutil

        machine = psutil.cpu_times()
        busy = sum(machine) - machine.idle - getattr(machine, "iowait", 0.0)
        own, backend = self.own.cpu_times(), self.backend.cpu_times()
        return time.perf_counter(), busy, own.user + own.system, backend.user + backend.system

    def split(self) -> dict:
        end = self._now()
        wall, busy, own, backend = (b - a for a, b in zip(self.start, end, strict=True))
        other = max(0.0, busy - own - backend)  # includes PostgreSQL's parallel workers for this run
        return {"wall": round(wall, 1), "python_cpu": round(own, 1), "backend_cpu": round(backend, 1),
                "other_cpu": round(other, 1), "cores_busy": round(busy / wall, 2) if wall else None}


def _truncate_findings():
    from django.db import connection

    from dangjian.checkup.models import Finding

    with connection.cursor() as c:
        c.execute(f'TRUNCATE "{Finding._meta.db_table}"')


def _full_run(as_of, path="", recorder=None):
    """engine.run over the subtree, as the daily job runs it: the violations stream from the rules into the
    findings table. Returns (findings stored, seconds inside the rules, the rest: storing, seconds in all, counts);
    the time inside the rules is taken by a Recorder (a fresh one unless given)."""
    from dangjian.checkup import engine, registry

    recorder = recorder or Recorder()
    original = dict(registry.RULES)
    before = sum(recorder.seconds.values())
    registry.RULES.update({rid: recorder.wrap(rule) for rid, rule in original.items()})
    started = time.perf_counter()
    try:
        stored = engine.run(path, as_of)
    finally:
        registry.RULES.clear()
        registry.RULES.update(original)
    total = time.perf_counter() - started
    evaluate = sum(recorder.seconds.values()) - before
    return stored["opened"] + stored["open"], evaluate, total - evaluate, total, stored


def _explain(sql, params) -> list[str]:
    from django.db import connection

    from dangjian.checkup import engine

    with engine.tuned(), connection.cursor() as c:  # with the run's settings, as the run planned it
        c.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql, params)
        return [row[0] for row in c.fetchall()]


# ---- the naive way: one member at a time, one ORM query per check ---------------------------------------------
def _months_before(day: dt.date, months: int) -> dt.date:
    from dangjian.members.services import months_before

    return months_before(day, months)


def naive_member(m, as_of: dt.date) -> list[tuple[str, str]]:
    """The checks of the member rules for one member, each a separate query: (rule id, key) of its violations."""
    from django.db.models import Max, Sum

    from dangjian.branchlife.models import Attendance, DuesPayment, StudyRecord
    from dangjian.members.models import ContactLog, MobileStay, Transfer
    from dangjian.orgs.models import CommitteeSeat, PartyOrg

    out = []
    paying = m.status in ("full", "probationary")
    # 6 months without 组织生活 (leave excuses)
    cutoff = _months_before(as_of, 6)
    if paying and m.joined_on and m.joined_on <= cutoff:
        window = Attendance.objects.filter(member=m, meeting__held_on__gt=cutoff, meeting__held_on__lte=as_of)
        if window.exists() and not window.filter(status__in=("present", "leave")).exists():
            Attendance.objects.filter(member=m, status__in=("present", "leave")).aggregate(d=Max("meeting__held_on"))
            out.append(("member.absent.six_months", ""))
    # dues: the last 12 completed months from the member's first month
    if paying and m.joined_on:
        current = as_of.year * 12 + as_of.month - 1
        months = [dt.date((current - k) // 12, (current - k) % 12 + 1, 1) for k in range(12, 0, -1)]
        paid = set(DuesPayment.objects.filter(member=m, month__range=(months[0], months[-1]))
                   .values_list("month", flat=True))
        due = [mo for mo in months if (dt.date(mo.year + mo.month // 12, mo.month % 12 + 1, 1)
                                       - dt.timedelta(days=1)) >= m.joined_on]  # fmt: skip
        unpaid = [mo for mo in due if mo not in paid]
        run = longest = 0
        for mo in months:
            run = run + 1 if mo in unpaid else 0
            longest = max(longest, run)
        if longest >= 6 or len(unpaid) >= 3:
            out.append(("member.dues.arrears", ""))
    # study hours: last year in full, this year pro rata; 56 for secretaries and committee members
    if paying and m.joined_on:
        cadre = (CommitteeSeat.objects.filter(member=m, left_on__isnull=True, committee__ended_on__isnull=True).exists()
                 or PartyOrg.objects.filter(secretary=m, status="active").exists())
        need = 56 if cadre else 32
        for year, months_done in ((as_of.year - 1, 12), (as_of.year, as_of.month - 1)):
            start = dt.date(year, 1, 1)
            if months_done == 0 or m.joined_on > start:
                continue
            end = min(dt.date(year, 12, 31), as_of)
            hours = StudyRecord.objects.filter(member=m, studied_on__range=(start, end)).aggregate(h=Sum("hours"))["h"]
            if float(hours or 0) * 12 < need * months_done:
                out.append(("member.study.hours_short", str(year)))
    # probation
    if m.status == "probationary" and m.joined_on:
        from dangjian.members.rules import months_after, probation_end

        end = probation_end(m.joined_on)
        if as_of <= end <= as_of + dt.timedelta(days=30):
            out.append(("member.probation.ending", ""))
        if months_after(end, 3) < as_of:
            out.append(("member.probation.overdue", ""))
    # mobile members out of contact for 6 months
    if m.is_mobile:
        last_log = ContactLog.objects.filter(member=m).aggregate(d=Max("contacted_on"))["d"]
        stay = MobileStay.objects.filter(member=m, returned_on__isnull=True).order_by("-left_on").first()
        candidates = [d for d in (last_log, stay.left_on if stay else None) if d]
        if candidates and max(candidates) <= _months_before(as_of, 6):
            out.append(("member.mobile.no_contact", ""))
    # transfer letters past their validity
    if Transfer.objects.filter(member=m, status="issued", expires_on__lt=as_of).exists():
        out.append(("member.transfer.letter_expired", ""))
    return out


def naive_sample(as_of: dt.date, share: float) -> dict:
    from django.db.models.functions import Mod

    from dangjian.members.models import Member

    modulus = round(1 / share)
    started = time.perf_counter()
    ids = list(Member.objects.annotate(r=Mod("id", modulus)).filter(r=modulus // 2).order_by("id")
               .values_list("id", flat=True))
    found = set()
    for pk in ids:
        m = Member.objects.get(pk=pk)  # one member at a time, as a per-member loop would load it
        for rule_id, key in naive_member(m, as_of):
            found.add((rule_id, pk, key))
    seconds = time.perf_counter() - started
    return {"members": len(ids), "seconds": round(seconds, 2), "ms_per_member": round(seconds / max(len(ids), 1) * 1000, 3),
            "found": found, "modulus": modulus}  # fmt: skip


# ---- the step ---------------------------------------------------------------------------------------------------
def measure(as_of: dt.date, share: float, slow_rule_seconds: float) -> dict:
    from django.db import connection
    from django.db.models import Count
    from django.db.models.functions import Mod, Substr

    from dangjian.checkup import registry
    from dangjian.checkup.models import Finding
    from dangjian.members.models import Member
    from dangjian.orgs.models import PartyOrg

    recorder = Recorder()
    original = dict(registry.RULES)
    rules = sorted(original)
    members = Member.objects.count()
    orgs = PartyOrg.objects.count()
    with connection.cursor() as c:
        c.execute("SHOW server_version")
        version = c.fetchone()[0]
        pg_settings = {}
        for name in ("shared_buffers", "work_mem", "effective_cache_size", "max_parallel_workers_per_gather",
                     "random_page_cost", "jit"):  # fmt: skip
            c.execute(f"SHOW {name}")
            pg_settings[name] = c.fetchone()[0]

    # the median county by members
    per_county = sorted(Member.objects.annotate(root=Substr("org_path", 1, PartyOrg.steplen)).values("root")
                        .annotate(n=Count("id")).order_by().values_list("n", "root"))
    n, root_path = per_county[len(per_county) // 2]
    root = PartyOrg.objects.get(path=root_path)
    print(f"    {len(rules)} rules registered: {', '.join(rules)}", flush=True)

    print(f"    one county: {root.name} ({n:,} members) …", flush=True)
    _truncate_findings()
    cpu = Cpu()
    _, county_eval, county_store, county_total, _ = _full_run(as_of, root.path)
    county_cpu = cpu.split()
    _, _, _, county_total_warm, _ = _full_run(as_of, root.path)

    print("    full run, whole province …", flush=True)
    _truncate_findings()
    cpu = Cpu()
    with connection.execute_wrapper(recorder):
        found, evaluate_seconds, store_seconds, full, stored = _full_run(as_of, recorder=recorder)
    full_cpu = cpu.split()
    print(f"      {full:.1f} s: inside the rules {evaluate_seconds:.1f} s, storing {store_seconds:.1f} s, {found:,} "
          f"findings; CPU s: python {full_cpu['python_cpu']}, backend {full_cpu['backend_cpu']}, other processes "
          f"{full_cpu['other_cpu']}", flush=True)
    print("    second run (findings stored) …", flush=True)
    _, rerun_eval, rerun_store, rerun_total, rerun_stored = _full_run(as_of)

    per_rule = {}
    for rid in rules:
        queries = recorder.queries.get(rid, [])
        slowest = max(queries, default=None, key=lambda q: q[0])
        per_rule[rid] = {"seconds": round(recorder.seconds[rid], 2), "findings": recorder.found[rid],
                         "queries": len(queries), "slowest_query_ms": round(slowest[0] * 1000, 1) if slowest else None}

    explain = {}
    for rid in rules:
        if recorder.seconds[rid] < slow_rule_seconds or not recorder.queries.get(rid):
            continue
        ms, sql, params = max(recorder.queries[rid], key=lambda q: q[0])
        print(f"    EXPLAIN ANALYZE the slowest query of {rid} ({ms:.1f} s) …", flush=True)
        explain[rid] = {"ms": round(ms * 1000, 1), "sql": sql[:4000], "params": [str(p) for p in params or ()],
                        "plan": _explain(sql, params)}

    print(f"    naive: a {share:.0%} sample of members, one at a time …", flush=True)
    naive = naive_sample(as_of, share)
    modulus = naive["modulus"]
    engine_found = {(rid, pk, key if rid == "member.study.hours_short" else "") for rid, pk, key in (
        Finding.objects.filter(rule__in=MEMBER_RULES, subject="member", status=Finding.Status.OPEN)
        .annotate(r=Mod("subject_id", modulus)).filter(r=modulus // 2).values_list("rule", "subject_id", "key"))}
    naive_found = naive.pop("found")
    member_rule_seconds = sum(recorder.seconds[r] for r in MEMBER_RULES if r in recorder.seconds)
    extrapolated = naive["seconds"] / max(naive["members"], 1) * members
    naive.update(findings=len(naive_found), engine_findings_in_sample=len(engine_found),
                 agreeing=len(naive_found & engine_found), only_naive=sorted(naive_found - engine_found)[:20],
                 only_engine=sorted(engine_found - naive_found)[:20])  # fmt: skip
    return {
        "members": members, "orgs": orgs, "rules": rules,
        "seconds": round(full, 2), "evaluate_seconds": round(evaluate_seconds, 2),
        "store_seconds": round(store_seconds, 2), "findings": found, "stored": stored,
        "rerun_seconds": round(rerun_total, 2), "rerun": {"evaluate_seconds": round(rerun_eval, 2),
                                                          "store_seconds": round(rerun_store, 2),
                                                          "stored": rerun_stored},
        "county_seconds": round(county_total, 2),
        "county": {"name": root.name, "code": root.code, "path": root.path, "members": n,
                   "evaluate_seconds": round(county_eval, 2), "store_seconds": round(county_store, 2),
                   "second_run_seconds": round(county_total_warm, 2), "cpu": county_cpu},
        "per_rule": per_rule, "member_rules_seconds": round(member_rule_seconds, 2),
        "naive": naive, "naive_extrapolated_seconds": round(extrapolated, 1),
        "ratio": round(extrapolated / member_rule_seconds, 1) if member_rule_seconds else None,
        "ratio_to_full": round(extrapolated / full, 1) if full else None,
        "explain": explain, "postgres_version": version, "postgres_settings": pg_settings,
        "cpu": {"full_run": full_cpu, "county": county_cpu},
    }  # fmt: skip
