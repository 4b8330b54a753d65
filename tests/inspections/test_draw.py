"""The verifiable 双随机 draw (issue 4, item 4): reproducibility, verification, constraints, frequencies, balance.

Pure: plain dataclasses in, no database."""

import dataclasses
import hashlib
import random
from collections import Counter

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from inspections.draw import (
    ALGORITHM_VERSION,
    Candidate,
    Conflict,
    DrawError,
    DrawInputError,
    DrawRules,
    Drbg,
    Inspector,
    canonical_input,
    commitment,
    run_committed_draw,
    run_draw,
    verify_draw,
)

SEED = hashlib.sha256(b"test seed").digest()


def _population():
    candidates = [
        Candidate(101, "和平区", 1.0, False),
        Candidate(102, "和平区", 2.5, True),
        Candidate(103, "沈河区", 0.1, False),
        Candidate(104, "沈河区", 4.0, False),
        Candidate(105, "皇姑区", 3.0, True),
    ]
    inspectors = [
        Inspector(1, 10, "civil_affairs", frozenset({"登记事项"})),
        Inspector(2, 10, "civil_affairs", frozenset({"服务收费"})),
        Inspector(3, 20, "fire", frozenset({"消防"})),
        Inspector(4, 20, "fire", frozenset({"消防"})),
        Inspector(5, 30, "health", frozenset({"医疗卫生"}), external=True),
        Inspector(6, 30, "health", frozenset({"食品"})),
    ]
    conflicts = [Conflict(3, 104)]
    rules = DrawRules(
        count=3,
        team_size_min=2,
        required_department_ids=frozenset({10, 20}),
        previous_pairs=frozenset({(1, 101)}),
        uninspected_first=True,
    )
    return candidates, inspectors, conflicts, rules


def test_same_inputs_and_seed_reproduce_the_draw_byte_for_byte():
    first = run_draw(SEED, *_population())
    # Same content, different order and float spelling: the canonical form must not care.
    candidates, inspectors, conflicts, rules = _population()
    second = run_draw(SEED, list(reversed(candidates)), list(reversed(inspectors)), conflicts * 2, rules)
    assert first.canonical_bytes() == second.canonical_bytes()
    assert first.result_hash == second.result_hash
    assert first.commitment == second.commitment
    assert first.commitment["algorithm"] == ALGORITHM_VERSION
    # uninspected_first: 101, 103, 104 are the uninspected ones and count is 3.
    assert sorted(first.institutions) == [101, 103, 104]
    ok, reason = verify_draw(SEED, first.commitment, *_population(), first)
    assert ok, reason
    ok, reason = verify_draw(SEED, first.commitment, *_population(), first.to_dict())
    assert ok, reason


def test_draw_v1_golden_vector():
    # Published draws must keep verifying: any change to the algorithm's output needs a new ALGORITHM_VERSION,
    # not an edit of these pinned values.
    result = run_draw(SEED, *_population())
    assert result.institutions == (101, 104, 103)
    assert result.teams == ((101, (2, 4)), (104, (1, 4)), (103, (1, 3)))
    assert result.commitment["commitment_hash"] == "a783f4dca06438f2c9d0549c69a9db9adeb8275acc103d73b922de83c7e3cf86"
    assert result.result_hash == "14fa040bf70d7662d07524d04a4dafc7c77545f3b92599e9b93d2811998e0ca0"


def _specification_order(secret_seed, candidates, inspectors, conflicts, rules) -> tuple[int, ...]:
    """The institutions as draw-v1's text orders them: every candidate's key, one full sort."""
    from decimal import Decimal

    from inspections.draw import _es_key, _input_document

    doc = _input_document(candidates, inspectors, conflicts, rules)
    rng = Drbg(secret_seed, hashlib.sha256(canonical_input(candidates, inspectors, conflicts, rules)).digest())
    keyed = sorted(
        (c["inspected_this_year"] if rules.uninspected_first else False, _es_key(rng.u64(), Decimal(c["weight"])),
         c["institution_id"])
        for c in doc["candidates"]
    )
    return tuple(inst for _, _, inst in keyed[: rules.count])


