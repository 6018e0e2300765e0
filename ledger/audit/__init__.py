"""`ledger audit verify`: the read model is derived, so anyone can rebuild it from the chain
along an independent path and compare (DESIGN.md §2, §9).

* `rebuild` — fetch every log with web3 (`eth_getLogs`), decode it with web3 (`ledger.chain.audit_source`
  — not the indexer's eth_abi topic table), write the event rows into a scratch
  database and recompute every aggregate from them by full recount (not the indexer's
  incremental folds);
* `compare` — diff the scratch database against the live read model, table by table, row by row.
"""
