"""The client's address, as far as the proxies we were told to trust vouch for it."""


def client_address(*, remote_addr: str, forwarded_for: str | None, trusted_proxies: int) -> str:
    """Each trusted proxy appends the address it was reached from to X-Forwarded-For; the entries
    to the left of theirs are the client's own words. So the address we take is the one the
    outermost trusted proxy saw: the `trusted_proxies`-th from the right (none: the socket's peer)."""
    if trusted_proxies <= 0 or not forwarded_for:
        return remote_addr
    hops = [hop.strip() for hop in forwarded_for.split(",") if hop.strip()]
    if not hops:
        return remote_addr
    return hops[-min(trusted_proxies, len(hops))]