@pytest.mark.parametrize("weights", [(1.0, 1.5, 3.0, 0.5), (1.0,), tuple(0.01 * n for n in range(1, 400))])
@pytest.mark.parametrize("uninspected_first", [False, True])
@pytest.mark.parametrize("share", [0.2, 1.0])
def test_keys_computed_for_the_drawn_only_give_the_specifications_order(weights, uninspected_first, share):
    # A province has a handful of weight classes and draws a fifth of its candidates; also: one class, a weight
    # per candidate nearly, everyone drawn.
    rnd = random.Random(f"{weights}{uninspected_first}{share}")
    candidates = [Candidate(i, "d", rnd.choice(weights), rnd.random() < 0.3) for i in range(1, 2001)]
    inspectors = [Inspector(1, 10, "civil_affairs"), Inspector(2, 10, "civil_affairs")]
    rules = DrawRules(count=int(len(candidates) * share), uninspected_first=uninspected_first)
    result = run_draw(SEED, candidates, inspectors, [], rules)
    assert result.institutions == _specification_order(SEED, candidates, inspectors, [], rules)


def test_equal_keys_fall_back_to_institution_id_as_specified(monkeypatch):
    # A DRBG with only eight values makes equal keys common, within a weight class and across groups.
    real_u64 = Drbg.u64
    monkeypatch.setattr(Drbg, "u64", lambda self: (real_u64(self) % 8) << 61)
    candidates = [Candidate(i, "d", (1.0, 2.0)[i % 2], i % 3 == 0) for i in range(1, 301)]
    inspectors = [Inspector(1, 10, "civil_affairs"), Inspector(2, 10, "civil_affairs")]
    rules = DrawRules(count=120, uninspected_first=True)
    result = run_draw(SEED, candidates, inspectors, [], rules)
    assert result.institutions == _specification_order(SEED, candidates, inspectors, [], rules)


def test_a_committed_document_runs_to_the_same_result_as_its_objects():
    input_bytes = canonical_input(*_population())
    assert run_committed_draw(SEED, input_bytes).published_bytes() == run_draw(SEED, *_population()).published_bytes()


@pytest.mark.parametrize("tamper", [
    lambda doc: doc.replace(b'{"active"', b'{ "active"', 1),  # not canonical
    lambda doc: doc.replace(b'"weight":"1.000000"', b'"weight":"1.0"'),  # not a committed weight
    lambda doc: doc.replace(b'"weight":"1.000000"', b'"weight":"0.000000"'),
    lambda doc: doc.replace(b'"institution_id":102', b'"institution_id":101'),  # a repeated id
    lambda doc: doc.replace(b'"team_size_min":2', b'"team_size_min":1'),
    lambda doc: doc[:-1],
])
def test_a_committed_document_that_canonical_input_could_not_have_written_is_refused(tamper):
    input_bytes = canonical_input(*_population())
    tampered = tamper(input_bytes)
    assert tampered != input_bytes
    with pytest.raises(DrawInputError):
        run_committed_draw(SEED, tampered)


def test_commitment_binds_seed_input_and_algorithm():
    input_bytes = canonical_input(*_population())
    commit = commitment(SEED, input_bytes)
    seed_d, input_d = hashlib.sha256(SEED).digest(), hashlib.sha256(input_bytes).digest()
    assert commit["seed_hash"] == seed_d.hex()
    assert commit["input_hash"] == input_d.hex()
    assert commit["commitment_hash"] == hashlib.sha256(seed_d + input_d + b"draw-v1").hexdigest()
    # Weights are committed as fixed-precision decimal strings, never as float reprs.
    assert b'"weight":"0.100000"' in input_bytes and b'"weight":"2.500000"' in input_bytes


