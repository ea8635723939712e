#!/usr/bin/env python
"""Django's manage.py, for habit; `wangge` is the same command."""

from wangge.cli import main

if __name__ == "__main__":
    main()
