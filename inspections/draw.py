"""The verifiable 双随机 draw (seed 002 二(二)): which institutions are inspected, and by whom.

Pure Python on plain frozen dataclasses, so models, a management command and a public page can all feed it
the same way. Nothing here reads the database, the clock or Python's ``random``.

Protocol
--------
1. Before the draw the portal keeps a secret seed (``new_seed()``) and publishes
   ``commitment(seed, canonical_input(...))``: the SHA-256 of the seed, of the canonical input lists and the
   algorithm version, bound together by ``commitment_hash = sha256(seed_hash || input_hash || algorithm)``
   (raw 32-byte digests, then the version in UTF-8).
2. ``run_draw`` produces the result; its ``result_hash`` covers the commitment hash, so a result cannot be
   re-attached to another commitment.
3. Afterwards the seed is revealed, and anyone with the same inputs calls ``verify_draw`` and gets the
   identical bytes, or a reason naming what differs.

Randomness (algorithm ``draw-v1``)
----------------------------------
* DRBG: ``key = HMAC-SHA256(seed, b"draw-v1/drbg" || input_hash)``; block ``i`` (i = 0, 1, ...) is
  ``HMAC-SHA256(key, i as 8 bytes big-endian)``; the blocks are read as one byte stream. Binding the input
  hash in means the same seed on different inputs yields an unrelated stream.
* Integers in ``[0, n)``: 8 bytes big-endian, rejected if ``>= 2**64 - 2**64 % n`` (no modulo bias).
* Institutions: Efraimidis–Spirakis weighted sampling without replacement. Each candidate, in ascending
  institution id, gets ``u = (2r + 1) / 2**65`` from a 64-bit ``r`` (so 0 < u < 1) and the key
  ``-ln(u) / w``; smallest key first (the same order as largest ``u**(1/w)``), ties by institution id.
  The key is computed in ``decimal`` at 50 significant digits, whose ``ln`` and division are correctly
  rounded by specification: unlike ``math.log`` (platform libm), every machine gets the same bits, which
  is the whole point of a draw anyone can re-run. Weights enter as their committed 6-decimal value.
* With ``uninspected_first`` the not-yet-inspected come first (in key order), then the rest.
* Teams, institution by institution in drawn order: for each required department (ascending id) not yet
  represented, then until ``team_size_min``: take the eligible inspectors with the lowest load so far in
  this draw, sorted by id, and pick one with ``randbelow``. Eligible = active, no declared conflict with
  the institution, not in ``previous_pairs`` for it, not already on the team. Each inspector belongs to one
  department, so this greedy order never makes a satisfiable team unsatisfiable; when none is left a
  ``DrawError`` names the institution and the missing department.
"""

from __future__ import annotations

import bisect
import functools
import hashlib
import heapq
import hmac
import itertools
import json
import secrets
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import ROUND_HALF_EVEN, Context, Decimal, InvalidOperation

ALGORITHM_VERSION = "draw-v1"
WEIGHT_PLACES = 6
_WEIGHT_QUANTUM = Decimal(1).scaleb(-WEIGHT_PLACES)
_DEC = Context(prec=50, rounding=ROUND_HALF_EVEN)
_TWO_65 = Decimal(2**65)
# 128 bits: a shorter seed could be found by brute force from the published seed_hash before the reveal,
# and then the draw would be predictable.
MIN_SEED_BYTES = 16


class DrawInputError(ValueError):
    """The inputs themselves are malformed (duplicate ids, non-positive weight, short seed...)."""


class DrawError(Exception):
    """No valid team can be formed for an institution; the draw must not produce a bad team instead."""

    def __init__(self, message: str, *, institution_id: int, department_id: int | None = None):
        super().__init__(message)
        self.institution_id = institution_id
        self.department_id = department_id


@dataclass(frozen=True)
class Candidate:
    institution_id: int
    district: str
    weight: float  # risk weight, > 0; committed (and used) at WEIGHT_PLACES decimals
    inspected_this_year: bool = False


