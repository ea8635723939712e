"""Signals of the territory that later apps listen to (territory must not import them)."""

from django.dispatch import Signal

# Sent inside the service's transaction after a compound or shop moved to another grid: `place`, `old_path`.
# Rows that other apps file under the place's path (cases, ...) move with it.
place_moved = Signal()
