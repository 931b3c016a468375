// The seeds' Node resource server: express-jwt + jwks-rsa, configured only from the
// issuer's JWKS URL, exactly as an application team would write it. Used by the interop
// test (tokens from `jotauth serve` must be accepted) and by bench/guard.py.
//
//   JWKS_URL=http://127.0.0.1:8000/.well-known/jwks.json ISSUER=http://127.0.0.1:8000 \
//   AUDIENCE=lessons PORT=0 node server.js        # prints {"port": N} once listening
"use strict";

const express = require("express");
const { expressjwt } = require("express-jwt");
const jwksRsa = require("jwks-rsa");

const { JWKS_URL, ISSUER, AUDIENCE } = process.env;
if (!JWKS_URL || !ISSUER || !AUDIENCE) {
  console.error("JWKS_URL, ISSUER and AUDIENCE are required");
  process.exit(2);
}

const lessons = [
  { id: 1, title: "Stateless authentication with JWTs", duration: "12:05" },
  { id: 2, title: "Refresh token rotation and reuse detection", duration: "09:41" },
];

const checkIfAuthenticated = expressjwt({
  secret: jwksRsa.expressJwtSecret({
    jwksUri: JWKS_URL,
    cache: true,
    rateLimit: true,
    jwksRequestsPerMinute: 10,
  }),
  algorithms: ["RS256"],
  issuer: ISSUER,
  audience: AUDIENCE,
});

const app = express();
app.disable("x-powered-by");
app.use("/api", checkIfAuthenticated);

app.get("/api/lessons", (req, res) => res.json({ sub: req.auth.sub, lessons }));
app.get("/open/lessons", (req, res) => res.json({ sub: null, lessons }));

// express-jwt raises UnauthorizedError; answer like the seeds (401 + a JSON reason).
app.use((err, req, res, next) => {
  if (err && err.name === "UnauthorizedError") {
    res.status(401).json({ code: err.code, message: err.message });
    return;
  }
  next(err);
});

const server = app.listen(Number(process.env.PORT || 0), "127.0.0.1", () => {
  console.log(JSON.stringify({ port: server.address().port }));
});
process.on("SIGTERM", () => server.close(() => process.exit(0)));
