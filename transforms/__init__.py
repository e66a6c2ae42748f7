"""One Beam transform per concern: read, segment, dedup, entities, dates, write.

Each module keeps its algorithm in plain functions (no Beam import needed to test them) and
exposes one composite `beam.PTransform` that adapts them to PCollections.
"""
