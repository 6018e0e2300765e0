"""What the JSON API and the pages share: RFC 9457 problems, people's sessions, the public rate
limit and the read cache with the public's cached reads."""
