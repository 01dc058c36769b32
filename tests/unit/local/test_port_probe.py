"""`earnloop dev`'s port probe: a restart right after a stop finds its port free, a port someone
listens on is still reported busy."""

from __future__ import annotations

import socket

from earnloop.local.cli import port_is_free


def _listener() -> socket.socket:
    server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    server.bind(("127.0.0.1", 0))
    server.listen()
    return server


def _plain_bind_fails(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as plain:
        try:
            plain.bind(("127.0.0.1", port))
        except OSError:
            return True
    return False


def test_a_port_left_in_time_wait_by_a_stopped_server_is_free_for_a_restart() -> None:
    # Given a server that served one connection and closed it first (its side goes to TIME_WAIT),
    # then stopped listening, as uvicorn does on Ctrl-C.
    server = _listener()
    port = server.getsockname()[1]
    client = socket.create_connection(("127.0.0.1", port))
    served, _ = server.accept()
    served.close()
    client.close()
    server.close()
    # The lingering connection is what made the old probe say "already in use".
    assert _plain_bind_fails(port)

    assert port_is_free(port)
    # And a server can really listen there now.
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as restarted:
        restarted.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        restarted.bind(("127.0.0.1", port))
        restarted.listen()


def test_a_port_another_server_listens_on_is_busy() -> None:
    with _listener() as server:
        assert not port_is_free(server.getsockname()[1])
