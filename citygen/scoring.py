"""Resolution quality against ground truth: pairwise and B-cubed cluster scores, forbidden merges,
master-field accuracy — and `hub score`, which applies them to `hub resolve` output.

The metric functions are pure and work on parallel label sequences (item i is predicted in
cluster predicted[i] and truly in cluster truth[i]). Pair counts come from cluster sizes
(Σ C(n, 2) over contingency cells), never from enumerating pairs, so a million items is cheap.
Conventions for degenerate inputs: with no predicted pairs precision is 1; with no true pairs
recall is 1 (nothing to find); F1 is the harmonic mean, 0 when both are 0.
"""

from __future__ import annotations

import sys
from collections import Counter, defaultdict
from collections.abc import Hashable, Iterable, Mapping, Sequence
from collections.abc import Set as AbstractSet
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson


@dataclass(frozen=True)
class ClusterScores:
    """Pairwise and B-cubed precision/recall/F1 of one clustering against the truth."""

    items: int
    predicted_pairs: int
    true_pairs: int
    correct_pairs: int
    pair_precision: float
    pair_recall: float
    pair_f1: float
    bcubed_precision: float
    bcubed_recall: float
    bcubed_f1: float


def _f1(precision: float, recall: float) -> float:
    return 0.0 if precision + recall == 0 else 2 * precision * recall / (precision + recall)


def _pairs(n: int) -> int:
    return n * (n - 1) // 2


class _Unlabelled:
    """A fresh label per unlabelled item: an item the hub gave no cluster is a cluster of its own."""

    __slots__ = ()


def singletons(labels: Iterable[Hashable | None]) -> list[Hashable]:
    """Replace each None label with a unique one."""
    return [_Unlabelled() if label is None else label for label in labels]


def cluster_scores(predicted: Sequence[Hashable | None], truth: Sequence[Hashable]) -> ClusterScores:
    """Pairwise and B-cubed scores of `predicted` against `truth` (same length, item by item)."""
    if len(predicted) != len(truth):
        raise ValueError(f"{len(predicted)} predicted labels for {len(truth)} true labels")
    labels = singletons(predicted)
    cells: Counter[tuple[Hashable, Hashable]] = Counter(zip(labels, truth, strict=True))
    pred_sizes: Counter[Hashable] = Counter(labels)
    true_sizes: Counter[Hashable] = Counter(truth)
    correct = sum(_pairs(n) for n in cells.values())
    predicted_pairs = sum(_pairs(n) for n in pred_sizes.values())
    true_pairs = sum(_pairs(n) for n in true_sizes.values())
    precision = correct / predicted_pairs if predicted_pairs else 1.0
    recall = correct / true_pairs if true_pairs else 1.0
    n = len(truth)
    # B-cubed: item i scores |C(i) ∩ T(i)| / |C(i)| and / |T(i)|; items in one cell share that value
    b_precision = sum(m * m / pred_sizes[p] for (p, _), m in cells.items()) / n if n else 1.0
    b_recall = sum(m * m / true_sizes[t] for (_, t), m in cells.items()) / n if n else 1.0
    return ClusterScores(n, predicted_pairs, true_pairs, correct, precision, recall, _f1(precision, recall),
                         b_precision, b_recall, _f1(b_precision, b_recall))


def majority(labels: Iterable[Hashable | None]) -> Hashable | None:
    """The most frequent non-None label; ties go to the smallest label's string form (deterministic)."""
    counts = Counter(label for label in labels if label is not None)
    if not counts:
        return None
    top = max(counts.values())
    return min((label for label, c in counts.items() if c == top), key=str)


def forbidden_merges(clusters_of: Mapping[str, AbstractSet[Hashable]],
                     hard_pairs: Iterable[tuple[str, str, str]]) -> tuple[Counter[str], Counter[str]]:
    """(merged, total) per kind: a hard pair (a, b, kind) is merged when some predicted cluster holds
    records of both true persons a and b."""
    merged: Counter[str] = Counter()
    total: Counter[str] = Counter()
    for a, b, kind in hard_pairs:
        total[kind] += 1
        if not clusters_of.get(a, frozenset()).isdisjoint(clusters_of.get(b, frozenset())):
            merged[kind] += 1
    return merged, total


MASTER_FIELDS = ("name", "id_number", "birth_date", "gender", "phone", "address_id", "registered_address_id",
                 "death_date")
#: master fields that hold a predicted address id, scored by the true address most of its rows have
ADDRESS_FIELDS = frozenset({"address_id", "registered_address_id"})


