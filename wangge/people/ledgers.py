"""The ledgers of the people register: residents and households (see core.ledgers)."""
