"""Layer-wise assignment: spec lists checked against the network, the Pareto set of an
exhaustive search on the digits CNN (2 candidates x 3 layers = 8 assignments, hand-checkable
with a stand-in for the PPA flow), additive energy, the search beyond the limit; the Pareto
local search and the greedy descent against exhaustive enumeration on synthetic networks."""

import io
from types import SimpleNamespace

import numpy as np
import pytest

from axhdl.errors import InputError
from axhdl.nn.assign import explore, layer_units, pareto, parse_specs, search
from axhdl.nn.evaluate import evaluate
from axhdl.nn.progress import Progress

EXACT = "exact:width=8,signed=true"
TRUNC = "truncated:width=8,k=8,signed=true"


def fake_ppa(unit, *, workload, vectors, seed, **kw):
    """Energy per operation = mean operand magnitude of the workload (the exact unit), half
    of it for truncated units, three quarters for others."""
    with np.load(workload) as f:
        e = float(np.abs(f["a"]).mean() + np.abs(f["b"]).mean())
    k = {"exact": 1.0, "truncated": 0.5}.get(unit.family, 0.75)
    return SimpleNamespace(energy_pj=k * e, baseline=SimpleNamespace(energy_pj=e))


#: the progress bars of the searches run here (to a log stream)
PROGRESS: dict[str, Progress] = {}


@pytest.fixture(scope="module")
def exhaustive():
    # uncompensated: truncating conv1 alone costs 4.72 points and saves 15 % of the energy,
    # any further layer costs more than 80 points
    PROGRESS["exhaustive"] = Progress(True, io.StringIO())
    return search(f"{EXACT};{TRUNC}", max_loss=5.0, ppa_fn=fake_ppa,
                  progress=PROGRESS["exhaustive"])


class TestParse:
    def test_specs(self):
        assert parse_specs(f" {EXACT} ;{TRUNC}") == [EXACT, TRUNC]

    @pytest.mark.parametrize("text", ["", f"{EXACT};", f"{EXACT};;{TRUNC}"])
    def test_empty_spec(self, text):
        with pytest.raises(InputError) as exc:
            parse_specs(text)
        assert str(exc.value) == f"--assign must be unit specs separated by ';', not {text!r}"

    def test_one_coding(self):
        with pytest.raises(InputError) as exc:
            layer_units([EXACT, "exact:width=8"])
        assert str(exc.value) == (
            "every layer's unit needs the same operand coding: exact:width=8,signed=true,"
            "arch=operator gives signed 8x8 (signed), exact:width=8,signed=false,arch=operator "
            "gives signmag 8x8 (unsigned)")

    def test_not_a_multiplier(self):
        with pytest.raises(InputError, match="a DNN needs a multiplier unit, not one of kind"):
            layer_units([EXACT, "loa:width=8"])


class TestPareto:
    def test_non_dominated(self):
        pts = [{"accuracy_loss_pct": lo, "savings_pct": s, "k": k}
               for k, (lo, s) in enumerate([(0, 0), (1, 10), (1, 5), (2, 10), (3, 30), (0, 0)])]
        assert [p["k"] for p in pareto(pts)] == [0, 5, 1, 4]


