// panva/oidc-provider as the upstream identity provider of tests/e2e/federation, configured
// by the test through the environment: PORT, CLIENT_ID, CLIENT_SECRET, REDIRECT_URI,
// SIGNING_JWK (a private RSA JWK), EMAIL (the address of every account, verified).
// Its development interactions (a login form accepting any login, then a consent page) are
// the sign-in pages the browser goes through.
import Provider from 'oidc-provider';

const port = Number(process.env.PORT);
const issuer = `http://127.0.0.1:${port}`;
const email = process.env.EMAIL;

const provider = new Provider(issuer, {
  clients: [
    {
      client_id: process.env.CLIENT_ID,
      client_secret: process.env.CLIENT_SECRET,
      redirect_uris: [process.env.REDIRECT_URI],
      grant_types: ['authorization_code'],
      response_types: ['code'],
    },
  ],
  jwks: { keys: [JSON.parse(process.env.SIGNING_JWK)] },
  cookies: { keys: ['jotauth-test-cookie-key-0123456789'] },
  claims: { openid: ['sub'], email: ['email', 'email_verified'], profile: ['name'] },
  findAccount: async (_ctx, id) => ({
    accountId: id,
    claims: async () => ({ sub: id, email, email_verified: true, name: `Panva ${id}` }),
  }),
  features: { devInteractions: { enabled: true } },
});
provider.proxy = false;
provider.listen(port, '127.0.0.1', () => {
  console.log(`ready ${issuer}`);
});
