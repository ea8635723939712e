"""Benchmark: the pages and APIs a grid worker and a resident use, under concurrent load, against a trivial view.

    python bench/http_bench.py --database-url URL [--duration 10] [--concurrency 8] [--label community]

The database must already hold a data set (`wangge synth`, or the demo). One run:

1. prepare (a child process): a grid worker of the first grid of the first community (created for the
   benchmark, so the figures do not depend on the data set's accounts), the cases of that grid, the
   community's code for Open311, a compound of the grid and a public category for the resident's report;
2. serve: gunicorn (gthread workers, DEBUG off, persistent database connections) on a free loopback port,
   with the product's settings and a URL root that adds /bench/ping/, a trivial Django JSON view behind the
   same middleware: the ceiling;
3. load (a second process, bench/http_load.py), one endpoint after the other, the same clients and time,
   `--rounds` times each (the best round counts, the errors of all of them): the ping, the case list page
   (the grid worker's default queue, first page), a case detail page (a different case each request),
   Open311 `GET requests.json` of the community, and last the public report form `POST` (a new case each
   request; the report rate limit is raised out of the way for the benchmark's server).

Prints a Markdown table (endpoint, requests/s, p50, p99, errors, ratio to the ping) and appends it to --out.
Also importable: bench/run.py serves two data sets as two `Site`s and `measure()`s them in turn.
"""

import argparse
import json
import os
import re
import signal
import socket
import subprocess
import tempfile
import time
from pathlib import Path
from urllib.parse import urlencode

from common import PYTHON, ROOT, append, bench_env, child, django_setup, ratio, say, table

USERNAME = "bench-gridworker"
PASSWORD = "bench-password-not-secret"  # noqa: S105 - a throwaway account in a throwaway database
GUNICORN = str(Path(PYTHON).with_name("gunicorn"))
ENDPOINTS = ["ping", "case list page", "case detail page", "Open311 GET requests", "resident report POST"]


