"""The credit record (信用记录): credit events from the read model, each with its on-chain proof,
turned into a score and grade by a versioned rule set that is data (`data/rules.*.json`).

* `rules`  — the rule sets (versioned, documented, loaded from data);
* `score`  — the pure function: events + rule set (+ as-of time) → score, grade, contributions;
* `record` — the read-model queries that find an enterprise's credit events and score every enterprise.

It depends on the database and the core only; the answers built from it (the credit record, the
list of enterprises) are ledger.domain.credit_records'.
"""
