"""Network helpers for tests: loopback ports only."""
import socket


def free_port(host='127.0.0.1'):
    """A TCP port free on ``host`` right now (also: one nothing listens on,
    for tests of unreachable services)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return sock.getsockname()[1]