def master_accuracy(truth: Iterable[Mapping[str, Any]], master_of: Mapping[str, Hashable | None],
                    masters: Mapping[Hashable, Mapping[str, Any]],
                    address_truth_of: Mapping[Hashable, Hashable]) -> tuple[int, dict[str, float]]:
    """Per field, the share of true citizens whose predicted master shows the right value.

    `master_of` maps a true person to the predicted citizen id holding most of their records;
    `address_truth_of` maps a predicted address id to the true address id most of its rows have.
    A person with no predicted master gets every field wrong. Returns (citizens, accuracy by field,
    plus "all" for citizens with every field right)."""
    right: Counter[str] = Counter()
    count = 0
    for citizen in truth:
        count += 1
        master = masters.get(master_of.get(citizen["person_id"]))
        if master is None:
            continue
        all_right = True
        for name in MASTER_FIELDS:
            predicted = master.get(name)
            if name in ADDRESS_FIELDS and predicted is not None:
                predicted = address_truth_of.get(predicted)
            if predicted == citizen.get(name):
                right[name] += 1
            else:
                all_right = False
        right["all"] += all_right
    return count, {name: right[name] / count if count else 1.0 for name in (*MASTER_FIELDS, "all")}


# --- reading `hub resolve` output against a truth directory --------------------------------------

@dataclass(slots=True)
class _Item:
    """One good truth row, aligned with the predicted row at the same position for its record key."""

    person: str | None
    address: str | None
    organization: str | None
    noise: tuple[str, ...]
    citizen: str | None = None
    predicted_address: str | None = None
    predicted_organization: str | None = None


@dataclass
class Report:
    citizens: ClusterScores
    addresses: ClusterScores
    organizations: ClusterScores
    forbidden: Counter[str]
    hard_pairs: Counter[str]
    bad_truth: int
    bad_flagged: int
    bad_flagged_truly_bad: int
    unmatched_keys: int
    linked: dict[str, tuple[int, int]] = field(default_factory=dict)
    master_citizens: int = 0
    master_fields: dict[str, float] = field(default_factory=dict)

    def table(self) -> str:
        lines = [f"{'':15}{'items':>10}{'pair P':>9}{'pair R':>9}{'pair F1':>9}{'B3 P':>9}{'B3 R':>9}{'B3 F1':>9}"]
        for label, s in (("citizens", self.citizens), ("addresses", self.addresses),
                         ("organizations", self.organizations)):
            lines.append(f"{label:15}{s.items:>10}{s.pair_precision:>9.4f}{s.pair_recall:>9.4f}{s.pair_f1:>9.4f}"
                         f"{s.bcubed_precision:>9.4f}{s.bcubed_recall:>9.4f}{s.bcubed_f1:>9.4f}")
        total_forbidden, total_pairs = sum(self.forbidden.values()), sum(self.hard_pairs.values())
        lines.append(f"forbidden merges: {total_forbidden} of {total_pairs} hard pairs")
        for kind in sorted(self.hard_pairs):
            lines.append(f"  {kind:26}{self.forbidden[kind]:>8} of {self.hard_pairs[kind]}")
        lines.append(f"bad rows: {self.bad_truth} in truth, {self.bad_flagged} flagged as errors, "
                     f"{self.bad_flagged_truly_bad} of them on truly bad rows (same department and key)")
        if self.unmatched_keys:
            lines.append(f"record keys whose row count differs from the truth: {self.unmatched_keys}")
        if self.linked:
            lines.append("hard merges (rows in their person's main cluster):")
            for tag, (ok, n) in sorted(self.linked.items()):
                lines.append(f"  {tag:26}{ok / n if n else 1.0:>8.4f}  ({ok} of {n})")
        if self.master_fields:
            lines.append(f"master field accuracy over {self.master_citizens} citizens:")
            for name, value in self.master_fields.items():
                lines.append(f"  {name:26}{value:>8.4f}")
        return "\n".join(lines)

    def as_dict(self) -> dict[str, Any]:
        return {
            "citizens": self.citizens.__dict__, "addresses": self.addresses.__dict__,
            "organizations": self.organizations.__dict__, "forbidden_merges": dict(self.forbidden),
            "hard_pairs": dict(self.hard_pairs), "bad_truth": self.bad_truth, "bad_flagged": self.bad_flagged,
            "bad_flagged_truly_bad": self.bad_flagged_truly_bad, "unmatched_keys": self.unmatched_keys,
            "hard_merges_linked": {k: {"linked": a, "rows": b} for k, (a, b) in self.linked.items()},
            "master_citizens": self.master_citizens, "master_fields": self.master_fields,
        }


#: noise tags whose rows are hard to link: the scorer reports how many landed with their person
HARD_MERGE_TAGS = ("planted_typo_traditional", "no_resident_id", "id_wrong_digit", "id_transposition",
                   "id_legacy15", "id_blank", "name_traditional", "name_homophone_typo", "name_dot_variant",
                   "stale_late", "birth_differs_from_id")


def _intern(value: str | None) -> str | None:
    """One string object per id: millions of rows repeat a few hundred thousand ids."""
    return None if value is None else sys.intern(value)


