// panva/openid-client v6 as a confidential client of the jotauth provider.
// `node interop.mjs start` prints the authorization URL (discovery, PKCE, state, nonce);
// `node interop.mjs finish` exchanges the callback and runs refresh, userinfo,
// introspection, revocation and client_credentials, printing what each returned.
import * as client from "openid-client";

const { ISSUER, CLIENT_ID, CLIENT_SECRET, REDIRECT_URI } = process.env;

async function configuration() {
  // The test provider listens on plain-HTTP loopback.
  return client.discovery(new URL(ISSUER), CLIENT_ID, CLIENT_SECRET, undefined, {
    execute: [client.allowInsecureRequests],
  });
}

async function start() {
  const config = await configuration();
  const verifier = client.randomPKCECodeVerifier();
  const state = client.randomState();
  const nonce = client.randomNonce();
  const url = client.buildAuthorizationUrl(config, {
    redirect_uri: REDIRECT_URI,
    scope: "openid email profile offline_access",
    code_challenge: await client.calculatePKCECodeChallenge(verifier),
    code_challenge_method: "S256",
    state,
    nonce,
  });
  return { url: url.href, verifier, state, nonce, supportsPKCE: config.serverMetadata().supportsPKCE() };
}

async function finish() {
  const { CALLBACK, VERIFIER, STATE, NONCE } = process.env;
  const config = await configuration();
  const tokens = await client.authorizationCodeGrant(config, new URL(CALLBACK), {
    pkceCodeVerifier: VERIFIER,
    expectedState: STATE,
    expectedNonce: NONCE,
    idTokenExpected: true,
  });
  const claims = tokens.claims();
  const userinfo = await client.fetchUserInfo(config, tokens.access_token, claims.sub);
  const refreshed = await client.refreshTokenGrant(config, tokens.refresh_token);
  const active = await client.tokenIntrospection(config, refreshed.access_token);
  await client.tokenRevocation(config, refreshed.refresh_token);
  const afterRevocation = await client.tokenIntrospection(config, refreshed.access_token);
  const machine = await client.clientCredentialsGrant(config, { scope: "lessons:read" });
  return {
    sub: claims.sub,
    aud: claims.aud,
    userinfo,
    rotated: refreshed.refresh_token !== tokens.refresh_token,
    active: active.active,
    activeAfterRevocation: afterRevocation.active,
    machineScope: machine.scope,
    machineRefresh: machine.refresh_token ?? null,
  };
}

const result = process.argv[2] === "start" ? await start() : await finish();
process.stdout.write(JSON.stringify(result));
