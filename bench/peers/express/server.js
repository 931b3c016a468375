// The Express peer of bench/server.py: what a small hand-written auth server on Node does for
// the same requests. Same API shape as jotauth's /api/auth (signup, login, refresh, me), same
// SQLite settings (WAL, synchronous=NORMAL, one write transaction per refresh, BEGIN
// IMMEDIATE), same argon2id parameters (t=2, m=19 MiB, p=1), RS256 access tokens, and rotation
// on: a refresh marks the presented token rotated with a conditional UPDATE, inserts its
// successor, slides the session's idle expiry and appends an audit row; a rotated token
// presented again revokes the session. Not a product: a yardstick.
//
//   PORT=8080 PEER_DB=/tmp/peer.db node server.js
"use strict";

const crypto = require("node:crypto");
const express = require("express");
const argon2 = require("argon2");
const jwt = require("jsonwebtoken");
const Database = require("better-sqlite3");

const ARGON2 = { type: argon2.argon2id, timeCost: 2, memoryCost: 19456, parallelism: 1 };
const ISSUER = "http://peer.invalid";
const IDLE_TTL = 7 * 24 * 3600;
const ABSOLUTE_TTL = 30 * 24 * 3600;

const db = new Database(process.env.PEER_DB || "peer.db");
db.pragma("journal_mode = WAL");
db.pragma("synchronous = NORMAL");
db.pragma("foreign_keys = ON");
db.pragma("busy_timeout = 5000");
db.exec(`
CREATE TABLE IF NOT EXISTS users (id TEXT PRIMARY KEY, email TEXT UNIQUE NOT NULL,
  password_hash TEXT NOT NULL, roles TEXT NOT NULL, scope TEXT NOT NULL,
  disabled INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS sessions (id TEXT PRIMARY KEY, user_id TEXT NOT NULL REFERENCES users(id),
  created_at REAL NOT NULL, last_used_at REAL NOT NULL, idle_expires_at REAL NOT NULL,
  expires_at REAL NOT NULL, revoked_at REAL);
CREATE TABLE IF NOT EXISTS refresh_tokens (token_hash TEXT PRIMARY KEY,
  session_id TEXT NOT NULL REFERENCES sessions(id), state TEXT NOT NULL,
  created_at REAL NOT NULL, rotated_at REAL, successor_hash TEXT);
CREATE INDEX IF NOT EXISTS ix_refresh_tokens_session_id ON refresh_tokens(session_id);
CREATE TABLE IF NOT EXISTS audit_events (id INTEGER PRIMARY KEY AUTOINCREMENT, event TEXT NOT NULL,
  at REAL NOT NULL, user_id TEXT, session_id TEXT);
`);

const { privateKey, publicKey } = crypto.generateKeyPairSync("rsa", { modulusLength: 2048 });
const now = () => Date.now() / 1000;
const sha256 = (value) => crypto.createHash("sha256").update(value).digest("hex");
const newToken = () => crypto.randomBytes(32).toString("base64url");

const q = {
  insertUser: db.prepare(
    "INSERT INTO users (id, email, password_hash, roles, scope, disabled) VALUES (?, ?, ?, '[]', '[]', 0)",
  ),
  userByEmail: db.prepare("SELECT * FROM users WHERE email = ?"),
  userById: db.prepare("SELECT * FROM users WHERE id = ?"),
  insertSession: db.prepare(
    "INSERT INTO sessions (id, user_id, created_at, last_used_at, idle_expires_at, expires_at) VALUES (?, ?, ?, ?, ?, ?)",
  ),
  insertToken: db.prepare(
    "INSERT INTO refresh_tokens (token_hash, session_id, state, created_at) VALUES (?, ?, 'active', ?)",
  ),
  tokenByHash: db.prepare("SELECT * FROM refresh_tokens WHERE token_hash = ?"),
  sessionById: db.prepare("SELECT * FROM sessions WHERE id = ?"),
  rotate: db.prepare(
    "UPDATE refresh_tokens SET state = 'rotated', rotated_at = ?, successor_hash = ? WHERE token_hash = ? AND state = 'active'",
  ),
  touchSession: db.prepare("UPDATE sessions SET last_used_at = ?, idle_expires_at = ? WHERE id = ?"),
  revokeSession: db.prepare("UPDATE sessions SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL"),
  audit: db.prepare("INSERT INTO audit_events (event, at, user_id, session_id) VALUES (?, ?, ?, ?)"),
};

