import { describe, expect, it } from 'vitest';
import { decodeToken, expiresAtMs, isExpired } from '../src/index.js';
import { makeToken } from '../../test-support/fake-auth-server.js';

const NOW = Date.UTC(2026, 0, 1, 12, 0, 0);

describe('decodeToken (no verification)', () => {
  it('returns header and claims of a compact JWS', () => {
    const decoded = decodeToken(makeToken({ sub: 'u1', exp: 1, roles: ['admin'] }));
    expect(decoded?.header).toMatchObject({ alg: 'RS256', typ: 'at+jwt' });
    expect(decoded?.claims).toMatchObject({ sub: 'u1', roles: ['admin'] });
  });

  it('decodes UTF-8 claims', () => {
    const payload = btoa(String.fromCharCode(...new TextEncoder().encode('{"name":"Zoë ✓"}')))
      .replace(/\+/g, '-')
      .replace(/\//g, '_')
      .replace(/=+$/, '');
    const token = `${makeToken({}).split('.')[0]!}.${payload}.c2ln`;
    expect(decodeToken(token)?.claims).toEqual({ name: 'Zoë ✓' });
  });

  it.each([
    ['empty', ''],
    ['two parts', 'eyJhIjoxfQ.eyJhIjoxfQ'],
    ['five parts (JWE)', 'a.b.c.d.e'],
    ['an empty signature', `${makeToken({}).split('.').slice(0, 2).join('.')}.`],
    ['characters outside base64url', 'eyJhIjoxfQ==.eyJhIjoxfQ.c2ln'],
    ['a payload that is not JSON', 'eyJhIjoxfQ.bm90IGpzb24.c2ln'],
    ['a payload that is a JSON array', 'eyJhIjoxfQ.WzEsMl0.c2ln'],
    ['a payload that is JSON null', 'eyJhIjoxfQ.bnVsbA.c2ln'],
    ['an impossible base64 length', 'eyJhIjoxfQ.eyJhIjoxfQx.c2ln'],
    ['invalid UTF-8', 'eyJhIjoxfQ.__79.c2ln'],
  ])('returns null for %s', (_why, token) => {
    expect(decodeToken(token)).toBeNull();
  });
});

describe('isExpired (no verification)', () => {
  const exp = NOW / 1000 + 60;

  it('is false before exp and true at and after it', () => {
    expect(isExpired(makeToken({ exp }), { now: NOW })).toBe(false);
    expect(isExpired(makeToken({ exp }), { now: NOW + 60_000 })).toBe(true);
    expect(isExpired(makeToken({ exp }), { now: NOW + 61_000 })).toBe(true);
  });

  it('counts a token as expired leewaySeconds early', () => {
    expect(isExpired(makeToken({ exp }), { now: NOW, leewaySeconds: 59 })).toBe(false);
    expect(isExpired(makeToken({ exp }), { now: NOW, leewaySeconds: 60 })).toBe(true);
  });

  it('accepts an already decoded token', () => {
    expect(isExpired(decodeToken(makeToken({ exp })), { now: NOW })).toBe(false);
  });

  it.each([
    ['no exp', makeToken({ sub: 'u1' })],
    ['a string exp', makeToken({ exp: String(exp) })],
    ['garbage', 'not-a-token'],
    ['null', null],
  ])('treats a token with %s as expired', (_why, token) => {
    expect(isExpired(token, { now: NOW })).toBe(true);
  });

  it('reports exp in milliseconds', () => {
    expect(expiresAtMs(makeToken({ exp }))).toBe(exp * 1000);
    expect(expiresAtMs('nope')).toBeNull();
  });
});
