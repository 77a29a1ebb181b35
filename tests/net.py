"""Network helpers for tests: loopback ports only."""
import socket


def free_port(host='127.0.0.1'):
    """A TCP port free on ``host`` right now (also: one nothing listens on,
    for tests of unreachable services)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return sock.getsockname()[1]


def exchange(port, data, host='127.0.0.1', timeout=10):
    """Send the raw bytes ``data`` on a new connection to ``host:port`` and
    return everything the server sends until it closes the connection
    (bytes; the request must make it close, e.g. ``Connection: close``)."""
    with socket.create_connection((host, port), timeout=timeout) as sock:
        sock.sendall(data)
        chunks = []
        while True:
            chunk = sock.recv(65536)
            if not chunk:
                return b''.join(chunks)
            chunks.append(chunk)