def _changed(what):
    candidates, inspectors, conflicts, rules = _population()
    if what == "weight":
        candidates[0] = dataclasses.replace(candidates[0], weight=1.5)
    elif what == "conflict":
        conflicts = [*conflicts, Conflict(4, 101)]
    elif what == "department":
        inspectors[5] = dataclasses.replace(inspectors[5], department_id=20)
    return candidates, inspectors, conflicts, rules


@pytest.mark.parametrize("what", ["weight", "conflict", "department"])
def test_a_changed_input_fails_verification_on_the_input_hash(what):
    published = run_draw(SEED, *_population())
    ok, reason = verify_draw(SEED, published.commitment, *_changed(what), published)
    assert not ok
    assert reason.startswith("input hash")


def test_a_wrong_revealed_seed_fails_on_the_seed_hash():
    published = run_draw(SEED, *_population())
    ok, reason = verify_draw(hashlib.sha256(b"another").digest(), published.commitment, *_population(), published)
    assert not ok
    assert reason.startswith("seed hash")


def test_a_tampered_result_or_algorithm_fails():
    published = run_draw(SEED, *_population())
    tampered = published.to_dict()
    tampered["teams"][0]["inspector_ids"] = [1, 2]
    ok, reason = verify_draw(SEED, published.commitment, *_population(), tampered)
    assert not ok and "teams" in reason

    swapped = published.to_dict()
    swapped["result_hash"] = "0" * 64
    ok, reason = verify_draw(SEED, published.commitment, *_population(), swapped)
    assert not ok and reason.startswith("result hash")

    ok, reason = verify_draw(SEED, {**published.commitment, "algorithm": "draw-v0"}, *_population(), published)
    assert not ok and reason.startswith("algorithm version")


def test_the_draw_never_touches_pythons_global_random(monkeypatch):
    def forbidden(*args, **kwargs):
        raise AssertionError("the draw must not use the random module")

    for name in ("random", "randrange", "randint", "choice", "shuffle", "sample", "choices", "getrandbits"):
        monkeypatch.setattr(random, name, forbidden)
    run_draw(SEED, *_population())


def test_bad_inputs_are_refused():
    candidates, inspectors, conflicts, rules = _population()
    with pytest.raises(DrawInputError):
        run_draw(SEED, [*candidates, Candidate(101, "x", 1.0, False)], inspectors, conflicts, rules)
    with pytest.raises(DrawInputError):
        run_draw(SEED, [Candidate(1, "x", 0.0, False)], inspectors, conflicts, rules)
    with pytest.raises(DrawInputError):
        run_draw(SEED, [Candidate(1, "x", float("nan"), False)], inspectors, conflicts, rules)
    with pytest.raises(DrawInputError):
        run_draw(b"short", candidates, inspectors, conflicts, rules)
    with pytest.raises(DrawInputError):
        DrawRules(count=1, team_size_min=1)


def test_an_unsatisfiable_team_raises_naming_institution_and_department():
    candidates = [Candidate(7, "和平区", 1.0, False)]
    inspectors = [Inspector(1, 10, "civil_affairs"), Inspector(2, 10, "civil_affairs"), Inspector(3, 20, "fire")]
    rules = DrawRules(count=1, required_department_ids=frozenset({10, 20}))
    with pytest.raises(DrawError) as exc:
        run_draw(SEED, candidates, inspectors, [Conflict(3, 7)], rules)
    assert exc.value.institution_id == 7 and exc.value.department_id == 20
    assert "institution 7" in str(exc.value) and "department 20" in str(exc.value)


def test_randbelow_is_deterministic_and_in_range():
    a, b = Drbg(SEED, b"x" * 32), Drbg(SEED, b"x" * 32)
    xs = [a.randbelow(3) for _ in range(3000)]
    assert xs == [b.randbelow(3) for _ in range(3000)]
    counts = Counter(xs)
    assert set(counts) == {0, 1, 2} and min(counts.values()) > 900
    # A different input hash gives an unrelated stream from the same seed.
    assert Drbg(SEED, b"y" * 32).read(32) != Drbg(SEED, b"x" * 32).read(32)