def prepare(args: argparse.Namespace) -> dict:
    """The grid worker, and what the requests need: case numbers, community code, compound, category."""
    django_setup(args.database_url, args.var_dir)
    from django.db.models import Count, Exists, OuterRef

    from wangge.accounts import services as account_services
    from wangge.accounts.models import User
    from wangge.accounts.roles import Role
    from wangge.cases.models import Case, Category, Question
    from wangge.core.models import AuditEvent
    from wangge.territory.models import Area, AreaKind, Compound

    # The benchmark signs in with a published password and posts hundreds of reports: only into a data set
    # that `wangge synth` made (it refuses any database in use), never into a deployment's.
    if not AuditEvent.objects.filter(action="demo.synth").exists():
        raise SystemExit("the HTTP benchmark runs only on a database filled by `wangge synth`")
    community = Area.objects.filter(kind=AreaKind.COMMUNITY).order_by("path").first()
    grid = (
        Area.objects.filter(kind=AreaKind.GRID, path__startswith=community.path)
        .annotate(n_cases=Count("cases"))
        .filter(n_cases__gt=0)
        .order_by("path")
        .first()
    )
    user = User.objects.filter(username=USERNAME).first()
    if user is None:
        user = account_services.user_create(actor=None, username=USERNAME, display_name="基准网格员", password=PASSWORD)
        account_services.membership_grant(
            actor=None, user=user, role=Role.GRID_WORKER, scope_path=grid.path, scope_name=grid.name
        )
    numbers = list(
        Case.objects.filter(area_path__startswith=grid.path, number__isnull=False)
        .order_by("-reported_at")
        .values_list("number", flat=True)[:200]
    )
    compound = Compound.objects.filter(area=grid).order_by("code").first()
    required = Question.objects.filter(category=OuterRef("pk"), required=True)
    # A category a resident may report without a photo: the benchmark posts text, as most reports are.
    category = (
        Category.objects.filter(active=True, public=True, photo_required=False)
        .exclude(Exists(required))
        .order_by("code")
        .first()
    )
    return {
        "community": community.code,
        "community_cases": Case.objects.filter(area_path__startswith=community.path).count(),
        "all_cases": Case.objects.count(),
        "grid": grid.code,
        "grid_cases": Case.objects.filter(area_path__startswith=grid.path).count(),
        "numbers": numbers,
        "compound": compound.code,
        "longitude": compound.longitude,
        "latitude": compound.latitude,
        "category": category.code,
    }


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def process_cpu(pid: int) -> float:
    """CPU seconds (user + system) of a process and its children that are still alive (the workers)."""
    total = 0.0
    pids = [pid]
    try:
        pids += [int(p) for p in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except OSError:
        pass
    tick = os.sysconf("SC_CLK_TCK")
    for p in pids:
        try:
            fields = Path(f"/proc/{p}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += (int(fields[11]) + int(fields[12])) / tick
    return total


class Server:
    """gunicorn serving the product (plus /bench/ping/) on a free loopback port."""

    def __init__(self, database_url: str, var_dir: str, workers: int, threads: int) -> None:
        if not Path(GUNICORN).exists():
            raise SystemExit("the HTTP benchmark serves with gunicorn: run `make setup` (it is a dev dependency)")
        self.port = free_port()
        env = bench_env(
            database_url,
            var_dir,
            DJANGO_SETTINGS_MODULE="bench_settings",
            # Production keeps database connections open between requests.
            WANGGE_DB_CONN_MAX_AGE="60",
            # The benchmark posts hundreds of reports from one address: the limiter would refuse all but 5.
            WANGGE_REPORT_RATE_LIMIT="1000000000",
        )
        command = [GUNICORN, "wangge.wsgi:application", "--pythonpath", f"{ROOT / 'bench'},{ROOT}"]
        command += ["--bind", f"127.0.0.1:{self.port}", "--workers", str(workers), "--threads", str(threads)]
        command += ["--worker-class", "gthread", "--keep-alive", "30", "--log-level", "warning"]
        self.log = open(Path(var_dir) / "gunicorn.log", "w")  # noqa: SIM115 - closed in stop()
        self.process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=self.log, stderr=subprocess.STDOUT)  # noqa: S603
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=1):
                    break
            except OSError:
                if self.process.poll() is not None:
                    log = Path(var_dir, "gunicorn.log").read_text()[-2000:]
                    raise SystemExit(f"gunicorn did not start: {log}") from None
                time.sleep(0.2)

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def cpu(self) -> float:
        return process_cpu(self.process.pid)

    def stop(self) -> None:
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
        self.log.close()


def sign_in(server: Server) -> dict[str, str]:
    """The grid worker's session and CSRF cookies, by the sign-in form as a browser does it."""
    import requests

    session = requests.Session()
    page = session.get(server.base + "/accounts/login/", timeout=30)
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text).group(1)
    answer = session.post(
        server.base + "/accounts/login/",
        data={"username": USERNAME, "password": PASSWORD, "csrfmiddlewaretoken": token},
        timeout=30,
        allow_redirects=False,
    )
    if answer.status_code != 302 or "sessionid" not in session.cookies:
        raise SystemExit(f"the bench grid worker could not sign in ({answer.status_code})")
    return session.cookies.get_dict()


def report_form(server: Server, compound: str) -> tuple[str, str]:
    """A resident's CSRF cookie and form token from the report form, as the phone's browser gets them."""
    import requests

    session = requests.Session()
    page = session.get(f"{server.base}/p/c/{compound}/report/", timeout=30)
    page.raise_for_status()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text).group(1)
    return session.cookies["csrftoken"], token


def check(server: Server, request: dict) -> None:
    """One request by hand before the load: a broken endpoint fails the benchmark instead of timing errors."""
    import requests

    answer = requests.request(
        request.get("method", "GET"),
        server.base + request["path"],
        headers=request.get("headers", {}),
        data=request.get("body", "").encode() or None,
        allow_redirects=False,
        timeout=60,
    )
    if answer.status_code not in request.get("expect", range(200, 400)):
        raise SystemExit(f"{request['path']} answered {answer.status_code}: {answer.text[:500]}")


