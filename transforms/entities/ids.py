"""Entity ids that never change once published.

`cluster.build_clusters` names a cluster after its canonical name and label (`entity_id_for`): the
same history gives the same ids, but a later run that changes a cluster's canonical name (a fuller
spelling becomes the most frequent) would change its id, and every `entities` row already written
would point at an id `entity_clusters` no longer has. Dashboards keyed by entity_id would break.

So every name key is registered with the id it was first published under (`_state/entity_ids`,
append-only), and `stable_ids` renames each freshly built cluster after the published ids of its
members:
- a cluster whose members were published under one id keeps it (its canonical may change: the old
  spelling stays among its aliases, since it was a surface form);
- a cluster whose members carry several published ids (two earlier clusters now merged) keeps the
  id that covers most of its mentions, and the others are *retired*: `entity_clusters` keeps a row
  for each with `merged_into` naming the survivor, so no id ever written disappears;
- a cluster with no published member takes its fresh id (unless another cluster owns it).
"""

from __future__ import annotations

import dataclasses
import hashlib
from collections.abc import Mapping
from dataclasses import dataclass

from transforms.entities.records import ClusterIndex


@dataclass(frozen=True)
class StableIndex:
    """A cluster index renamed after published ids, the keys to register, the retired ids."""

    index: ClusterIndex
    registrations: dict[str, str]  # name key -> id, for keys not published before
    retired: dict[str, str | None]  # published id no cluster kept -> the cluster that took its keys


def _free_id(fresh: str, anchor: str, taken: set[str]) -> str:
    """`fresh` unless taken; else an id derived from it and a member key (stable, rare)."""
    candidate = fresh
    salt = 0
    while candidate in taken:
        salt += 1
        candidate = hashlib.blake2b(f"{fresh}\x1f{anchor}\x1f{salt}".encode(), digest_size=8).hexdigest()
    return candidate


def stable_ids(index: ClusterIndex, published: Mapping[str, str], weights: Mapping[str, int]) -> StableIndex:
    """Rename the clusters of `index` after the ids their member keys were published under.

    `weights` = mentions per name key (which published id covers most of a merged cluster). Clusters
    choose in order of size (then fresh id), so the outcome does not depend on dict order.
    """
    members: dict[str, list[str]] = {}
    for key in sorted(index.key_to_entity):
        members.setdefault(index.key_to_entity[key], []).append(key)
    order = sorted(index.clusters, key=lambda e: (-index.clusters[e].mention_count, e))
    published_ids = set(published.values())
    claimed: set[str] = set()
    rename: dict[str, str] = {}
    for fresh in order:
        keys = members.get(fresh, [])
        votes: dict[str, int] = {}
        for key in keys:
            owner = published.get(key)
            if owner is not None and owner not in claimed:
                votes[owner] = votes.get(owner, 0) + max(1, weights.get(key, 0))
        if votes:
            chosen = min(votes, key=lambda i: (-votes[i], i))
        else:
            chosen = _free_id(fresh, keys[0] if keys else fresh, claimed | published_ids)
        claimed.add(chosen)
        rename[fresh] = chosen
    clusters = {
        rename[fresh]: dataclasses.replace(cluster, entity_id=rename[fresh])
        for fresh, cluster in index.clusters.items()
    }
    key_to_entity = {key: rename.get(entity, entity) for key, entity in index.key_to_entity.items()}
    registrations = {key: entity for key, entity in sorted(key_to_entity.items()) if key not in published}
    retired: dict[str, str | None] = {}
    for old in sorted(published_ids - claimed):
        heirs: dict[str, int] = {}
        for key, owner in published.items():
            if owner == old and key in key_to_entity:
                heir = key_to_entity[key]
                heirs[heir] = heirs.get(heir, 0) + max(1, weights.get(key, 0))
        retired[old] = min(heirs, key=lambda i: (-heirs[i], i)) if heirs else None
    return StableIndex(ClusterIndex(key_to_entity, clusters), registrations, retired)