@dataclass(frozen=True)
class Inspector:
    id: int
    department_id: int
    department_kind: str
    domains: frozenset[str] = frozenset()
    active: bool = True
    external: bool = False


@dataclass(frozen=True)
class Conflict:
    inspector_id: int
    institution_id: int


@dataclass(frozen=True)
class DrawRules:
    count: int
    team_size_min: int = 2
    required_department_ids: frozenset[int] = frozenset()
    previous_pairs: frozenset[tuple[int, int]] = frozenset()  # (inspector_id, institution_id)
    uninspected_first: bool = False

    def __post_init__(self):
        if self.count < 0:
            raise DrawInputError(f"count must be >= 0, got {self.count}")
        # 《养老机构行政检查办法》: an inspection is carried out by at least two inspectors.
        if self.team_size_min < 2:
            raise DrawInputError(f"team_size_min must be >= 2, got {self.team_size_min}")


@dataclass(frozen=True)
class DrawResult:
    institutions: tuple[int, ...]
    teams: tuple[tuple[int, tuple[int, ...]], ...]  # (institution_id, sorted inspector ids), drawn order
    commitment: dict = field(compare=False)
    result_hash: str = ""

    def team_for(self, institution_id: int) -> tuple[int, ...]:
        return dict(self.teams)[institution_id]

    def body(self) -> dict:
        """What result_hash covers."""
        return _result_body(self.commitment, self.institutions, self.teams)

    def to_dict(self) -> dict:
        return {**self.body(), "result_hash": self.result_hash}

    def canonical_bytes(self) -> bytes:
        return _canonical_json(self.body())

    def published_bytes(self) -> bytes:
        """``to_dict()`` as canonical JSON: what the portal stores and publishes after the reveal."""
        return _canonical_json(self.to_dict())


def new_seed() -> bytes:
    return secrets.token_bytes(32)


def _sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _canonical_json(obj) -> bytes:
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False).encode()


def _weight_decimal(weight) -> Decimal:
    try:
        return _weight_decimal_of(weight)
    except TypeError:  # unhashable: not a number either, and the uncached path says so
        return _weight_decimal_uncached(weight)


def _weight_decimal_uncached(weight) -> Decimal:
    # repr() of a float is its shortest round-tripping form, so 0.1 commits as "0.100000", not 0.1000000000000000055.
    try:
        d = Decimal(repr(weight)) if isinstance(weight, float) else Decimal(weight)
        q = d.quantize(_WEIGHT_QUANTUM, rounding=ROUND_HALF_EVEN)
    except (InvalidOperation, TypeError, ValueError) as exc:
        raise DrawInputError(f"weight {weight!r} is not a finite number") from exc
    if not q.is_finite() or q <= 0:
        raise DrawInputError(f"weight {weight!r} must be > 0 at {WEIGHT_PLACES} decimals")
    return q


# A province's candidates share a handful of weights: quantize each once, not 45,000 times. typed: 1.0 and
# Decimal("1.0") are equal keys otherwise (harmless, same quantum, but one should not stand in for the other).
_weight_decimal_of = functools.lru_cache(maxsize=4096, typed=True)(_weight_decimal_uncached)


def _unique(items, key, what):
    seen = set()
    for item in items:
        k = key(item)
        if k in seen:
            raise DrawInputError(f"duplicate {what} {k}")
        seen.add(k)


def _input_document(candidates, inspectors, conflicts, rules: DrawRules) -> dict:
    candidates, inspectors = list(candidates), list(inspectors)
    _unique(candidates, lambda c: c.institution_id, "institution_id")
    _unique(inspectors, lambda i: i.id, "inspector id")
    return {
        "candidates": [
            {
                "institution_id": int(c.institution_id),
                "district": str(c.district),
                "weight": str(_weight_decimal(c.weight)),
                "inspected_this_year": bool(c.inspected_this_year),
            }
            for c in sorted(candidates, key=lambda c: c.institution_id)
        ],
        "inspectors": [
            {
                "id": int(i.id),
                "department_id": int(i.department_id),
                "department_kind": str(i.department_kind),
                "domains": sorted(str(d) for d in i.domains),
                "active": bool(i.active),
                "external": bool(i.external),
            }
            for i in sorted(inspectors, key=lambda i: i.id)
        ],
        # Sets, not lists: declaring the same conflict twice does not change the draw, so not its hash either.
        "conflicts": sorted({(int(c.inspector_id), int(c.institution_id)) for c in conflicts}),
        "rules": {
            "count": int(rules.count),
            "team_size_min": int(rules.team_size_min),
            "required_department_ids": sorted(int(d) for d in rules.required_department_ids),
            "previous_pairs": sorted({(int(a), int(b)) for a, b in rules.previous_pairs}),
            "uninspected_first": bool(rules.uninspected_first),
        },
    }


