"""`wangge demo [--no-serve] [--addrport 127.0.0.1:8000]`: migrate, build 俭学街社区 once, print the logins, serve.

The password of every demo account comes from WANGGE_DEMO_PASSWORD (default `wangge-demo`). Building is
idempotent: a second run finds the community and goes straight to serving. Serving means the development
server and, beside it, the background worker (`wangge worker`) that runs queued jobs such as imports; the
worker stops when the server does (also on Ctrl+C). `--no-serve` starts neither.
"""

import os
import signal
import subprocess
import sys
import time
import unicodedata

from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError, CommandParser

from wangge.demo.builder import DemoSummary, build_demo

DEFAULT_PASSWORD = "wangge-demo"  # noqa: S105 - the documented password of the made-up demo accounts
DEFAULT_ADDRPORT = "127.0.0.1:8000"
# How long the worker may take to finish the job it is running once asked to stop, before it is killed.
WORKER_STOP_SECONDS = 30


def worker_command() -> list[str]:
    """The command line of the background worker: `wangge worker` in this Python, every queue, no autoreload."""
    return [sys.executable, "-m", "wangge.cli", "worker", "--queue-name=*", "--no-reload", "--no-startup-delay"]


def start_worker() -> subprocess.Popen:
    """The background worker as a child process, in its own process group.

    Its own group, so that Ctrl+C in the terminal reaches only this command, which then stops the worker
    once (a worker that gets two signals abandons the job it is running).
    """
    if os.name == "nt":
        return subprocess.Popen(worker_command(), creationflags=subprocess.CREATE_NEW_PROCESS_GROUP)  # noqa: S603
    return subprocess.Popen(worker_command(), start_new_session=True)  # noqa: S603 - our own fixed command


def stop_worker(worker: subprocess.Popen, timeout: float = WORKER_STOP_SECONDS) -> int:
    """Ask the worker to finish (SIGTERM: it ends the running job first), kill it if it will not; its exit code."""
    if worker.poll() is None:
        worker.terminate()
        try:
            worker.wait(timeout)
        except subprocess.TimeoutExpired:
            worker.kill()
            worker.wait()
    return worker.returncode


def browser_url(addrport: str) -> str:
    """The address to open in a browser for a runserver `addrport` ("8000", "0.0.0.0:8000", "[::1]:8000")."""
    host, sep, port = addrport.rpartition(":")
    if not sep:
        host, port = "", addrport
    if host in ("", "0.0.0.0", "0", "[::]"):  # noqa: S104 - not binding, only naming the page to open
        host = "127.0.0.1"
    return f"http://{host}:{port}/"


def pad(text: str, width: int) -> str:
    """`text` padded to `width` terminal columns: Chinese characters take two columns each."""
    columns = sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)
    return text + " " * max(1, width - columns)


class Command(BaseCommand):
    help = "Prepare the demo community 俭学街社区 (migrate, build once), print the demo logins, and serve it."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--no-serve", action="store_true", help="build and print, but do not start the server")
        parser.add_argument("--addrport", default=DEFAULT_ADDRPORT, help=f"where to serve (default {DEFAULT_ADDRPORT})")

    def handle(self, *args, no_serve: bool, addrport: str, **options) -> None:
        password = os.environ.get("WANGGE_DEMO_PASSWORD") or DEFAULT_PASSWORD
        self.stdout.write("Preparing the database / 准备数据库 …")
        call_command("migrate", verbosity=0, interactive=False)
        self.stdout.write("Building 俭学街社区 / 生成演示社区 …")
        started = time.perf_counter()
        try:
            summary = build_demo(password=password, stdout=self.stdout)
        except ValidationError as error:
            # Most likely a demo user name already taken in a database that holds other data.
            raise CommandError(f"The demo could not be built: {'; '.join(error.messages)}") from None
        if summary.created:
            self.stdout.write(f"Built in {time.perf_counter() - started:.1f} s.")
        self.print_summary(summary, password)
        url = browser_url(addrport)
        if no_serve:
            self.stdout.write(f"Serve it with `wangge demo` and open {url}")
            return
        self.stdout.write("")
        self.stdout.write(self.style.SUCCESS(f"    Open / 打开:  {url}"))
        self.stdout.write("")
        self.stdout.write("Starting the background worker / 启动后台任务 …")
        worker = start_worker()
        # A plain SIGTERM (a service manager stopping the demo) would end this process without unwinding;
        # turned into SystemExit it passes through the `finally` below and the worker stops too.
        previous = signal.signal(signal.SIGTERM, lambda _signum, _frame: sys.exit(0))
        try:
            call_command("runserver", addrport, use_reloader=False)
        finally:
            stop_worker(worker)
            signal.signal(signal.SIGTERM, previous)

    def print_summary(self, summary: DemoSummary, password: str) -> None:
        """The community in figures, then every demo login with its role and scope."""
        write = self.stdout.write
        write("")
        write(self.style.SUCCESS(f"{summary.community} demo ready / 演示社区已就绪"))
        rows = [
            ("网格 grids", f"{summary.grids}"),
            ("楼院 compounds", f"{summary.compounds} (无主管 unmanaged: {summary.unmanaged_compounds})"),
            (
                "楼栋 buildings",
                f"{summary.residential_buildings} residential, {summary.office_buildings} office 写字楼",
            ),
            ("户 dwellings", f"{summary.dwellings}"),
            (
                "居民 residents",
                f"{summary.residents:,} 人（流动人口 floating {summary.floating_residents:,} 人）",
            ),
            (
                "家庭户 households",
                f"{summary.households:,} 户",
            ),
            ("街边门店 street shops", f"{summary.shops}"),
            ("共建单位 partner units", f"{summary.partner_units}"),
            ("未包干 unassigned", f"{summary.unassigned_places} of {summary.places} places (see coverage / 覆盖)"),
        ]
        for label, value in rows:
            write(f"  {pad(label, 26)}{value}")
        write("")
        write(self.style.SUCCESS(f"Demo logins / 演示账号 (password 密码: {password})"))
        width = max((len(login.username) for login in summary.logins), default=8) + 2
        for login in summary.logins:
            write(f"  {login.username:<{width}}{login.role} · {login.scope} · {login.display_name}")
