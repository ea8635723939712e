"""What the benchmarks share: Django set-up in a child process, fresh databases, data sets, Markdown output.

Every benchmark runs its measured steps in child processes (`child`), so that one step's caches, imports
and peak memory are its own, and appends a Markdown table (figure, value, ceiling, ratio) to --out.
"""

import json
import os
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
WANGGE = str(Path(PYTHON).with_name("wangge"))


def bench_env(database_url: str, var_dir: str, **extra: str) -> dict[str, str]:
    """The environment of a benchmark's Django process: production-like (no debug), throwaway secrets."""
    env = dict(os.environ)
    # Demo mode generates the throwaway secrets under var_dir; debug mode would log every query.
    env.update(
        {
            "WANGGE_DEMO": "true",
            "WANGGE_DEBUG": "false",
            "WANGGE_VAR_DIR": var_dir,
            "WANGGE_TASKS": "immediate",
            "WANGGE_LOG_LEVEL": "WARNING",
        }
    )
    # Never a database inherited from the shell (it could be a deployment's): the one named, or SQLite in var_dir.
    env.pop("DATABASE_URL", None)
    if database_url:
        env["DATABASE_URL"] = database_url
    env.update(extra)
    return env


def django_setup(database_url: str, var_dir: str) -> None:
    """Set up Django in this process against the benchmark's database."""
    env = bench_env(database_url, var_dir)
    if "DATABASE_URL" not in env:
        os.environ.pop("DATABASE_URL", None)
    os.environ.update(env)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "wangge.settings")
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    import django

    django.setup()


def is_postgres(url: str) -> bool:
    return url.startswith("postgres")


def fresh_postgres_database(url: str) -> None:
    """Drop and create the benchmark's own PostgreSQL database (never the one named `postgres`)."""
    import psycopg

    parts = urlsplit(url)
    name = parts.path.lstrip("/")
    if not name or name == "postgres":
        raise SystemExit("give the benchmark a database of its own, e.g. .../wangge_bench")
    admin = urlunsplit(parts._replace(path="/postgres"))
    with psycopg.connect(admin, autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        connection.execute(f'CREATE DATABASE "{name}"')


def database_url_for(base: str, suffix: str) -> str:
    """`base` with `_suffix` added to the database name: one database per data set."""
    parts = urlsplit(base)
    return urlunsplit(parts._replace(path=f"{parts.path.rstrip('/')}_{suffix}"))


def synth(database_url: str, var_dir: str, scale: str, seed: int = 1) -> float:
    """A fresh database holding the synthetic data set of `scale`; returns the seconds it took."""
    if is_postgres(database_url):
        fresh_postgres_database(database_url)
    started = time.perf_counter()
    command = [WANGGE, "synth", "--scale", scale, "--seed", str(seed)]
    output = subprocess.run(  # noqa: S603 - our own command line
        command, capture_output=True, text=True, cwd=ROOT, env=bench_env(database_url, var_dir)
    )
    if output.returncode:
        raise SystemExit(f"wangge synth --scale {scale} failed:\n{output.stderr[-3000:]}")
    return time.perf_counter() - started


def child(script: str, step: str, args: list[str], env: dict[str, str] | None = None) -> dict:
    """Run one step of a benchmark script in a fresh Python process and return its JSON answer."""
    command = [PYTHON, str(ROOT / "bench" / script), "--step", step, *args]
    output = subprocess.run(command, capture_output=True, text=True, cwd=ROOT, env=env)  # noqa: S603
    if output.returncode:
        raise SystemExit(f"{script} step {step} failed:\n{output.stderr[-3000:]}")
    return json.loads(output.stdout.strip().splitlines()[-1])


def script(name: str, args: list[str]) -> None:
    """Run a whole benchmark script (it appends its own table to --out); its progress shows as it goes."""
    subprocess.run([PYTHON, str(ROOT / "bench" / name), *args], cwd=ROOT, check=True, stdout=subprocess.DEVNULL)  # noqa: S603


def say(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def table(title: str, header: list[str], rows: list[list[str]], notes: str = "") -> str:
    """A Markdown table under a heading; the first column is left-aligned, the others right-aligned."""
    lines = [f"### {title}", "", "| " + " | ".join(header) + " |"]
    lines.append("| --- | " + " | ".join("---:" for _ in header[1:]) + " |")
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    if notes:
        lines += ["", notes]
    return "\n".join(lines) + "\n"


def append(out: str, text: str) -> None:
    """Print a table and append it to the results file."""
    print(text)
    path = Path(out)
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a") as handle:
        handle.write(text + "\n")


def ratio(value: float, ceiling: float) -> str:
    return f"{value / ceiling:.1%}" if ceiling else "—"
