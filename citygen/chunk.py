"""One chunk of the population, streamed household by household into part files.

A chunk is a pure function of (seed, population size, chunk number): it owns slices of every
number space (see `identity.py`), so chunks can run in any order, in parallel, and the merged
files are the same byte for byte whatever the number of workers.
"""

from __future__ import annotations

import random
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from citygen import badrows
from citygen.addresses import build_city
from citygen.clock import Periods
from citygen.config import GeneratorConfig
from citygen.departments import Context, Facts, KeyMaker, Row, plan_person, versions
from citygen.identity import IdentityAllocator
from citygen.organizations import OrganizationPool
from citygen.population import Household, PopulationBuilder
from citygen.truth import PERSONAL_SOURCES, TruthWriter, survivorship
from citygen.writers import FORMATS, ExportWriter

NAMESAKES = "namesakes.tsv"


@dataclass(frozen=True)
class ChunkJob:
    persons: int  # the whole population (the city and the employer pool are sized by it)
    seed: int
    out: str
    city: str
    deltas: int
    config: GeneratorConfig
    chunk: int
    chunks: int
    size: int  # persons per chunk (the last one may have fewer)

    @property
    def directory(self) -> Path:
        return Path(self.out) / ".parts" / f"{self.chunk:04d}"


def run_chunk(job: ChunkJob) -> dict[str, Any]:
    """Generate the chunk's people into part files under `job.directory`; returns its counters."""
    return _Chunk(job).run()


class _Chunk:
    def __init__(self, job: ChunkJob) -> None:
        self.job, self.config = job, job.config
        self.periods = Periods.make(job.config.timeline.cut, job.deltas)
        self.city = build_city(job.city, job.persons, job.seed,
                               job.config.population.village_per_group_numbering)
        ids = IdentityAllocator(job.seed, job.chunk, job.chunks, job.size)
        orgs = OrganizationPool(self.city, job.seed, job.persons, job.chunk, job.chunks)
        self.first = job.chunk * job.size
        self.target = min(job.size, job.persons - self.first)
        self.builder = PopulationBuilder(self.city, ids, orgs, job.config, self.periods, job.seed, self.first)
        self.ctx = Context(self.city, job.config, self.periods, ids, KeyMaker(job.city, job.chunk * 3 * job.size))
        job.directory.mkdir(parents=True, exist_ok=True)
        self.files = ExportWriter(job.directory, self.periods.labels, headers=False)
        self.truth = TruthWriter(job.directory)
        self.namesakes = open(job.directory / NAMESAKES, "w", encoding="utf-8")  # noqa: SIM115 - closed in run()
        self.file_rng = random.Random(f"{job.seed}:files:{job.chunk}")
        self.pending: list[tuple[str, int, bytes, dict[str, Any]]] = []
        self.appeared: set[str] = set()
        self.counters: dict[str, Counter[str]] = {k: Counter() for k in ("rows", "bad", "noise", "persons_in")}
        self.totals: Counter[str] = Counter()

    def run(self) -> dict[str, Any]:
        made, hid = 0, 0
        while made < self.target:
            hid += 1
            rng = random.Random(f"{self.job.seed}:household:{self.job.chunk}:{hid}")
            household = self.builder.household(hid, self.target - made, rng)
            made += len(household.members)
            self._household(household, rng)
        for source, period, data, obj in self.pending:  # exact duplicates, at the end of the part
            obj["row"] = self.files.write(source, period, data)
            obj["file"] = self.files.file_name(source, period)
            self.truth.record(obj)
            self.counters["rows"][obj["file"]] += 1
        self.files.close()
        self.truth.close()
        self.namesakes.close()
        self.totals.update(households=hid, persons=made, appearing=len(self.appeared))
        return {"chunk": self.job.chunk, **{k: dict(v) for k, v in self.counters.items()},
                "totals": dict(self.totals), "pairs": self.truth.pair_counts}

    def _household(self, household: Household, rng: random.Random) -> None:
        phones: dict[str, set[str]] = {}
        for person in household.members:
            good: list[Facts] = []
            sources: set[str] = set()
            for plan in plan_person(person, self.ctx, rng):
                for row in versions(plan, self.ctx, rng):
                    if self._emit(row):
                        good.append(row.facts)
                        sources.add(row.source)
            if not good:
                continue
            self.appeared.add(person.pid)
            self.counters["persons_in"].update(sources)
            self.truth.citizen({"person_id": person.pid, **survivorship(good)})
            phones[person.pid] = {f.phone for f in good if f.phone and f.source in PERSONAL_SOURCES}
            self.namesakes.write(f"{person.name}|{person.birth.isoformat()}\t{person.pid}\n")
        self._pairs(household, phones)

    def _emit(self, row: Row) -> bool:
        """Write one row (maybe corrupted, maybe duplicated later) and its truth; True if it is good."""
        fmt = FORMATS[row.source]
        mess = self.config.mess
        key_ok = True
        if self.file_rng.random() < mess.bad_row:
            data, reason, key_ok = badrows.corrupt(fmt, row.values, self.file_rng)
            row.bad = reason
        else:
            data = fmt.encode(row.values)
        name = self.files.file_name(row.source, row.period)
        obj: dict[str, Any] = {
            "file": name,
            "row": self.files.write(row.source, row.period, data),
            "source": row.source,
            "record_id": row.facts.record_id if key_ok else None,
            "person_id": row.person_id,
            "address_id": row.facts.place_id,
            "organization_id": row.facts.org_id,
            "updated_ms": row.facts.time,
            "noise": row.noise,
        }
        self.counters["rows"][name] += 1
        self.counters["noise"].update(row.noise)
        if row.bad:
            obj["bad"] = row.bad
            self.counters["bad"][f"{row.source}:{row.bad}"] += 1
        self.truth.record(obj)
        if row.bad:
            return False
        if row.place is not None:
            self.truth.place(row.place, self.city)
        if row.org is not None:
            self.truth.organization(row.org)
        if self.file_rng.random() < mess.duplicate_row:
            period = self.file_rng.randint(row.period, len(self.periods.bounds) - 1)
            self.pending.append((row.source, period, data, {**obj, "noise": [*row.noise, "duplicate"]}))
            self.counters["noise"]["duplicate"] += 1
        return True

    def _pairs(self, household: Household, phones: dict[str, set[str]]) -> None:
        """Look-alikes planted in the household (and namesakes by name only), and shared phones."""
        members = [p for p in household.members if p.pid in self.appeared]
        for person in members:
            for other, kind in person.look_alikes:
                if kind == "namesake_same_birth" or other not in self.appeared:
                    continue  # same name + birth date pairs are all found when the parts are merged
                if kind in ("namesake_same_name", "recycled_mobile") or person.pid < other:
                    self.truth.pair(person.pid, other, kind)
        for i, a in enumerate(members):
            for b in members[i + 1 :]:
                shared = phones.get(a.pid, set()) & phones.get(b.pid, set())
                if shared:
                    kind = "shared_landline" if household.landline in shared else "shared_mobile"
                    self.truth.pair(a.pid, b.pid, kind)
