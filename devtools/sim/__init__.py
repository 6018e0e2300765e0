"""Simulators of the external systems (DESIGN.md §8): the approval system and the tax system (with
its checkout page), plus the office staff's clicks, all through the real API with real signatures."""
