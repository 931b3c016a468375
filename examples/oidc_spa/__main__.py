"""``python -m oidc_spa --authority URL --client-id ID [--host H] [--port P]``."""

from __future__ import annotations

import argparse

from oidc_spa.server import SpaConfig, ensure_library, spa_server


def main() -> None:
    """Serve the example SPA until interrupted."""
    parser = argparse.ArgumentParser(prog="python -m oidc_spa", description=__doc__)
    parser.add_argument("--authority", required=True, help="jotauth's issuer URL")
    parser.add_argument("--client-id", required=True, help="from `jotauth clients add --public`")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8001)
    args = parser.parse_args()
    ensure_library()
    server = spa_server(
        args.host, args.port, SpaConfig(authority=args.authority, client_id=args.client_id)
    )
    print(f"example SPA on http://{args.host}:{server.server_address[1]}/", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()


if __name__ == "__main__":
    main()
