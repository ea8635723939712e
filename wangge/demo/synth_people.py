"""The synthetic people register: the demo's households and residents (demo.people), community by community.

The households are planned by the demo's own planner, so shapes, ages, residence types, care tags,
registrations and moving out come in the demo's proportions. What differs is the size: ID and phone numbers
must stay unique across a whole district (1.5 million people), so instead of sets of every number used they
are tracked in bitmaps of fixed size (at most about 140 MB, whatever the scale), and rows are written as tuples
with their personal values encrypted in bulk (synth_sink.Sealer).
"""

import datetime
import random
from dataclasses import dataclass

from wangge.core.validators import id_number_check_character
from wangge.demo.people import ELSEWHERE, HENAN, PERMIT_PREFIX, ZHENGZHOU, ZONE, _Person, _Planner, _years_before
from wangge.demo.synth_sink import Sealer, Sink, context_of
from wangge.demo.synth_territory import CommunityPlan
from wangge.people import tags as care_tags
from wangge.people.models import Household, Residence, ResidenceRegistration, Resident, ResidentStatus, Sex

_ORIGINS = {code: index for index, (code, _place) in enumerate(ZHENGZHOU + HENAN + ELSEWHERE)}
_SLOTS = 499  # sequence numbers per sex, address code and birth date (001-997 odd, 002-998 even)