def _jsonl(path: Path) -> Iterable[dict[str, Any]]:
    with open(path, "rb") as lines:
        for line in lines:
            if line.strip():
                yield orjson.loads(line)


def _load_truth(truth_dir: Path) -> tuple[dict[tuple[str, str], list[_Item]], Counter[tuple[str, str]], int]:
    """Good truth rows by record key in file order (base, then deltas by date; rows in file order)."""
    rows: dict[tuple[str, str], list[tuple[str, int, _Item]]] = defaultdict(list)
    bad_keys: Counter[tuple[str, str]] = Counter()
    bad = 0
    for obj in _jsonl(truth_dir / "records.jsonl"):
        if obj.get("bad"):
            bad += 1
            bad_keys[(obj["source"], obj.get("record_id") or "")] += 1  # "": the key itself is unreadable
            continue
        item = _Item(_intern(obj.get("person_id")), _intern(obj.get("address_id")),
                     _intern(obj.get("organization_id")), tuple(sys.intern(t) for t in obj.get("noise") or ()))
        rows[(sys.intern(obj["source"]), obj["record_id"])].append((sys.intern(obj["file"]), obj["row"], item))
    ordered = {key: [item for _, _, item in sorted(group, key=lambda r: (r[0], r[1]))]
               for key, group in rows.items()}
    return ordered, bad_keys, bad


def score(truth_dir: Path, resolved: Path, masters_path: Path | None = None) -> Report:
    """Score `hub resolve` output (and optionally its masters) against a generator's truth directory.

    Predicted rows are matched to truth rows by (source, record_id); a key's rows are aligned in
    order, so the output must keep each key's rows in input order (files as given: base first)."""
    truth, bad_keys, bad_truth = _load_truth(truth_dir)
    predicted: dict[tuple[str, str], list[tuple[str | None, str | None, str | None]]] = defaultdict(list)
    flagged_keys: Counter[tuple[str, str]] = Counter()
    for obj in _jsonl(resolved):
        key = (obj.get("source") or "", obj.get("record_id") or "")
        if obj.get("error"):
            flagged_keys[key] += 1
            continue
        predicted[key].append((_intern(obj.get("citizen_id")), _intern(obj.get("address_id")),
                               _intern(obj.get("organization_id"))))
    flagged = sum(flagged_keys.values())
    flagged_bad = sum(min(n, bad_keys[key]) for key, n in flagged_keys.items())
    unmatched = 0
    items: list[_Item] = []
    for key, group in truth.items():
        rows = predicted.get(key, [])
        unmatched += len(rows) != len(group)
        for i, item in enumerate(group):
            if i < len(rows):
                item.citizen, item.predicted_address, item.predicted_organization = rows[i]
            items.append(item)
    people = [i for i in items if i.person is not None]
    places = [i for i in items if i.address is not None]
    orgs = [i for i in items if i.organization is not None]
    citizens = cluster_scores([i.citizen for i in people], [i.person for i in people])
    addresses = cluster_scores([i.predicted_address for i in places], [i.address for i in places])
    organizations = cluster_scores([i.predicted_organization for i in orgs], [i.organization for i in orgs])
    clusters_of: dict[str, set[Hashable]] = defaultdict(set)
    labels_of: dict[str, list[str | None]] = defaultdict(list)
    for item in people:
        assert item.person is not None
        labels_of[item.person].append(item.citizen)
        if item.citizen is not None:
            clusters_of[item.person].add(item.citizen)
    pairs = ((p["a"], p["b"], p["kind"]) for p in _jsonl(truth_dir / "hard_pairs.jsonl"))
    forbidden, hard_total = forbidden_merges(clusters_of, pairs)
    master_of = {person: majority(labels) for person, labels in labels_of.items()}
    linked: dict[str, tuple[int, int]] = {}
    for tag in HARD_MERGE_TAGS:
        tagged = [i for i in people if tag in i.noise]
        if tagged:
            ok = sum(1 for i in tagged if i.citizen is not None and i.citizen == master_of[i.person or ""])
            linked[tag] = (ok, len(tagged))
    report = Report(citizens, addresses, organizations, forbidden, hard_total, bad_truth, flagged, flagged_bad,
                    unmatched, linked)
    if masters_path is not None:
        masters = {m["citizen_id"]: m for m in _jsonl(masters_path)}
        address_votes: dict[str, list[str]] = defaultdict(list)
        for item in places:
            if item.predicted_address is not None and item.address is not None:
                address_votes[item.predicted_address].append(item.address)
        address_truth_of = {p: majority(v) for p, v in address_votes.items()}
        count, fields = master_accuracy(_jsonl(truth_dir / "citizens.jsonl"), master_of, masters,
                                        {k: v for k, v in address_truth_of.items() if v is not None})
        report.master_citizens, report.master_fields = count, fields
    return report
