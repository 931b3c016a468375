"""What the test suites need again and again, written once; import from the module by name.

- ``tests.support.clock``: ``SettableClock(now)`` stands still until ``advance(seconds)``
  (caches, windows, expiry without sleeping); ``OffsetClock()`` is wall time plus an offset,
  for code that also meets real time.
- ``tests.support.otp``: ``oathtool_code(secret, at)`` (Debian's oathtool: TOTP codes from an
  implementation independent of ours) and ``seconds_to_next_step_start(now)``.
- ``tests.support.ports``: ``free_port()`` for a server the test starts, or a port where
  nothing listens.
- ``tests.support.cookies``: ``set_cookies(response)`` (values by name, ``""`` when cleared),
  ``set_cookie_flags(response)`` (attributes without value and dates), ``cookie_header(jar)``.
- ``tests.support.problems``: ``assert_problem(response, status, code)`` (RFC 9457 body,
  content type, no traceback; returns the body), ``assert_challenge(response, error)``
  (``None``: exactly ``BARE_CHALLENGE``, RFC 6750 §3.1; else the challenge names ``error``)
  and ``challenge(response)`` (``WWW-Authenticate`` or ``""``).
- ``tests.support.tokens``: ``access_claims(issuer=…, audience=…, now=…, **claims)`` (the
  registered claims, 15 minutes valid); ``Mint(key, issuer=…, audience=…).token(**claims)``
  for valid tokens (``claim=None`` drops one); ``bearer(token)`` for the ``Authorization``
  header; ``forge(header, claims, signature)`` and ``hs256_with_public_key(rsa_key, claims)``
  for hostile ones.
- ``tests.support.jwks``: ``running_jwks_server()`` yields a loopback ``JwksServer``:
  ``serve_keys(keys, cache_control=…)`` or ``serve(status, body, …)``, ``delay``, ``requests``,
  ``stop()`` for an endpoint that is down; its ``url`` is the full JWKS URL.
- ``tests.support.idp``: ``running_idp(issuer_path=…, jwks_path=…, metadata="openid" |
  "oauth", jwks_alg=…)`` yields a ``LocalIdp``, another identity provider's metadata and JWKS
  on loopback, whose ``sign(claims, header=…)`` makes RS256 tokens with PyJWT.
- ``tests.support.foreign_hashes``: ``PRODUCERS``, password hashes made by passlib,
  pyca/bcrypt and Django's ``make_password``, for ``jotauth users import``.
- ``tests.support.serve``: ``ServerProcess(serve_env(database_url, port, secret_key=…,
  allowed_origin=…, **JOTAUTH_overrides), port, workdir)`` runs ``jotauth serve``; ``with
  started(server) as server:`` waits for ``/readyz`` and stops it afterwards;
  ``wait_until_ready(process, url, log_path)`` serves any other server command.
- ``tests.support.databases``: ``fresh_postgres_database(prefix)`` creates and drops a
  uniquely named PostgreSQL database; ``run_coroutine`` runs async set-up even inside a loop.
- ``tests.support.smtp``: ``with smtp_server() as smtp:`` a real aiosmtpd SMTP server on a
  loopback port (``smtp.url`` for ``JOTAUTH_SMTP_URL``) keeping what it receives
  (``received``, ``wait_for(n)``, each message's ``text``/``html``/``links``); ``stop()`` /
  ``start()`` for an outage on the same port; ``refuse_with`` a 5xx; optional TLS (implicit or
  STARTTLS, ``self_signed_tls(dir)``) and AUTH.
- ``tests.support.faults``: the fault injectors of ``tests/faults`` and ``bench/soak.py``:
  ``TcpProxy(host, port)`` (``forward()``, ``reset()``, ``blackhole()``), a throw-away
  PostgreSQL cluster and Redis one can really stop (``throw_away_postgres()``,
  ``throw_away_redis()``), ``kill_hard(server)`` and ``restarted(server)``.
- ``tests.support.keys`` and ``tests.support.store`` are pytest plugins that
  ``tests/conftest.py`` registers for every suite: the session-scoped ``signing_keys`` (one
  key per algorithm; ``one_key_per_algorithm()`` makes another set) and ``store``, an opened
  store on the parametrised ``database_url``.

Helpers that only one directory needs stay beside its tests (``guard_harness.py``,
``server_harness.py``, ``server_process.py``), built on these.
"""