class Bitmap:
    """A fixed-size set of small integers."""

    def __init__(self, size: int) -> None:
        self.bits = bytearray((size + 7) // 8)

    def add(self, n: int) -> bool:
        """Put `n` in; False if it was there already."""
        byte, bit = divmod(n, 8)
        mask = 1 << bit
        if self.bits[byte] & mask:
            return False
        self.bits[byte] |= mask
        return True


class Numbers:
    """ID numbers, phones and permit numbers, each unique in the whole load.

    A clash moves to the next free value instead of drawing again (as in demo.people), so the random stream
    never depends on which numbers earlier communities took.
    """

    def __init__(self) -> None:
        self.sequences: dict[tuple[int, int], Bitmap] = {}  # per address code and birth year: day × sex × slot
        self.phones: dict[str, Bitmap] = {}  # per three-digit range: the last eight digits
        self.permits = 0

    def id_number(self, prefix: str, birth: datetime.date, sex: str, draw: int) -> str:
        """Address code + birth date + sequence (odd for men, even for women) + ISO 7064 MOD 11-2 check."""
        key = (_ORIGINS[prefix], birth.year)
        used = self.sequences.get(key)
        if used is None:
            used = self.sequences[key] = Bitmap(366 * 2 * _SLOTS)
        base = ((birth.timetuple().tm_yday - 1) * 2 + (sex == Sex.MALE)) * _SLOTS
        slot = draw
        for _attempt in range(_SLOTS):
            if used.add(base + slot):
                break
            slot = (slot + 1) % _SLOTS
        else:
            raise RuntimeError(f"no sequence number left for {prefix} {birth}")
        sequence = 2 * slot + (1 if sex == Sex.MALE else 2)
        first17 = f"{prefix}{birth:%Y%m%d}{sequence:03d}"
        return first17 + id_number_check_character(first17)

    def phone(self, drawn: str) -> str:
        prefix, line = drawn[:3], int(drawn[3:])
        used = self.phones.get(prefix)
        if used is None:
            used = self.phones[prefix] = Bitmap(10**8)
        while not used.add(line):
            line = (line + 1) % 10**8
        return f"{prefix}{line:08d}"

    def permit(self, issued: datetime.date) -> str:
        self.permits += 1
        return f"{PERMIT_PREFIX}{issued.year}{self.permits:06d}"


class _Compound:
    __slots__ = ("management",)

    def __init__(self, management: str) -> None:
        self.management = management


class _Building:
    __slots__ = ("compound", "compound_id")

    def __init__(self, compound: _Compound) -> None:
        self.compound = compound
        self.compound_id = 1


class _Dwelling:
    """What the demo's planner reads of a dwelling: its key and its compound's management."""

    __slots__ = ("building", "path", "pk")

    def __init__(self, pk: int, building: _Building, path: str) -> None:
        self.pk = pk
        self.building = building
        self.path = path


@dataclass
class PeopleCounts:
    households: int = 0
    residents: int = 0
    living: int = 0
    floating: int = 0
    registrations: int = 0


class PeopleWriter:
    def __init__(self, sink: Sink, sealer: Sealer, *, seed: int, today: datetime.date, born: str) -> None:
        self.sink = sink
        self.sealer = sealer
        self.seed = seed
        self.today = today
        self.born = born
        self.numbers = Numbers()
        self.counts = PeopleCounts()
        t = sink.table
        self.households = t(Household, "id created_at updated_at area_path community number dwelling note".split())
        self.residents = t(
            Resident,
            (
                "id created_at updated_at area_path name sex birth_date id_type id_number id_number_index phone"
                " phone_index residence registered_address dwelling household relation tags sensitive_tags"
                " sensitive_tags_index moved_in_on moved_out_on status archived_at"
            ).split(),
        )
        self.registrations = t(
            ResidenceRegistration,
            (
                "id created_at updated_at area_path resident registered_on permit_number permit_number_index expires_on"
            ).split(),
        )
        self.id_context = context_of(Resident, "id_number")
        self.phone_context = context_of(Resident, "phone")
        self.tags_context = context_of(Resident, "sensitive_tags")
        self.permit_context = context_of(ResidenceRegistration, "permit_number")
        self.tag_namespace = Resident._meta.get_field("sensitive_tags_index").namespace

    def community(self, plan: CommunityPlan) -> None:
        """The households of every residential dwelling of one community, in the demo's proportions."""
        managements = [_Building(_Compound(c.management)) for c in plan.compounds]
        dwellings = [
            _Dwelling(building.first_dwelling + n, managements[building.compound], building.path)
            for building in plan.buildings
            for n in range(building.shape[0] * building.shape[1] * building.shape[2])
        ]
        planner = _Planner(0)
        planner.rng = random.Random(f"synth:{self.seed}:people:{plan.code}")  # noqa: S311 - made-up data
        plans = planner.plan(dwellings, plan.alone)
        first_household = self.households.take_ids(len(plans))
        born = self.born
        for number, household_plan in enumerate(plans):
            household = first_household + number
            dwelling = household_plan.dwelling
            self.sink.add(
                self.households, (household, born, born, dwelling.path, plan.id, f"H{number + 1:05d}", dwelling.pk, "")
            )
            for person in household_plan.members:
                self.resident(person, household, dwelling)
        self.counts.households += len(plans)

    def resident(self, person: _Person, household: int, dwelling: _Dwelling) -> None:
        today, numbers, sealer = self.today, self.numbers, self.sealer
        birth = _years_before(today, person.age) - datetime.timedelta(days=person.birth_offset)
        moved_in = max(birth, today - datetime.timedelta(days=person.moved_in_days_ago))
        id_number = numbers.id_number(person.origin[0], birth, person.sex, person.sequence_draw)
        phone = numbers.phone(person.phone_draw) if person.phone_draw else ""
        sensitive = care_tags.pack([code for code in person.tags if code in care_tags.SENSITIVE_CODES])
        status, moved_out, archived = ResidentStatus.LIVING, None, None
        if person.moved_out_days_ago is not None:
            moved_out = today - datetime.timedelta(days=person.moved_out_days_ago)
            status = ResidentStatus.MOVED_OUT
            archived = self.sink.timestamp(
                int(datetime.datetime.combine(moved_out, datetime.time(16, 30), tzinfo=ZONE).timestamp())
            )
        pk = self.residents.take_ids(1)
        self.sink.add(
            self.residents,
            (
                pk,
                self.born,
                self.born,
                dwelling.path,
                person.name,
                person.sex,
                birth.isoformat(),
                "id_card",
                sealer.seal(id_number, self.id_context),
                sealer.index(id_number),
                sealer.seal(phone, self.phone_context),
                sealer.index(phone),
                person.residence,
                "" if person.residence == Residence.REGISTERED else person.origin[1],
                dwelling.pk,
                household,
                person.relation,
                care_tags.pack([code for code in person.tags if code in care_tags.PLAIN_CODES]),
                sealer.seal(sensitive, self.tags_context),
                sealer.index_set(sensitive, self.tag_namespace) if sensitive else "",
                moved_in.isoformat(),
                moved_out.isoformat() if moved_out else None,
                status,
                archived,
            ),
        )
        counts = self.counts
        counts.residents += 1
        if status == ResidentStatus.LIVING:
            counts.living += 1
            counts.floating += person.residence == Residence.FLOATING
            if person.registration is not None:
                self.registration(person, pk, moved_in, dwelling.path)

    def registration(self, person: _Person, resident: int, moved_in: datetime.date, path: str) -> None:
        """As demo.people._registrations: the latest registration, with its permit, and the first one renewed."""
        today = self.today
        latest_days, expires_days, previous_days = person.registration

        def day(days_ago: int) -> datetime.date:
            return max(moved_in, today - datetime.timedelta(days=days_ago))

        latest = day(latest_days)
        expires = None if expires_days is None else today - datetime.timedelta(days=expires_days)
        rows: list[tuple[datetime.date, str, datetime.date | None]] = []
        if expires is None or expires <= latest:
            rows.append((latest, "", None))
        else:
            permit = self.numbers.permit(day(previous_days) if previous_days is not None else latest)
            rows.append((latest, permit, expires))
            if previous_days is not None and day(previous_days) < latest:
                rows.append((day(previous_days), permit, latest))
        first = self.registrations.take_ids(len(rows))
        for n, (registered_on, permit, expires_on) in enumerate(rows):
            self.sink.add(
                self.registrations,
                (
                    first + n,
                    self.born,
                    self.born,
                    path,
                    resident,
                    registered_on.isoformat(),
                    self.sealer.seal(permit, self.permit_context),
                    self.sealer.index(permit),
                    expires_on.isoformat() if expires_on else None,
                ),
            )
        self.counts.registrations += len(rows)