def canonical_input(
    candidates: Iterable[Candidate], inspectors: Iterable[Inspector], conflicts: Iterable[Conflict], rules: DrawRules
) -> bytes:
    """UTF-8 JSON, sorted keys, no whitespace, lists sorted by id, weights as fixed 6-decimal strings."""
    return _canonical_json(_input_document(candidates, inspectors, conflicts, rules))


def commitment(secret_seed: bytes, input_bytes: bytes) -> dict:
    if len(secret_seed) < MIN_SEED_BYTES:
        raise DrawInputError(f"secret seed must be at least {MIN_SEED_BYTES} bytes")
    seed_digest = hashlib.sha256(secret_seed).digest()
    input_digest = hashlib.sha256(input_bytes).digest()
    return {
        "algorithm": ALGORITHM_VERSION,
        "seed_hash": seed_digest.hex(),
        "input_hash": input_digest.hex(),
        "commitment_hash": _sha256_hex(seed_digest + input_digest + ALGORITHM_VERSION.encode()),
    }


class Drbg:
    """HMAC-SHA256 in counter mode; see the module docstring for the exact construction."""

    def __init__(self, secret_seed: bytes, input_hash: bytes):
        self._key = hmac.digest(secret_seed, b"draw-v1/drbg" + input_hash, "sha256")
        self._counter = 0
        self._buffer = b""
        self._position = 0  # bytes of the buffer already read

    def read(self, n: int) -> bytes:
        while len(self._buffer) - self._position < n:
            block = hmac.digest(self._key, self._counter.to_bytes(8, "big"), "sha256")
            self._counter += 1
            self._buffer = self._buffer[self._position:] + block
            self._position = 0
        out = self._buffer[self._position:self._position + n]
        self._position += n
        return out

    def u64(self) -> int:
        return int.from_bytes(self.read(8), "big")

    def randbelow(self, n: int) -> int:
        if not 0 < n <= 2**64:
            raise ValueError(f"randbelow needs 0 < n <= 2**64, got {n}")
        limit = 2**64 - (2**64 % n)  # largest multiple of n that fits; values above it would favour small results
        while True:
            r = self.u64()
            if r < limit:
                return r % n


def _es_key(r: int, weight: Decimal) -> Decimal:
    u = _DEC.divide(Decimal(2 * r + 1), _TWO_65)
    return _DEC.divide(_DEC.minus(_DEC.ln(u)), weight)


def _drawn_institutions(candidates, rng: Drbg, count: int, uninspected_first: bool) -> list[int]:
    """The first ``count`` candidates in the specification's order: group (the uninspected first when asked),
    then key ascending, then institution id.

    Only the keys that order needs are computed (a province: 45,000 candidates, 9,000 drawn, a 50-digit ``ln``
    each). Candidates of one group and one weight form a class whose key order is known without a key: a
    larger ``r`` means a larger ``u`` and so a smaller key. Every step of the key is correctly rounded, hence
    monotone, and strictly so here — neighbouring ``u`` differ by at least 1e-19 relatively in ``u`` and in
    ``-ln(u)``, far above the 1e-49 resolution of 50 digits — so within a class the order is ``r`` descending,
    then id. A heap merges the classes, comparing the exact keys of their heads only: the keys computed are
    the drawn ones plus one head per class, and the order is the specification's bit for bit."""
    classes: dict[tuple[bool, str], list[tuple[int, int]]] = {}
    for c in candidates:  # already in ascending institution id: the stream order is fixed
        later = bool(c["inspected_this_year"]) if uninspected_first else False
        classes.setdefault((later, c["weight"]), []).append((-rng.u64(), c["institution_id"]))
    heap = []
    for (later, weight), members in classes.items():
        members.sort()  # r descending, then id
        weight = Decimal(weight)
        r, inst = -members[0][0], members[0][1]
        heap.append((later, _es_key(r, weight), inst, weight, members, 0))
    heapq.heapify(heap)  # (group, key, id) decide; ids are unique, so the tail is never compared
    drawn = []
    while heap and len(drawn) < count:
        later, _key, inst, weight, members, position = heap[0]
        drawn.append(inst)
        if position + 1 < len(members):
            minus_r, next_inst = members[position + 1]
            heapq.heapreplace(heap, (later, _es_key(-minus_r, weight), next_inst, weight, members, position + 1))
        else:
            heapq.heappop(heap)
    return drawn


