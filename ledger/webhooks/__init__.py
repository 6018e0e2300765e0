"""Integration with the other systems: outbound webhooks."""
