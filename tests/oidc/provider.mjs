// A real OpenID Provider for the test suite, built on the certified `oidc-provider` package.
//
// Usage: node tests/oidc/provider.mjs CONFIG.json
// CONFIG: {"clients": [{client_id, client_secret, redirect_uris, post_logout_redirect_uris, misbehave?}],
//          "accounts": {"<login>": {"password": "...", "claims": {email, name, groups, ...}}}}
// It listens on 127.0.0.1 on a free port and prints one JSON line {"issuer": "..."} when it is ready.
//
// The sign-in page is this file's own (plain HTML, nothing fetched from elsewhere). Consent is given
// automatically, as an organisation's administrator does for its own applications.
//
// `misbehave` makes one client's token responses carry an ID token that the service must refuse, re-signed with
// the provider's own key so that only the named claim is wrong: "wrong-audience" (aud is another client) or
// "expired" (exp an hour ago).

import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { randomUUID } from 'node:crypto';

import { decodeJwt, exportJWK, generateKeyPair, importJWK, SignJWT } from 'jose';
import Provider from 'oidc-provider';

const config = JSON.parse(readFileSync(process.argv[2], 'utf8'));
const accounts = config.accounts || {};

const { privateKey } = await generateKeyPair('RS256', { extractable: true });
const signingKey = { ...(await exportJWK(privateKey)), kid: randomUUID(), alg: 'RS256', use: 'sig' };
const resigningKey = await importJWK(signingKey, 'RS256');

const escape = (value) => String(value).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

function page(title, body) {
  return `<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>${escape(title)}</title>
<meta name="viewport" content="width=device-width, initial-scale=1"></head>
<body><main><h1>${escape(title)}</h1>${body}</main></body></html>`;
}

const server = createServer();
await new Promise((resolve) => { server.listen(0, '127.0.0.1', resolve); });
const issuer = `http://127.0.0.1:${server.address().port}`;

const misbehaviour = Object.fromEntries(
  (config.clients || []).filter((c) => c.misbehave).map((c) => [c.client_id, c.misbehave]),
);

const provider = new Provider(issuer, {
  clients: (config.clients || []).map(({ misbehave, ...client }) => ({
    grant_types: ['authorization_code'],
    response_types: ['code'],
    token_endpoint_auth_method: 'client_secret_basic',
    ...client,
  })),
  jwks: { keys: [signingKey] },
  cookies: { keys: ['test-provider-cookie-key'] },
  claims: { openid: ['sub'], email: ['email', 'email_verified'], profile: ['name', 'groups'] },
  conformIdTokenClaims: false, // the claims go into the ID token itself, as Entra ID puts them there
  pkce: { required: () => true },
  features: {
    devInteractions: { enabled: false },
    rpInitiatedLogout: {
      enabled: true,
      logoutSource: async (ctx, form) => {
        ctx.type = 'html';
        ctx.body = page('Sign out at the provider', `${form}
<button type="submit" form="op.logoutForm" value="yes" name="logout">Yes, sign me out</button>`);
      },
      postLogoutSuccessSource: async (ctx) => {
        ctx.type = 'html';
        ctx.body = page('Signed out at the provider', '<p>You have signed out.</p>');
      },
    },
  },
  interactions: { url: (ctx, interaction) => `/interaction/${interaction.uid}` },
  renderError: async (ctx, out) => {
    ctx.type = 'html';
    ctx.body = page('Provider error', `<pre id="error">${escape(JSON.stringify(out))}</pre>`);
  },
  async findAccount(ctx, id) {
    const account = accounts[id];
    if (!account) return undefined;
    return { accountId: id, async claims() { return { sub: id, ...account.claims }; } };
  },
  async loadExistingGrant(ctx) {
    const grantId = ctx.oidc.result?.consent?.grantId || ctx.oidc.session.grantIdFor(ctx.oidc.client.clientId);
    if (grantId) return ctx.oidc.provider.Grant.find(grantId);
    const grant = new ctx.oidc.provider.Grant({
      clientId: ctx.oidc.client.clientId, accountId: ctx.oidc.session.accountId,
    });
    grant.addOIDCScope('openid email profile');
    await grant.save();
    return grant;
  },
  ttl: {
    AccessToken: 600, AuthorizationCode: 60, IdToken: 600, Interaction: 600, Session: 3600, Grant: 3600,
  },
});

provider.use(async (ctx, next) => {
  await next();
  const clientId = ctx.oidc?.client?.clientId;
  const wrong = clientId && misbehaviour[clientId];
  if (ctx.oidc?.route !== 'token' || !wrong || !ctx.body?.id_token) return;
  const claims = decodeJwt(ctx.body.id_token);
  if (wrong === 'wrong-audience') claims.aud = `${clientId}-someone-else`;
  if (wrong === 'expired') {
    claims.iat -= 7200;
    claims.exp = Math.floor(Date.now() / 1000) - 3600;
  }
  const idToken = await new SignJWT(claims)
    .setProtectedHeader({ alg: 'RS256', kid: signingKey.kid })
    .sign(resigningKey);
  ctx.body = { ...ctx.body, id_token: idToken };
});

async function readForm(req) {
  let body = '';
  for await (const chunk of req) body += chunk;
  return new URLSearchParams(body);
}

async function interaction(req, res, uid) {
  const details = await provider.interactionDetails(req, res);
  if (details.uid !== uid) throw new Error('interaction mismatch');
  if (req.method === 'GET') {
    res.setHeader('Content-Type', 'text/html; charset=utf-8');
    res.end(page('Sign in at the test provider', `
<form method="post" action="/interaction/${escape(uid)}">
  <p><label for="login">Username</label> <input id="login" name="login" autocomplete="username" required></p>
  <p><label for="password">Password</label> <input id="password" name="password" type="password" required></p>
  <p><button type="submit">Sign in</button></p>
</form>`));
    return;
  }
  const form = await readForm(req);
  const account = accounts[form.get('login')];
  if (!account || account.password !== form.get('password')) {
    res.statusCode = 401;
    res.setHeader('Content-Type', 'text/html; charset=utf-8');
    res.end(page('Sign in at the test provider', '<p id="error">Wrong username or password.</p>'));
    return;
  }
  await provider.interactionFinished(req, res, { login: { accountId: form.get('login') } }, {
    mergeWithLastSubmission: false,
  });
}

const callback = provider.callback();
server.on('request', (req, res) => {
  const match = /^\/interaction\/([\w-]+)$/.exec(req.url.split('?')[0]);
  if (!match) {
    callback(req, res);
    return;
  }
  interaction(req, res, match[1]).catch((error) => {
    res.statusCode = 400;
    res.setHeader('Content-Type', 'text/html; charset=utf-8');
    res.end(page('Provider error', `<pre id="error">${escape(error.message)}</pre>`));
  });
});

process.on('SIGTERM', () => { server.close(() => process.exit(0)); });
process.stdout.write(`${JSON.stringify({ issuer })}\n`);
