"""Who may call the API: system clients and their Ed25519 keys, request signing, people and
their passwords. The SQL lives in `store`; the HTTP checks that use it live in `api.security`."""
