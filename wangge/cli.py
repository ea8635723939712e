"""The `wangge` console command: Django's management commands under the project's own name.

`wangge demo` prepares and serves the demo; `wangge serve` serves; every other Django or wangge
command (migrate, sweep, apikey, ...) works as with manage.py.
"""

import os
import sys


def main(argv: list[str] | None = None) -> None:
    argv = list(sys.argv if argv is None else argv)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "wangge.settings")
    if len(argv) > 1 and argv[1] == "demo":
        # The demo runs with generated secrets under var/; settings read this before anything else.
        os.environ.setdefault("WANGGE_DEMO", "true")
    from django.core.management import execute_from_command_line

    execute_from_command_line(argv)


if __name__ == "__main__":
    main()