def load(server: Server, requests: list[dict], args: argparse.Namespace) -> dict:
    """Run the load generator as a second process against one endpoint; its figures and the server's CPU."""
    spec = {
        "host": "127.0.0.1",
        "port": server.port,
        "concurrency": args.concurrency,
        "warmup": args.warmup,
        "duration": args.duration,
        "requests": requests,
    }
    # The spec holds the session cookies: a private folder, removed afterwards (never the working directory).
    with tempfile.TemporaryDirectory(prefix="wangge-bench-load-") as folder:
        spec_path = Path(folder) / "load.json"
        spec_path.write_text(json.dumps(spec))
        cpu_before, started = server.cpu(), time.perf_counter()
        output = subprocess.run(  # noqa: S603
            [PYTHON, str(ROOT / "bench" / "http_load.py"), str(spec_path)], capture_output=True, text=True, check=True
        )
        elapsed = time.perf_counter() - started
    result = json.loads(output.stdout.strip().splitlines()[-1])
    result["server_cpu_share"] = (server.cpu() - cpu_before) / elapsed
    return result


class Site:
    """One data set served: its facts, its server, the requests of each endpoint (signed in as needed)."""

    def __init__(self, database_url: str, var_dir: str, label: str, args: argparse.Namespace) -> None:
        self.label = label
        self.facts = child("http_bench.py", "prepare", ["--database-url", database_url, "--var-dir", var_dir])
        self.server = Server(database_url, var_dir, args.workers, args.threads)
        try:
            self.endpoints = self._endpoints()
            for requests in self.endpoints.values():
                check(self.server, requests[0])
        except BaseException:
            self.server.stop()
            raise

    def _endpoints(self) -> dict[str, list[dict]]:
        facts = self.facts
        cookies = sign_in(self.server)
        staff = {"Cookie": f"sessionid={cookies['sessionid']}; csrftoken={cookies.get('csrftoken', '')}"}
        csrf_cookie, csrf_token = report_form(self.server, facts["compound"])
        report = {
            "csrfmiddlewaretoken": csrf_token,
            "category": facts["category"],
            "description": "楼道里的灯坏了，晚上看不见路。",
            "reporter_name": "",
            "reporter_phone": "",
            "website": "",
        }
        if facts["longitude"] is not None:
            report.update(longitude=facts["longitude"], latitude=facts["latitude"])
        form = {"Cookie": f"csrftoken={csrf_cookie}", "Content-Type": "application/x-www-form-urlencoded"}
        return {
            "ping": [{"path": "/bench/ping/", "headers": staff}],
            "case list page": [{"path": "/cases/", "headers": staff}],
            "case detail page": [{"path": f"/cases/{n}/", "headers": staff} for n in facts["numbers"]],
            "Open311 GET requests": [{"path": f"/open311/v2/requests.json?jurisdiction_id={facts['community']}"}],
            "resident report POST": [
                {
                    "method": "POST",
                    "path": f"/p/c/{facts['compound']}/report/",
                    "headers": form,
                    "body": urlencode(report),
                    # Only the redirect to the tracking page means a case was made: a 200 is the form again.
                    "expect": [302],
                }
            ],
        }

    def stop(self) -> None:
        self.server.stop()


def merged(runs: list[dict]) -> dict:
    """The best round by throughput (the one least disturbed by the rest of the machine); errors of all rounds."""
    best = dict(max(runs, key=lambda r: r["rps"]))
    errors: dict[str, int] = {}
    for r in runs:
        for status, n in r["errors"].items():
            errors[status] = errors.get(status, 0) + n
    best.update(errors=errors, error_count=sum(errors.values()), rounds=len(runs))
    return best