class _Loads:
    """Each active inspector's load so far, also kept per department as {load: ids ascending}, so that "the
    eligible inspectors of a department with the lowest load, sorted by id" is read from one bucket instead of
    scanning the roster for every drawn institution (a province: 10,000 drawn, 1,000 inspectors). Gives
    exactly the list the specification describes; only the work to find it changed."""

    def __init__(self, active_ids, department_of: dict):
        self.load = dict.fromkeys(active_ids, 0)
        self.department_of = department_of
        self.buckets: dict[int, dict[int, list[int]]] = {}
        for i in active_ids:
            self.buckets.setdefault(department_of[i], {}).setdefault(0, []).append(i)

    def lowest(self, department_id, excluded: set) -> list[int]:
        levels = self.buckets.get(department_id, {})
        excluded = {i for i in excluded if self.department_of.get(i) == department_id}
        for level in sorted(levels):
            ids = levels[level]
            if excluded:
                ids = [i for i in ids if i not in excluded]
            if ids:
                return ids
        return []

    def add(self, inspector_id) -> None:
        levels = self.buckets[self.department_of[inspector_id]]
        level = self.load[inspector_id]
        bucket = levels[level]
        del bucket[bisect.bisect_left(bucket, inspector_id)]
        if not bucket:
            del levels[level]
        self.load[inspector_id] = level + 1
        bisect.insort(levels.setdefault(level + 1, []), inspector_id)


def _pick_lowest_load(pool: list[int], load: dict[int, int], rng: Drbg) -> int:
    lowest = min(load[i] for i in pool)
    tied = sorted(i for i in pool if load[i] == lowest)
    return tied[rng.randbelow(len(tied))]


def _draw(secret_seed: bytes, doc: dict, input_digest: bytes):
    rng = Drbg(secret_seed, input_digest)
    rules = doc["rules"]

    drawn = _drawn_institutions(doc["candidates"], rng, rules["count"], rules["uninspected_first"])

    inspectors = {i["id"]: i for i in doc["inspectors"]}
    blocked = {}  # institution -> inspectors it may not get (declared conflicts, the previous draw's pairs)
    for inspector_id, inst in [*doc["conflicts"], *rules["previous_pairs"]]:
        blocked.setdefault(inst, set()).add(inspector_id)
    active = [i["id"] for i in doc["inspectors"] if i["active"]]  # ascending id, as the document lists them
    loads = _Loads(active, {i: inspectors[i]["department_id"] for i in active})
    teams = []
    for inst in drawn:
        barred = blocked.get(inst, set())
        team: list[int] = []
        for dept in rules["required_department_ids"]:
            if any(inspectors[m]["department_id"] == dept for m in team):
                continue
            tied = loads.lowest(dept, barred.union(team))
            if not tied:
                raise DrawError(
                    f"institution {inst}: no eligible inspector from required department {dept} "
                    "(none active without a declared conflict or a previous inspection of it)",
                    institution_id=inst,
                    department_id=dept,
                )
            team.append(tied[rng.randbelow(len(tied))])
            loads.add(team[-1])
        while len(team) < rules["team_size_min"]:
            eligible = [i for i in active if i not in barred]
            pool = [i for i in eligible if i not in team]
            if not pool:
                raise DrawError(
                    f"institution {inst}: only {len(eligible)} eligible inspector(s), "
                    f"team needs at least {rules['team_size_min']}",
                    institution_id=inst,
                )
            team.append(_pick_lowest_load(pool, loads.load, rng))
            loads.add(team[-1])
        teams.append((inst, tuple(sorted(team))))
    return tuple(drawn), tuple(teams)