# --- hypothesis: constraints on 1,000 random draws ------------------------------------------------------------


@st.composite
def populations(draw):
    n_inst = draw(st.integers(5, 40))
    n_districts = draw(st.integers(1, 4))
    inst_ids = list(range(1000, 1000 + n_inst))
    # One list draw per field, not one draw per institution: keeps generation fast over 1,000 examples.
    districts = draw(st.lists(st.integers(1, n_districts), min_size=n_inst, max_size=n_inst))
    weights = draw(st.lists(st.floats(0.01, 20), min_size=n_inst, max_size=n_inst))
    inspected = draw(st.lists(st.booleans(), min_size=n_inst, max_size=n_inst))
    candidates = [
        Candidate(i, f"district-{d}", w, f) for i, d, w, f in zip(inst_ids, districts, weights, inspected, strict=True)
    ]
    n_insp = draw(st.integers(4, 20))
    n_depts = draw(st.integers(1, 4))
    depts = draw(st.lists(st.integers(1, n_depts), min_size=n_insp, max_size=n_insp))
    inactive = draw(st.sets(st.integers(1, n_insp), max_size=max(1, n_insp // 5)))
    external = draw(st.sets(st.integers(1, n_insp), max_size=n_insp // 2))
    domains = st.sampled_from([frozenset(), frozenset({"消防"}), frozenset({"食品", "医疗卫生"})])
    inspectors = [
        Inspector(i, d, f"kind-{d}", draw(domains), active=i not in inactive, external=i in external)
        for i, d in enumerate(depts, 1)
    ]
    pair = st.tuples(st.sampled_from([i.id for i in inspectors]), st.sampled_from(inst_ids))
    conflicts = [Conflict(a, b) for a, b in draw(st.lists(pair, max_size=n_inst))]
    previous = frozenset(draw(st.lists(pair, max_size=n_inst * 2)))
    # Required departments are ones that exist among active inspectors with at least one member.
    active_depts = sorted({i.department_id for i in inspectors if i.active})
    required = frozenset(draw(st.lists(st.sampled_from(active_depts), unique=True))) if active_depts else frozenset()
    rules = DrawRules(
        count=draw(st.integers(1, n_inst)),
        team_size_min=draw(st.integers(2, 4)),
        required_department_ids=required,
        previous_pairs=previous,
        uninspected_first=draw(st.booleans()),
    )
    return candidates, inspectors, conflicts, rules


def _eligible(inspector, institution_id, conflicts, rules):
    return (
        inspector.active
        and Conflict(inspector.id, institution_id) not in conflicts
        and (inspector.id, institution_id) not in rules.previous_pairs
    )


@settings(max_examples=1000, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(population=populations(), seed=st.binary(min_size=32, max_size=32))
def test_every_team_satisfies_every_constraint(population, seed):
    candidates, inspectors, conflicts, rules = population
    conflict_set = set(conflicts)
    try:
        result = run_draw(seed, candidates, inspectors, conflicts, rules)
    except DrawError as exc:
        event("DrawError, missing department" if exc.department_id is not None else "DrawError, too few eligible")
        # Only when the population truly cannot staff that institution.
        inst = exc.institution_id
        eligible = [i for i in inspectors if _eligible(i, inst, conflict_set, rules)]
        if exc.department_id is not None:
            assert exc.department_id in rules.required_department_ids
            assert not [i for i in eligible if i.department_id == exc.department_id]
        else:
            assert len(eligible) < rules.team_size_min
        return

    event("draw succeeded")
    by_id = {i.id: i for i in inspectors}
    assert len(result.institutions) == min(rules.count, len(candidates))
    assert len(set(result.institutions)) == len(result.institutions)
    assert [inst for inst, _ in result.teams] == list(result.institutions)
    if rules.uninspected_first:
        flags = {c.institution_id: c.inspected_this_year for c in candidates}
        drawn_flags = [flags[i] for i in result.institutions]
        assert drawn_flags == sorted(drawn_flags)  # every uninspected one before any inspected one
        uninspected = sum(not f for f in flags.values())
        assert sum(not f for f in drawn_flags) == min(uninspected, len(drawn_flags))
    for inst, team in result.teams:
        assert len(set(team)) == len(team) >= rules.team_size_min
        assert len(team) == max(rules.team_size_min, len(rules.required_department_ids))
        assert {by_id[i].department_id for i in team} >= rules.required_department_ids
        for i in team:
            assert _eligible(by_id[i], inst, conflict_set, rules), (i, inst)
    ok, reason = verify_draw(seed, result.commitment, candidates, inspectors, conflicts, rules, result.to_dict())
    assert ok, reason


# --- frequencies: chi-square at a fixed seed ------------------------------------------------------------------

CHI2_CRITICAL_DF4_P001 = 18.467
WEIGHTS = {1: 1, 2: 2, 3: 3, 4: 4, 5: 10}
DRAWS = 10_000


def _chi_square(observed: Counter, expected: dict) -> float:
    return sum((observed[k] - e) ** 2 / e for k, e in expected.items())


@pytest.fixture(scope="module")
def weighted_counts():
    candidates = [Candidate(i, "和平区", w, False) for i, w in WEIGHTS.items()]
    inspectors = [Inspector(1, 1, "civil_affairs"), Inspector(2, 1, "civil_affairs")]
    rules = DrawRules(count=1)
    base = b"chi-square base seed"
    counts = Counter()
    for i in range(DRAWS):
        seed = hashlib.sha256(base + i.to_bytes(4, "big")).digest()
        counts[run_draw(seed, candidates, inspectors, [], rules).institutions[0]] += 1
    return counts


def test_each_institution_is_drawn_in_proportion_to_its_weight(weighted_counts):
    total = sum(WEIGHTS.values())
    expected = {k: DRAWS * w / total for k, w in WEIGHTS.items()}
    stat = _chi_square(weighted_counts, expected)
    assert stat < CHI2_CRITICAL_DF4_P001, (stat, weighted_counts)


def test_the_chi_square_check_would_catch_a_wrong_sampler(weighted_counts):
    total = sum(WEIGHTS.values())
    weighted_expectation = {k: DRAWS * w / total for k, w in WEIGHTS.items()}
    uniform_expectation = dict.fromkeys(WEIGHTS, DRAWS / len(WEIGHTS))
    # The real draws against a uniform expectation: far beyond the critical value.
    assert _chi_square(weighted_counts, uniform_expectation) > 100 * CHI2_CRITICAL_DF4_P001
    # A uniform sampler (same DRBG, weights ignored) against the weighted expectation: fails too.
    rng = Drbg(b"uniform sampler seed", b"\0" * 32)
    keys = sorted(WEIGHTS)
    uniform_counts = Counter(keys[rng.randbelow(len(keys))] for _ in range(DRAWS))
    assert _chi_square(uniform_counts, weighted_expectation) > 100 * CHI2_CRITICAL_DF4_P001


# --- workload balance -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("departments", "required"),
    [([1] * 6, frozenset()), ([1, 1, 1, 2, 2, 2], frozenset({1, 2}))],
    ids=["one-department", "two-required-departments"],
)
@pytest.mark.parametrize("seed_no", range(5))
def test_workloads_are_balanced(departments, required, seed_no):
    candidates = [Candidate(i, "和平区", 1 + i % 3, False) for i in range(1, 11)]
    inspectors = [Inspector(i, d, "kind") for i, d in enumerate(departments, 1)]
    rules = DrawRules(count=10, required_department_ids=required)
    result = run_draw(hashlib.sha256(bytes([seed_no]) * 2).digest(), candidates, inspectors, [], rules)
    load = Counter(i for _, team in result.teams for i in team)
    loads = [load[i.id] for i in inspectors]
    assert sum(loads) == 20
    assert max(loads) - min(loads) <= 1, loads