def measure(sites: list[Site], args: argparse.Namespace) -> dict[str, dict]:
    """Each endpoint `--rounds` times on each site, alternating sites; the best round of each."""
    runs: dict[str, dict[str, list]] = {site.label: {name: [] for name in ENDPOINTS} for site in sites}
    loads = [os.getloadavg()[0]]
    # Endpoint by endpoint, all rounds of one before the next: the reports posted last cannot change what the
    # pages and Open311 read before them.
    for name in ENDPOINTS:
        for round_ in range(1, args.rounds + 1):
            for site in sites:
                r = load(site.server, site.endpoints[name], args)
                runs[site.label][name].append(r)
                say(
                    f"[{site.label}, round {round_}] {name}: {r['rps']:,.0f} req/s, p50 {r['p50_ms']:.1f} ms, "
                    f"p99 {r['p99_ms']:.1f} ms, errors {r['error_count']}, CPU generator "
                    f"{r['generator_cpu_share']:.0%} / server {r['server_cpu_share']:.0%}"
                )
                loads.append(os.getloadavg()[0])
    facts = {site.label: {k: v for k, v in site.facts.items() if k != "numbers"} for site in sites}
    return {
        site.label: {
            "facts": facts[site.label],
            "results": {name: merged(runs[site.label][name]) for name in ENDPOINTS},
            "load": [min(loads), max(loads)],
        }
        for site in sites
    }


def http_table(label: str, measured: dict, args: argparse.Namespace) -> str:
    """One data set's endpoints against the ping."""
    results, facts = measured["results"], measured["facts"]
    ping = results["ping"]
    rows = []
    for name in ENDPOINTS:
        r = results[name]
        errors = ", ".join(f"{n}× {'broken' if status == '0' else status}" for status, n in r["errors"].items()) or "0"
        rows.append(
            [
                name,
                f"{r['rps']:,.0f}",
                f"{r['p50_ms']:.1f}",
                f"{r['p99_ms']:.1f}",
                errors,
                f"{r['generator_cpu_share']:.0%} / {r['server_cpu_share']:.0%}",
                ratio(r["rps"], ping["rps"]) if name != "ping" else "(ceiling)",
            ]
        )
    title = (
        f"HTTP under load — {label}: {facts['all_cases']:,} cases in all, {facts['community_cases']:,} in the "
        f"community, {facts['grid_cases']:,} in the grid worker's grid"
    )
    notes = (
        f"gunicorn {args.workers} gthread workers × {args.threads} threads, DEBUG off; {args.concurrency} keep-alive "
        f"clients in a second process, {args.warmup:g} s warm-up then {args.duration:g} s per endpoint, the best of "
        f"{args.rounds} rounds (errors: all rounds). Ratio: requests/s against the ping (a trivial Django JSON view, "
        "same server and middleware). CPU: share of one core used by the load generator / by gunicorn "
        f"(PostgreSQL's own CPU is not counted). Machine load average during the run: {measured['load'][0]:.1f}–"
        f"{measured['load'][1]:.1f} on {os.cpu_count()} cores."
    )
    header = ["endpoint", "requests/s", "p50 ms", "p99 ms", "errors", "CPU generator / server", "ratio to ping"]
    return table(title, header, rows, notes)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--database-url", default="")
    parser.add_argument("--duration", type=float, default=10.0)
    parser.add_argument("--warmup", type=float, default=2.0)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--label", default="data set")
    parser.add_argument("--var-dir", default="")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_arguments(parser)
    parser.add_argument("--out", default=str(ROOT / "bench" / "results" / "http.md"))
    parser.add_argument("--step", default="")
    args = parser.parse_args()
    if args.step:
        print(json.dumps({"prepare": prepare}[args.step](args)))
        return
    with tempfile.TemporaryDirectory(prefix="wangge-bench-") as scratch:
        # The folder the data set was built with, if given: its throwaway keys decrypt its data.
        site = Site(args.database_url, args.var_dir or scratch, args.label, args)
        try:
            measured = measure([site], args)
        finally:
            site.stop()
    append(args.out, http_table(args.label, measured[args.label], args))


if __name__ == "__main__":
    main()