class TestExhaustive:
    def test_every_assignment_once(self, exhaustive):
        r = exhaustive
        assert (r["method"], r["space"], r["evaluated"]) == ("exhaustive", 8, 8)
        assert [la["name"] for la in r["layers"]] == ["conv1", "conv2", "fc"]

    def test_progress(self, exhaustive):
        """3 layers x 2 candidates synthesized, then the 8 assignments: 14 steps; the log
        stream's last line is the finished bar."""
        prog = PROGRESS["exhaustive"]
        assert prog.done == prog.total == 14
        last = prog.stream.getvalue().splitlines()[-1]
        assert last.startswith("assignment 1 1 1") and "] 14/14 100% " in last

    def test_pareto_set(self, exhaustive):
        par = exhaustive["pareto"]
        for p in par:
            assert not any(q["accuracy_loss_pct"] <= p["accuracy_loss_pct"]
                           and q["savings_pct"] >= p["savings_pct"]
                           and (q["accuracy_loss_pct"], q["savings_pct"])
                           != (p["accuracy_loss_pct"], p["savings_pct"]) for q in par)
        exact = [p for p in par if p["assignment"] == [exhaustive["candidates"][0]] * 3]
        assert exact and exact[0]["accuracy_loss_pct"] == 0 and exact[0]["savings_pct"] == 0
        best = exhaustive["best"]
        assert best in par and 0 < best["accuracy_loss_pct"] <= 5.0
        assert best["savings_pct"] > 0
        assert best["assignment"] == [exhaustive["candidates"][i] for i in (1, 0, 0)]

    def test_best_is_the_cheapest_in_bound(self, exhaustive):
        # recompute the 8 points by hand: every assignment through evaluate()
        r = exhaustive
        exact, trunc = r["candidates"]
        pts = []
        for code in range(8):
            assign = [trunc if code >> (2 - i) & 1 else exact for i in range(3)]
            e = evaluate(assign, energy=False)
            energy = sum(la["macs"] * la["energy_per_op_pj"][s]
                         for la, s in zip(r["layers"], assign))
            pts.append((assign, e["accuracy_loss_pct"], energy))
        ok = [p for p in pts if p[1] <= 5.0]
        cheapest = min(ok, key=lambda p: p[2])
        assert r["best"]["assignment"] == cheapest[0]
        assert r["best"]["energy_pj"] == pytest.approx(cheapest[2])
        assert r["best"]["accuracy_loss_pct"] == pytest.approx(cheapest[1])

    def test_energy_is_the_sum_of_the_layers(self, exhaustive):
        r = exhaustive
        base = sum(la["macs"] * la["exact_energy_per_op_pj"] for la in r["layers"])
        assert r["exact_energy_pj"] == pytest.approx(base)
        for p in r["pareto"]:
            per_layer = [la["macs"] * la["energy_per_op_pj"][s]
                         for la, s in zip(r["layers"], p["assignment"])]
            assert p["layer_energy_pj"] == pytest.approx(per_layer)
            assert p["energy_pj"] == pytest.approx(sum(per_layer))
            assert p["savings_pct"] == pytest.approx(100 * (1 - p["energy_pj"] / base))

    def test_all_truncated_saves_half(self, exhaustive):
        r = exhaustive
        assert all(la["energy_per_op_pj"][r["candidates"][1]]
                   == pytest.approx(la["exact_energy_per_op_pj"] / 2) for la in r["layers"])


class TestAssignedEvaluation:
    def test_energy_per_layer_unit(self):
        seen = []

        def ppa(unit, **kw):
            seen.append(unit.family)
            return fake_ppa(unit, **kw)

        r = evaluate([EXACT, TRUNC, EXACT], energy=True, ppa_fn=ppa)
        assert seen == ["exact", "truncated", "exact"]
        assert [la["spec"].split(":")[0] for la in r["layers"]] == seen
        en = r["energy"]
        assert en["energy_pj"] == pytest.approx(sum(la["energy_pj"] for la in r["layers"]))
        layers = en["layers"]
        assert layers["conv2"]["energy_pj"] == pytest.approx(
            layers["conv2"]["exact_energy_pj"] / 2)
        assert layers["conv1"]["energy_pj"] == pytest.approx(layers["conv1"]["exact_energy_pj"])
        assert r["provenance"]["assignment"][1] == ("truncated:width=8,signed=true,k=8,"
                                                    "correction=none")

    def test_all_exact_equals_exact(self):
        r = evaluate([EXACT] * 3, energy=False)
        assert r["approx_accuracy_pct"] == r["exact_accuracy_pct"]

    def test_wrong_count(self):
        with pytest.raises(InputError) as exc:
            evaluate([EXACT, TRUNC], energy=False)
        assert str(exc.value) == ("--assign needs one unit per conv/linear layer (3: conv1, "
                                  "conv2, fc), not 2")