def _result_body(commit: Mapping, institutions, teams) -> dict:
    return {
        "algorithm": commit["algorithm"],
        "commitment_hash": commit["commitment_hash"],
        "institutions": list(institutions),
        "teams": [{"institution_id": inst, "inspector_ids": list(team)} for inst, team in teams],
    }


def run_draw(
    secret_seed: bytes,
    candidates: Iterable[Candidate],
    inspectors: Iterable[Inspector],
    conflicts: Iterable[Conflict],
    rules: DrawRules,
) -> DrawResult:
    doc = _input_document(candidates, inspectors, conflicts, rules)
    input_bytes = _canonical_json(doc)
    commit = commitment(secret_seed, input_bytes)
    institutions, teams = _draw(secret_seed, doc, bytes.fromhex(commit["input_hash"]))
    body = _result_body(commit, institutions, teams)
    return DrawResult(institutions, teams, commit, _sha256_hex(_canonical_json(body)))


def run_committed_draw(secret_seed: bytes, input_bytes: bytes) -> DrawResult:
    """``run_draw`` on a stored canonical input document: the same result, without decoding 45,000 candidates
    to objects and encoding them back (what executing a committed draw needs; ``verify_draw`` still takes
    the long way from objects). Bytes that are not a canonical document are refused with ``DrawInputError``:
    re-encoding must give them back, ids must ascend without repeats, weights must be committed 6-decimal
    values > 0 and the rules valid — what ``canonical_input`` would have guaranteed."""
    try:
        doc = json.loads(input_bytes)
        canonical = _canonical_json(doc) == bytes(input_bytes)
        candidate_ids = [c["institution_id"] for c in doc["candidates"]]
        inspector_ids = [i["id"] for i in doc["inspectors"]]
        weights = {c["weight"] for c in doc["candidates"]}
        r = doc["rules"]
        DrawRules(count=r["count"], team_size_min=r["team_size_min"])
    except (ValueError, KeyError, TypeError) as exc:
        raise DrawInputError(f"input document is malformed: {exc!r}") from exc
    if not canonical:
        raise DrawInputError("input document is not in canonical form")
    for what, ids in (("institution_id", candidate_ids), ("inspector id", inspector_ids)):
        if not all(isinstance(i, int) for i in ids) or any(i >= j for i, j in itertools.pairwise(ids)):
            raise DrawInputError(f"{what}s must be integers, ascending without repeats")
    for weight in weights:  # a handful of distinct values
        if not isinstance(weight, str) or str(_weight_decimal(weight)) != weight:
            raise DrawInputError(f"weight {weight!r} is not a committed {WEIGHT_PLACES}-decimal value")
    commit = commitment(secret_seed, bytes(input_bytes))
    institutions, teams = _draw(secret_seed, doc, bytes.fromhex(commit["input_hash"]))
    body = _result_body(commit, institutions, teams)
    return DrawResult(institutions, teams, commit, _sha256_hex(_canonical_json(body)))


def _published_body(published_result) -> tuple[dict, str | None]:
    if isinstance(published_result, DrawResult):
        return published_result.body(), published_result.result_hash
    if isinstance(published_result, bytes | str):
        published_result = json.loads(published_result)
    body = {k: v for k, v in published_result.items() if k != "result_hash"}
    return body, published_result.get("result_hash")


