"""Who is calling: system clients (Ed25519-signed requests) and people (session cookies + CSRF)."""
