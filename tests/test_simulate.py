import gzip

import demes
import numpy as np
import pytest

from popsbi.genetic_map import read_recombination_map
from popsbi.simulate import demography, genotypes_from_tree_sequence, simulate


def graph():
    b = demes.Builder(time_units="generations")
    b.add_deme("anc", epochs=[dict(start_size=1000, end_time=500)])
    b.add_deme("A", ancestors=["anc"], epochs=[dict(start_size=1000)])
    b.add_deme("B", ancestors=["anc"], epochs=[dict(start_size=500)])
    return b.resolve()


def test_same_seed_same_simulation_and_different_seed_differs():
    a = simulate(demography(graph()), {"A": 3, "B": 2}, 50_000, 1e-7, 1e-8, 11)
    b = simulate(demography(graph()), {"A": 3, "B": 2}, 50_000, 1e-7, 1e-8, 11)
    c = simulate(demography(graph()), {"A": 3, "B": 2}, 50_000, 1e-7, 1e-8, 12)
    assert a.tables.equals(b.tables, ignore_provenance=True)
    assert not a.tables.equals(c.tables, ignore_provenance=True)


def test_genotypes_are_biallelic_with_populations_in_sample_order():
    ts = simulate(demography(graph()), {"A": 3, "B": 2}, 50_000, 1e-7, 1e-8, 5)
    g = genotypes_from_tree_sequence(ts, ["B", "A"], polarised=True)
    assert list(g.populations) == ["B", "A"]
    assert len(g.populations["A"]) == 6 and len(g.populations["B"]) == 4
    assert set(np.unique(g.haplotypes)) <= {0, 1}
    assert g.positions.min() >= 1 and g.positions.max() <= 50_000
    assert np.all(np.diff(g.positions) > 0)


def test_genetic_map_is_read_for_the_requested_region(tmp_path):
    path = tmp_path / "chr.gmap.gz"
    with gzip.open(path, "wt") as handle:
        handle.write("pos\tchr\tcM\n100\t20\t0.0\n1100\t20\t1.0\n2100\t20\t1.5\n3100\t20\t3.5\n")
    rate_map = read_recombination_map(path, start=600, end=2600)
    assert rate_map.sequence_length == 2000
    # 1 cM over 1000 bp = 1e-5 per bp, then 0.5 cM / 1000 bp, then 2 cM / 1000 bp
    assert rate_map.get_rate([0, 600, 1600]) == pytest.approx([1e-5, 5e-6, 2e-5])
