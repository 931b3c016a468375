// The example SPA: oidc-client-ts against jotauth (authorization code + PKCE, refresh
// token, userinfo, RP-initiated logout). The README's "OpenID Connect SPA" recipe is this
// file. Configuration comes from /config.json (written by examples/oidc_spa/server.py).
const config = await (await fetch("/config.json")).json();

const mgr = new oidc.UserManager({
  authority: config.authority, // the issuer: discovery at /.well-known/openid-configuration
  client_id: config.client_id, // `jotauth clients add NAME --public --redirect-uri …`
  redirect_uri: `${location.origin}/callback`,
  post_logout_redirect_uri: `${location.origin}/signed-out`,
  // offline_access: a refresh token (third-party clients only get one when they ask).
  scope: config.scope,
  loadUserInfo: true, // email and name from /oauth2/userinfo
  // Tokens stay in this tab's sessionStorage (the library's default); the refresh token
  // rotates on every use and a replayed one ends the session (DESIGN §6).
  automaticSilentRenew: false,
});

const $ = (id) => document.getElementById(id);
const show = (ids) => {
  for (const id of ["sign-in", "refresh", "userinfo", "sign-out"]) $(id).hidden = !ids.includes(id);
};
const details = (value) => {
  $("details").textContent = value ? JSON.stringify(value, null, 2) : "";
};

function render(user, note) {
  if (user && !user.expired) {
    $("status").textContent = `Signed in as ${user.profile.email ?? user.profile.sub}`;
    show(["refresh", "userinfo", "sign-out"]);
    details({
      note,
      sub: user.profile.sub,
      scope: user.scope,
      expires_in: user.expires_in,
      refresh_token: user.refresh_token ? "(held)" : "(none)",
    });
  } else {
    $("status").textContent = note ?? "Not signed in";
    show(["sign-in"]);
    details(null);
  }
}

$("authority").textContent = config.authority;
$("authority").href = config.authority;
$("sign-in").addEventListener("click", () => void mgr.signinRedirect());
$("sign-out").addEventListener("click", () => void mgr.signoutRedirect());
$("refresh").addEventListener("click", async () => {
  try {
    render(await mgr.signinSilent(), "tokens refreshed");
  } catch (error) {
    render(null, `Refresh failed: ${error.message}`);
  }
});
$("userinfo").addEventListener("click", async () => {
  const user = await mgr.getUser();
  const response = await fetch(await mgr.metadataService.getUserInfoEndpoint(), {
    headers: { Authorization: `Bearer ${user.access_token}` },
  });
  details({ userinfo: response.status, body: await response.json() });
});

async function start() {
  if (location.pathname === "/callback") {
    try {
      const user = await mgr.signinRedirectCallback();
      history.replaceState(null, "", "/");
      render(user, "signed in");
    } catch (error) {
      render(null, `Sign-in failed: ${error.message}`);
    }
    return;
  }
  if (location.pathname === "/signed-out") {
    await mgr.removeUser();
    render(null, "Signed out");
    return;
  }
  render(await mgr.getUser());
}

// For the browser tests: the library and the start-up, once it has settled.
window.spa = { mgr, ready: start() };
