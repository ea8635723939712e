"""`wangge import grids FILE.geojson --community CODE`: a community's grids from a GeoJSON FeatureCollection.

Each feature's properties hold `code` (15-digit unit-grid code) and `name`. Everything is checked first
(valid polygons, inside the community, no overlaps); any error writes nothing. Gaps are reported.
"""

import json
from pathlib import Path

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from wangge.territory import services
from wangge.territory.models import Area, AreaKind


class Command(BaseCommand):
    help = "Import data. `grids FILE --community CODE`: grid boundaries from GeoJSON (WGS-84)."

    def add_arguments(self, parser) -> None:
        sub = parser.add_subparsers(dest="what", required=True)
        grids = sub.add_parser("grids", help="grid boundaries of one community from a GeoJSON FeatureCollection")
        grids.add_argument("file", type=Path)
        grids.add_argument("--community", required=True, help="12-digit community code")

    def handle(self, *args, what: str, **options) -> None:
        try:
            community = Area.objects.get(code=options["community"], kind=AreaKind.COMMUNITY)
        except Area.DoesNotExist:
            raise CommandError(f"no community with code {options['community']}") from None
        try:
            data = json.loads(options["file"].read_text(encoding="utf-8"))
        except (OSError, ValueError) as error:
            raise CommandError(f"cannot read {options['file']}: {error}") from None
        features = data.get("features") if isinstance(data, dict) else None
        if not isinstance(features, list):
            raise CommandError("the file must hold a GeoJSON FeatureCollection")
        try:
            result = services.grids_import(actor=None, community=community, features=features)
        except ValidationError as error:
            for message in error.messages:
                self.stderr.write(f"error: {message}")
            raise CommandError("nothing was imported") from None
        self.stdout.write(f"imported {len(features)} grids into {community.name}")
        if result.gap_m2:
            self.stdout.write(f"warning: {result.gap_m2:.0f} m² of the community lie in no grid")