function accessToken(user, sessionId) {
  return jwt.sign(
    { sub: user.id, sid: sessionId, roles: JSON.parse(user.roles), scope: "", jti: newToken() },
    privateKey,
    { algorithm: "RS256", expiresIn: 900, issuer: ISSUER, audience: ISSUER, header: { typ: "at+jwt" } },
  );
}

function problem(res, status, code) {
  res.status(status).type("application/problem+json").send(JSON.stringify({ status, code }));
}

const startSession = db.transaction((userId) => {
  const t = now();
  const sessionId = crypto.randomBytes(16).toString("hex");
  const token = newToken();
  q.insertSession.run(sessionId, userId, t, t, t + IDLE_TTL, t + ABSOLUTE_TTL);
  q.insertToken.run(sha256(token), sessionId, t);
  q.audit.run("login", t, userId, sessionId);
  return { sessionId, token };
});

// One write transaction: look up, check, rotate (conditional UPDATE), insert the successor,
// slide the session, audit, and read the user for the access token.
const rotate = db.transaction((presented) => {
  const row = q.tokenByHash.get(presented);
  if (!row) return { error: "invalid_refresh_token" };
  const session = q.sessionById.get(row.session_id);
  const t = now();
  if (session.revoked_at !== null || row.state === "revoked") return { error: "session_revoked" };
  if (t >= session.expires_at || t >= session.idle_expires_at) return { error: "session_expired" };
  if (row.state !== "active") {
    q.revokeSession.run(t, session.id);
    q.audit.run("refresh_reused", t, session.user_id, session.id);
    return { error: "refresh_reused" };
  }
  const successor = newToken();
  const successorHash = sha256(successor);
  if (q.rotate.run(t, successorHash, presented).changes !== 1) return { error: "refresh_conflict" };
  q.insertToken.run(successorHash, session.id, t);
  q.touchSession.run(t, Math.min(t + IDLE_TTL, session.expires_at), session.id);
  q.audit.run("refresh", t, session.user_id, session.id);
  const user = q.userById.get(session.user_id);
  if (!user || user.disabled) return { error: "session_revoked" };
  return { user, sessionId: session.id, successor };
});

const app = express();
app.use(express.json({ limit: "16kb" }));

app.get("/readyz", (req, res) => res.send("ok"));

app.post("/api/auth/signup", async (req, res) => {
  const { email, password } = req.body || {};
  const id = crypto.randomBytes(16).toString("hex");
  q.insertUser.run(id, email, await argon2.hash(password, ARGON2));
  const { sessionId, token } = startSession(id);
  res.json({ access_token: accessToken(q.userById.get(id), sessionId), refresh_token: token });
});

app.post("/api/auth/login", async (req, res) => {
  const { email, password } = req.body || {};
  const user = q.userByEmail.get(String(email));
  if (!user || !(await argon2.verify(user.password_hash, String(password)))) {
    return problem(res, 401, "invalid_credentials");
  }
  const { sessionId, token } = startSession(user.id);
  res.json({ access_token: accessToken(user, sessionId), refresh_token: token, token_type: "Bearer" });
});

app.post("/api/auth/refresh", (req, res) => {
  const token = (req.body || {}).refresh_token;
  if (typeof token !== "string" || !token) return problem(res, 401, "missing_refresh_token");
  const outcome = rotate.immediate(sha256(token));
  if (outcome.error) return problem(res, 401, outcome.error);
  res.set("Cache-Control", "no-store").json({
    access_token: accessToken(outcome.user, outcome.sessionId),
    token_type: "Bearer",
    expires_in: 900,
    refresh_token: outcome.successor,
  });
});

app.get("/api/auth/me", (req, res) => {
  const header = req.get("authorization") || "";
  if (!header.startsWith("Bearer ")) return problem(res, 401, "missing_token");
  let claims;
  try {
    claims = jwt.verify(header.slice(7), publicKey, { algorithms: ["RS256"], issuer: ISSUER, audience: ISSUER });
  } catch {
    return problem(res, 401, "invalid_token");
  }
  const session = q.sessionById.get(claims.sid);
  if (!session || session.revoked_at !== null || session.user_id !== claims.sub) {
    return problem(res, 401, "session_revoked");
  }
  const user = q.userById.get(claims.sub);
  res.json({ id: user.id, email: user.email, name: null, roles: JSON.parse(user.roles), scope: user.scope });
});

const server = app.listen(Number(process.env.PORT || 8080), "127.0.0.1");
process.on("SIGTERM", () => server.close(() => process.exit(0)));
