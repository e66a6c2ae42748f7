"""Airflow DAG: newsbeam as a recurring Beam job with the Apache Beam provider.

`BeamRunPythonPipelineOperator` runs a Python Beam pipeline module with pipeline options:
`python -m pipeline.beam_main --input ... --output ... --runner ...`, the Beam-style twin of
`newsbeam run`. The
run manifest DIR/_runs/<run_id>.json is the record downstream tasks read; exit code 3 (rejected
inputs) and 75 (locked) are surfaced as task failures here, so alerting sees them.

Requires: apache-airflow, apache-airflow-providers-apache-beam, and newsbeam installed in the
worker's environment (pip install /path/to/newsbeam).
"""

from __future__ import annotations

import datetime as dt

from airflow import DAG
from airflow.providers.apache.beam.operators.beam import BeamRunPythonPipelineOperator

INBOX = "/srv/news/inbox/*.txt*"
OUTPUT = "/srv/news/parquet"

with DAG(
    dag_id="newsbeam_ingest",
    schedule=dt.timedelta(minutes=15),
    start_date=dt.datetime(2026, 1, 1),
    catchup=False,
    max_active_runs=1,  # newsbeam also locks DIR/_lock; this avoids queueing overlapping runs
    tags=["news", "beam"],
) as dag:
    BeamRunPythonPipelineOperator(
        task_id="newsbeam_run",
        runner="DirectRunner",  # or FlinkRunner/DataflowRunner with their options in pipeline_options
        py_file="pipeline.beam_main",
        py_options=["-m"],
        pipeline_options={"input": INBOX, "output": OUTPUT},
        py_requirements=["newsbeam"],
        py_system_site_packages=True,
    )