class TestBeyondTheLimit:
    def test_pareto_local_search(self):
        prog = Progress(True, io.StringIO())
        r = search([EXACT, TRUNC, "mitchell:width=8,signed=true"], max_loss=1.0,
                   compensate="bias", ppa_fn=fake_ppa, exhaustive_limit=8, progress=prog)
        assert r["method"] == "pareto" and r["space"] == 27
        assert r["evaluated"] <= 8  # the budget
        # 3 layers x 3 candidates synthesized, then each assignment evaluated; the total
        # grew with the descent and ends equal to what was done
        assert prog.done == prog.total == 9 + r["evaluated"]
        best = r["best"]
        assert best["accuracy_loss_pct"] <= 1.0 and best["savings_pct"] > 0
        assert best in r["pareto"]


def synthetic(seed, n_layers, n_cand):
    """Energy per layer and candidate (candidate 0 the exact unit, the most expensive) and
    an accuracy loss that grows with each layer's approximation, with pairwise interaction
    between layers (not additive)."""
    rng = np.random.default_rng(seed)
    e = rng.uniform(0.2, 1.0, size=(n_layers, n_cand))
    e[:, 0] = 1.0 + rng.uniform(0, 0.1, n_layers)
    sens = rng.uniform(0, 3, size=(n_layers, n_cand)) * (1.2 - e)
    sens[:, 0] = 0.0
    inter = rng.uniform(0, 0.5, size=(n_layers, n_layers))

    def loss(choice):
        per = sens[np.arange(n_layers), list(choice)]
        return float(per.sum() + per @ inter @ per / n_layers)

    return e, loss


def front_in_bound(points, e, bound):
    """Assignments within the bound that no other one within it dominates."""
    def energy(c):
        return sum(e[i, j] for i, j in enumerate(c))

    inside = {c: lo for c, lo in points.items() if lo <= bound}
    return sorted(c for c, lo in inside.items()
                  if not any(lo2 <= lo and energy(c2) <= energy(c)
                             and (lo2 < lo or energy(c2) < energy(c))
                             for c2, lo2 in inside.items()))


INSTANCES = [(seed, shape) for seed in range(6) for shape in ((4, 3), (5, 3), (4, 4))]


class TestExplore:
    def run(self, e, loss, strategy, bound=2.0, budget=10**6):
        seen = {}

        def loss_of(c):
            seen[c] = loss(c)
            return seen[c]

        assert explore(e, loss_of, bound, strategy, budget=budget) == strategy
        return seen

    def test_pareto_local_search_finds_the_exhaustive_front(self):
        """On 18 synthetic networks (81-256 assignments) the Pareto local search finds the
        whole front within the bound — hence the best assignment — that exhaustive
        enumeration finds, evaluating about a third of the assignments."""
        visited = total = 0
        for seed, shape in INSTANCES:
            e, loss = synthetic(seed, *shape)
            every = self.run(e, loss, "exhaustive")
            assert len(every) == shape[1] ** shape[0]
            found = self.run(e, loss, "pareto")
            assert front_in_bound(found, e, 2.0) == front_in_bound(every, e, 2.0), seed
            visited += len(found)
            total += len(every)
        assert visited < total / 2

    def test_greedy_misses_some_optima(self):
        """The greedy descent of the same instances ends below the optimum on some."""
        def best(points, e):
            return min(sum(e[i, j] for i, j in enumerate(c))
                       for c, lo in points.items() if lo <= 2.0)

        hits = 0
        for seed, shape in INSTANCES:
            e, loss = synthetic(seed, *shape)
            greedy = best(self.run(e, loss, "greedy"), e)
            optimum = best(self.run(e, loss, "exhaustive"), e)
            assert greedy >= optimum
            hits += greedy == optimum
        assert 0 < hits < len(INSTANCES)

    def test_budget(self):
        e, loss = synthetic(0, 5, 3)
        assert len(self.run(e, loss, "pareto", budget=10)) == 10

    def test_unknown_strategy(self):
        e, loss = synthetic(0, 2, 2)
        with pytest.raises(InputError, match="search strategy must be auto, exhaustive, "
                                             "greedy or pareto, not 'nsga'"):
            self.run(e, loss, "nsga")
