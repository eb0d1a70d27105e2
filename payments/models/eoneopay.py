"""eoneopay: kind-specific money details (filled by issue 9)."""

__all__: list[str] = []