def verify_draw(
    revealed_seed: bytes,
    published_commitment: Mapping,
    candidates: Iterable[Candidate],
    inspectors: Iterable[Inspector],
    conflicts: Iterable[Conflict],
    rules: DrawRules,
    published_result,
) -> tuple[bool, str]:
    """Re-run the draw from the revealed seed and compare with what was published, byte for byte.

    ``published_result`` may be a DrawResult, its ``to_dict()``, or that dict as JSON.
    """
    algorithm = published_commitment.get("algorithm")
    if algorithm != ALGORITHM_VERSION:
        return False, f"algorithm version: published {algorithm!r}, this verifier implements {ALGORITHM_VERSION!r}"
    seed_hash = _sha256_hex(revealed_seed)
    if not hmac.compare_digest(seed_hash, str(published_commitment.get("seed_hash", ""))):
        return False, "seed hash: sha256 of the revealed seed does not match the published seed_hash"
    try:
        input_bytes = canonical_input(candidates, inspectors, conflicts, rules)
        expected_commit = commitment(revealed_seed, input_bytes)
    except DrawInputError as exc:
        return False, f"inputs rejected: {exc}"
    if expected_commit["input_hash"] != published_commitment.get("input_hash"):
        return False, "input hash: the candidates, inspectors, conflicts or rules differ from the committed ones"
    if expected_commit["commitment_hash"] != published_commitment.get("commitment_hash"):
        return False, "commitment hash: does not bind the published seed hash, input hash and algorithm"
    try:
        expected = run_draw(revealed_seed, candidates, inspectors, conflicts, rules)
    except DrawError as exc:
        return False, f"re-run raised DrawError, so no result can match: {exc}"
    try:
        body, claimed_hash = _published_body(published_result)
        published_bytes = _canonical_json(body)
    except (TypeError, ValueError, AttributeError) as exc:
        return False, f"published result is unreadable: {exc}"
    if published_bytes != expected.canonical_bytes():
        differs = [
            k for k in ("algorithm", "commitment_hash", "institutions", "teams") if body.get(k) != expected.body()[k]
        ]
        return False, f"result differs from the re-run in: {', '.join(differs) or 'encoding'}"
    if claimed_hash is not None and claimed_hash != expected.result_hash:
        return False, "result hash: the published result_hash does not match the result"
    return True, f"verified: re-run reproduces result {expected.result_hash}"


def inputs_from_canonical(input_bytes: bytes) -> tuple[list[Candidate], list[Inspector], list[Conflict], DrawRules]:
    """The inverse of ``canonical_input``: the objects a stored or downloaded input document describes.

    Feeding them back to ``canonical_input`` gives the same bytes for a canonical document; a verifier compares
    the SHA-256 of the bytes it was given as well, so a re-encoded document cannot pass for the committed one.
    """
    try:
        doc = json.loads(input_bytes)
        candidates = [Candidate(int(c["institution_id"]), str(c["district"]), Decimal(str(c["weight"])),
                                bool(c["inspected_this_year"])) for c in doc["candidates"]]
        inspectors = [Inspector(int(i["id"]), int(i["department_id"]), str(i["department_kind"]),
                                frozenset(str(d) for d in i["domains"]), bool(i["active"]), bool(i["external"]))
                      for i in doc["inspectors"]]
        conflicts = [Conflict(int(a), int(b)) for a, b in doc["conflicts"]]
        r = doc["rules"]
        rules = DrawRules(count=int(r["count"]), team_size_min=int(r["team_size_min"]),
                          required_department_ids=frozenset(int(d) for d in r["required_department_ids"]),
                          previous_pairs=frozenset((int(a), int(b)) for a, b in r["previous_pairs"]),
                          uninspected_first=bool(r["uninspected_first"]))
    except (ValueError, KeyError, TypeError, InvalidOperation) as exc:
        raise DrawInputError(f"input document is malformed: {exc!r}") from exc
    return candidates, inspectors, conflicts, rules


__all__ = [
    "ALGORITHM_VERSION",
    "Candidate",
    "Conflict",
    "DrawError",
    "DrawInputError",
    "DrawResult",
    "DrawRules",
    "Drbg",
    "Inspector",
    "canonical_input",
    "inputs_from_canonical",
    "commitment",
    "new_seed",
    "run_committed_draw",
    "run_draw",
    "verify_draw",
]
