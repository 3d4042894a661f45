"""Operations: consumer lag with Burrow's rules, freshness, metrics, dead-letter replay, quality, the ops page.

One module per job. The pure ones (`evaluator`, `freshness.buckets`) take samples and return verdicts;
the others read Kafka (`probe`), keep history in Redis (`samples`, `counters`) or serve (`metrics`, `page`).
The layer sits above the connectors and the read model (replay re-reads raw rows with today's readers)
and below the processors, which record their measurements through `hub.ops.recorder`.
"""
