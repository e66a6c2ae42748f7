"""Entity ids never change once published (`transforms/entities/ids.py`), unit and end to end."""

from __future__ import annotations

from pathlib import Path

from tests.conftest import query, run_cli
from transforms.entities.ids import stable_ids
from transforms.entities.records import Cluster, ClusterIndex


def _cluster(entity_id: str, canonical: str, mentions: int) -> Cluster:
    return Cluster(entity_id, canonical, "PER", (canonical,), mentions, 1.0, None)


def test_a_cluster_keeps_its_published_id_when_its_canonical_changes() -> None:
    index = ClusterIndex(
        {"haftar": "new", "khalifa haftar": "new"}, {"new": _cluster("new", "Khalifa Haftar", 5)}
    )
    stable = stable_ids(index, {"haftar": "old"}, {"haftar": 2, "khalifa haftar": 3})
    assert list(stable.index.clusters) == ["old"]
    assert stable.index.clusters["old"].canonical == "Khalifa Haftar"
    assert stable.index.key_to_entity == {"haftar": "old", "khalifa haftar": "old"}
    assert stable.registrations == {"khalifa haftar": "old"}
    assert stable.retired == {}


def test_a_merge_keeps_the_id_of_most_mentions_and_retires_the_other() -> None:
    index = ClusterIndex(
        {"a": "fresh", "b": "fresh", "c": "other"},
        {"fresh": _cluster("fresh", "A B", 7), "other": _cluster("other", "C", 1)},
    )
    stable = stable_ids(index, {"a": "id-a", "b": "id-b", "c": "id-c"}, {"a": 2, "b": 5, "c": 1})
    assert stable.index.key_to_entity == {"a": "id-b", "b": "id-b", "c": "id-c"}
    assert stable.retired == {"id-a": "id-b"}
    assert stable.registrations == {}


def test_a_new_cluster_never_takes_an_id_owned_by_another() -> None:
    index = ClusterIndex(
        {"x": "id-a", "y": "id-y"}, {"id-a": _cluster("id-a", "X", 3), "id-y": _cluster("id-y", "Y", 9)}
    )
    stable = stable_ids(index, {"y": "id-a"}, {"x": 3, "y": 9})
    assert stable.index.key_to_entity["y"] == "id-a"  # published under id-a: keeps it
    assert stable.index.key_to_entity["x"] not in {"id-a", "id-y"}  # its fresh id is taken
    assert stable.registrations == {"x": stable.index.key_to_entity["x"]}


def test_entity_id_survives_a_later_run_that_changes_the_canonical_name(tmp_path: Path) -> None:
    """Run 1 publishes "Haftar"; run 2 brings the fuller "Khalifa Haftar" many times, which becomes
    the canonical name: the id of run 1's rows is still the cluster's id, with the old spelling
    among its aliases, and every entity_id in `entities` has its `entity_clusters` row."""
    first, second, out = tmp_path / "in1", tmp_path / "in2", tmp_path / "out"
    first.mkdir()
    second.mkdir()
    (first / "a.txt").write_text(
        " date 2019-04-05\nLe maréchal Haftar a lancé une offensive vers Tripoli. "
        "Les troupes de Haftar avancent vers le sud de la capitale.\n",
        encoding="utf-8",
    )
    for i in range(3):
        (second / f"b{i}.txt").write_text(
            f" date 2019-04-0{6 + i}\nKhalifa Haftar a rencontré des chefs de tribu à Benghazi. "
            f"Selon Khalifa Haftar, l'offensive numéro {i} se poursuivra. Khalifa Haftar refuse la trêve.\n",
            encoding="utf-8",
        )
    sql = (
        "select entity_id, canonical from read_parquet('{}/entity_clusters/*.parquet') "
        "where aliases::varchar ilike '%haftar%' and merged_into is null"
    )
    run_cli("run", "--input", str(first / "*.txt"), "--output", str(out), check=True)
    ((published, canonical_before),) = query(sql.format(out))
    assert canonical_before == "Haftar"
    run_cli("run", "--input", str(second / "*.txt"), "--output", str(out), check=True)
    ((entity_id, canonical_after),) = query(sql.format(out))
    assert canonical_after == "Khalifa Haftar"
    assert entity_id == published
    missing = query(
        "select distinct e.entity_id "
        f"from read_parquet('{out}/entities/**/*.parquet', hive_partitioning=true) e "
        f"anti join read_parquet('{out}/entity_clusters/*.parquet') c using (entity_id)"
    )
    assert missing == []
