// oidc-provider (a certified OpenID Provider, https://github.com/panva/node-oidc-provider)
// configured as one confidential web application, for tests/oidc_conformance.rs.
//
//   node tests/oidc/server.mjs PORT CALLBACK_PORT
//
// PORT 0 lets the OS pick one. CALLBACK_PORT is where devcontext's loopback
// callback listens (http://127.0.0.1:CALLBACK_PORT/callback is the one
// registered redirect URI). Needs `scripts/oidc-provider.sh install`
// (oidc-provider@9.13.3 and jose in .ci/cache/oidc). Prints "ready PORT" on
// stdout once it listens on 127.0.0.1:PORT;
// logs every request and every error oidc-provider reports on stderr, so a
// failing test can show exactly what the provider rejected.

import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import path from 'node:path';
import fs from 'node:fs';
import http from 'node:http';

const here = path.dirname(fileURLToPath(import.meta.url));
const modules = path.resolve(here, '../../.ci/cache/oidc/node_modules');
const require = createRequire(path.join(modules, 'noop.js'));

const load = async (name) => import(require.resolve(name));
const { default: Provider } = await load('oidc-provider');
const jose = await load('jose');

const [requestedPort, callbackPort] = process.argv.slice(2).map(Number);
if (!Number.isInteger(requestedPort) || !Number.isInteger(callbackPort)) {
  console.error('usage: node tests/oidc/server.mjs PORT CALLBACK_PORT');
  process.exit(2);
}

// Listen first: the issuer names the port, and the OS may be the one picking it.
const server = http.createServer();
server.on('error', (e) => {
  console.error(`cannot listen on 127.0.0.1:${requestedPort}: ${e.message}`);
  process.exit(1);
});
await new Promise((resolve) => server.listen(requestedPort, '127.0.0.1', resolve));
const port = server.address().port;
const issuer = `http://127.0.0.1:${port}`;

const CLIENT = {
  client_id: 'devcontext-conformance',
  client_secret: 'conformance-secret-6f1c2a9e4b7d',
  token_endpoint_auth_method: 'client_secret_post',
  grant_types: ['authorization_code', 'refresh_token'],
  response_types: ['code'],
  redirect_uris: [`http://127.0.0.1:${callbackPort}/callback`],
};

// A fresh signing key per run (otherwise oidc-provider uses its published dev keys).
const { privateKey } = await jose.generateKeyPair('RS256', { extractable: true });
const jwk = { ...(await jose.exportJWK(privateKey)), kid: 'conformance', alg: 'RS256', use: 'sig' };

const provider = new Provider(issuer, {
  clients: [CLIENT],
  jwks: { keys: [jwk] },
  cookies: { keys: ['devcontext-conformance-cookie-key'] },
  // Any login is accepted by the dev interactions; the account is made up from it.
  async findAccount(ctx, id) {
    return {
      accountId: id,
      async claims() {
        return {
          sub: id,
          email: `${id}@example.test`,
          email_verified: true,
          name: `Conformance ${id}`,
          preferred_username: id,
        };
      },
    };
  },
  scopes: ['openid', 'offline_access', 'profile', 'email'],
  claims: {
    openid: ['sub'],
    email: ['email', 'email_verified'],
    profile: ['name', 'preferred_username'],
  },
  features: {
    devInteractions: { enabled: true },
    revocation: { enabled: true },
    userinfo: { enabled: true },
  },
  // The default requires PKCE only for public clients; devcontext is a
  // confidential client, and it must send S256 PKCE anyway: enforce it.
  pkce: { required: () => true },
  // OpenID Connect Core 1.0 section 11: offline_access needs `prompt=consent`
  // in the authorization request "unless other conditions for processing the
  // request permitting offline access ... are in place". oidc-provider drops
  // offline_access without it; devcontext does not send `prompt` (Auth0, its
  // real provider, grants offline_access to first-party applications without
  // it). The "other condition" here: this client is pre-authorized for
  // offline access, so the code grant always gets a refresh token, and the
  // refresh token outlives the browser session like an offline_access one.
  // The request is logged below so the difference stays visible.
  async issueRefreshToken(ctx, client, code) {
    return client.grantTypeAllowed('refresh_token')
      && (code.scopes.has('offline_access') || code.kind === 'AuthorizationCode');
  },
  async expiresWithSession() {
    return false;
  },
  // Deterministic: the refresh token stays the same until revoked.
  rotateRefreshToken: false,
  ttl: {
    AccessToken: 600,
    AuthorizationCode: 60,
    IdToken: 600,
    Interaction: 600,
    Session: 3600,
    Grant: 3600,
    RefreshToken: 3600,
  },
  renderError(ctx, out, error) {
    ctx.type = 'json';
    ctx.body = out;
  },
});
provider.proxy = false;

// Log requests and every error the provider reports.
provider.use(async (ctx, next) => {
  if (ctx.method === 'GET' && ctx.path === '/auth') {
    const scope = ctx.query.scope || '';
    const prompt = ctx.query.prompt || '';
    console.error(`authorization request: scope "${scope}", prompt "${prompt}", code_challenge_method "${ctx.query.code_challenge_method || ''}"`);
    if (scope.split(' ').includes('offline_access') && !prompt.split(' ').includes('consent')) {
      console.error('NOTE: offline_access requested without prompt=consent (OpenID Connect Core 1.0 section 11); oidc-provider drops that scope, the refresh token comes from this server\'s pre-authorization policy');
    }
  }
  await next();
  console.error(`${ctx.method} ${ctx.path} -> ${ctx.status}`);
});
for (const event of [
  'authorization.error',
  'grant.error',
  'userinfo.error',
  'revocation.error',
  'server_error',
  'introspection.error',
  'discovery.error',
]) {
  provider.on(event, (ctx, err) => {
    const e = err || ctx;
    console.error(`oidc-provider ${event}: ${e.name || ''} ${e.message}${e.error_description ? ` (${e.error_description})` : ''}`);
  });
}
// Under scripts/test.sh, what was minted goes to $DEVCONTEXT_LEAK_DIR/secrets for
// scripts/leak_scan.py (tests/common/mod.rs does the same for the emulator).
const leakDir = process.env.DEVCONTEXT_LEAK_DIR;
let grants = 0;
provider.on('grant.success', (ctx) => {
  const body = ctx.body || {};
  console.error(`oidc-provider grant.success: refresh_token ${body.refresh_token ? 'issued' : 'NOT issued'}, scope "${body.scope}"`);
  if (leakDir) {
    const list = (v) => (typeof v === 'string' && v ? [v] : []);
    const minted = {
      client_secrets: [CLIENT.client_secret],
      refresh_tokens: list(body.refresh_token),
      access_tokens: list(body.access_token),
      id_tokens: list(body.id_token),
    };
    const dir = path.join(leakDir, 'secrets');
    fs.mkdirSync(dir, { recursive: true });
    fs.writeFileSync(path.join(dir, `oidc_conformance.provider.${process.pid}.${grants++}.json`), JSON.stringify(minted));
  }
});

server.on('request', provider.callback());
console.log(`ready ${port}`);
for (const signal of ['SIGTERM', 'SIGINT']) {
  process.on(signal, () => server.close(() => process.exit(0)));
}
