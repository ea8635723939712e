"""What the campaign tests share: files in a temporary folder, English messages on request, and a small campaign on
the fixed cast: two items, three contents, five standards, 20 points in all."""

import datetime
import io
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import translation
from PIL import Image

from conftest import Cast
from wangge.campaigns import services
from wangge.campaigns.models import Campaign, Indicator, Level, Method, Scoring

START = datetime.date(2014, 6, 1)
END = datetime.date(2014, 10, 31)


@dataclass
class Tree:
    campaign: Campaign
    item1: Indicator  # 1 市容环境 (12)
    content11: Indicator  # 1.1 楼院卫生 (8)
    sweep: Indicator  # 1.1.1 楼院无卫生死角 (5, from the compound inspections' pass rate)
    bins: Indicator  # 1.1.2 垃圾桶配置 (3, by hand)
    content12: Indicator  # 1.2 门店秩序 (4)
    shops: Indicator  # 1.2.1 门店无店外经营 (4, from the shop inspections' pass rate)
    item2: Indicator  # 2 为民服务 (8)
    content21: Indicator  # 2.1 问题办理 (8)
    closure: Indicator  # 2.1.1 群众反映问题按期办结 (6, from the on-time closure rate)
    ledger: Indicator  # 2.1.2 工作台账齐全 (2, by hand, two pieces of evidence)


def node(campaign: Campaign, level: str, code: str, text: str, points: int, parent=None, **extra) -> Indicator:
    return services.indicator_save(
        actor=None, campaign=campaign, level=level, code=code, text=text, points=points, parent=parent, **extra
    )


def build_tree(cast: Cast) -> Tree:
    campaign = services.campaign_create(
        actor=None,
        community=cast.home,
        name="四城联创",
        issuer="金水区",
        starts_on=START,
        ends_on=END,
        total_points=20,
    )
    item1 = node(campaign, Level.ITEM, "1", "市容环境", 12)
    content11 = node(campaign, Level.CONTENT, "1.1", "楼院卫生", 8, item1)
    sweep = node(
        campaign, Level.STANDARD, "1.1.1", "楼院无卫生死角", 5, content11,
        method=Method.FIELD, scoring=Scoring.INSPECTIONS, inspection_target="compound", public=True,
    )  # fmt: skip
    bins = node(campaign, Level.STANDARD, "1.1.2", "垃圾桶配置到位", 3, content11, method=Method.FIELD)
    content12 = node(campaign, Level.CONTENT, "1.2", "门店秩序", 4, item1)
    shops = node(
        campaign, Level.STANDARD, "1.2.1", "门店无店外经营", 4, content12,
        method=Method.FIELD, scoring=Scoring.INSPECTIONS, inspection_target="shop", public=True,
    )  # fmt: skip
    item2 = node(campaign, Level.ITEM, "2", "为民服务", 8)
    content21 = node(campaign, Level.CONTENT, "2.1", "问题办理", 8, item2)
    closure = node(
        campaign, Level.STANDARD, "2.1.1", "群众反映问题按期办结", 6, content21,
        method=Method.DATA, scoring=Scoring.CASE_ON_TIME,
    )  # fmt: skip
    ledger = node(
        campaign, Level.STANDARD, "2.1.2", "工作台账齐全", 2, content21, method=Method.MATERIALS, evidence_required=2
    )
    return Tree(campaign, item1, content11, sweep, bins, content12, shops, item2, content21, closure, ledger)


@pytest.fixture
def tree(cast: Cast) -> Tree:
    return build_tree(cast)


@pytest.fixture(autouse=True)
def media(settings, tmp_path: Path) -> Path:
    """Files land in a temporary folder."""
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


@pytest.fixture
def english(settings) -> Iterator[None]:
    """Messages named in their English source form, in the tests and on the pages."""
    settings.LANGUAGE_CODE = "en"
    with translation.override("en"):
        yield


def files_in(folder: Path) -> list[Path]:
    return [path for path in folder.rglob("*") if path.is_file()]


def jpeg(name: str = "现场.jpg", colour: tuple[int, int, int] = (30, 140, 60)) -> SimpleUploadedFile:
    """A small JPEG, as a phone sends it."""
    buffer = io.BytesIO()
    Image.new("RGB", (40, 30), colour).save(buffer, format="JPEG")
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="image/jpeg")
