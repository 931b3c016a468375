import { describe, expect, it } from 'vitest';

import { lessonsFrom } from '../src/app/lessons/lesson';
import { describeStats } from '../src/app/admin/stats';
import { formatDuration } from '../src/app/lessons/lesson';
import { describeLoginError, describeThrottle, retryAfterOf } from '../src/app/login/login-error';
import { describeDevice } from '../src/app/sessions/device';
import { safeReturnUrl } from '../src/app/login/return-url';
import { formatRemaining } from '../src/app/format-remaining';
import { sessionsFrom } from '../src/app/sessions/session-row';
import { describeFactorError, needsStepUp } from '../src/app/security/factor-error';

describe('safeReturnUrl', () => {
  it('keeps paths of this app, with their query', () => {
    expect(safeReturnUrl('/admin')).toBe('/admin');
    expect(safeReturnUrl('/lessons?page=2#top')).toBe('/lessons?page=2#top');
  });

  it.each([
    undefined,
    '',
    'https://evil.example/',
    '//evil.example',
    '/\\evil.example',
    '\\\\evil.example',
    '/\t/evil.example',
    'javascript:alert(1)',
    'lessons',
  ])('refuses %j and falls back to the lessons', (value) => {
    expect(safeReturnUrl(value)).toBe('/lessons');
  });
});

describe('describeLoginError', () => {
  it('says a wrong password without saying whether the account exists', () => {
    expect(describeLoginError({ status: 401, code: 'invalid_credentials' })).toBe('Wrong email or password.');
  });

  it('gives the time to wait when throttled', () => {
    expect(describeLoginError({ status: 429, retryAfter: 42 })).toBe('Too many attempts. Try again in 42 seconds.');
    expect(describeLoginError({ status: 429, retryAfter: null })).toBe('Too many attempts. Try again later.');
  });

  it('tells an unreachable server apart from other failures', () => {
    expect(describeLoginError({ status: 0 })).toMatch(/cannot be reached/);
    expect(describeLoginError({ status: 503 })).toBe('Signing in failed. Please try again.');
    expect(describeLoginError('nonsense')).toMatch(/cannot be reached/);
  });
});

describe('formatRemaining', () => {
  it('reads like a person would say it', () => {
    expect(formatRemaining(14 * 86400 - 1)).toBe('13 d 23 h');
    expect(formatRemaining(5 * 3600 + 12 * 60)).toBe('5 h 12 min');
    expect(formatRemaining(245)).toBe('4:05');
    expect(formatRemaining(-3)).toBe('0:00');
  });
});

describe('API answers', () => {
  it('reads lessons from a list or an object, ignoring junk', () => {
    expect(lessonsFrom([{ id: 1, title: 'JWT', duration: '9:30' }, 'junk'])).toEqual([{ id: '1', title: 'JWT', duration: '9:30' }]);
    expect(lessonsFrom({ lessons: [{ id: 'a', title: 'Keys' }] })).toEqual([{ id: 'a', title: 'Keys', duration: null }]);
    expect(lessonsFrom(null)).toEqual([]);
  });

  it('reads sessions with epoch-second times and the current flag', () => {
    const [row] = sessionsFrom({
      sessions: [{ id: 's1', created_at: 1_700_000_000, last_used_at: null, expires_at: 1_700_086_400, user_agent: 'UA', current: true }],
    });
    expect(row?.createdAt?.toISOString()).toBe('2023-11-14T22:13:20.000Z');
    expect(row?.lastUsedAt).toBeNull();
    expect(row?.current).toBe(true);
  });
});

describe('describeDevice', () => {
  it('names the browser and the system a person recognises', () => {
    const chrome =
      'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/156.0.8078.73 Safari/537.36';
    expect(describeDevice(chrome)).toBe('Chrome 156 on Linux');
    const iphone =
      'Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1';
    expect(describeDevice(iphone)).toBe('Safari 17 on iOS');
  });

  it('falls back to the product token of other clients, and to nothing without a header', () => {
    expect(describeDevice('python-httpx/0.28.1')).toBe('python-httpx 0.28.1');
    expect(describeDevice('x'.repeat(300))?.length).toBeLessThanOrEqual(40);
    expect(describeDevice(null)).toBeNull();
    expect(describeDevice('')).toBeNull();
  });
});

describe('throttle messages', () => {
  it('counts in minutes from a minute up, in seconds below', () => {
    expect(describeThrottle(293)).toBe('Too many attempts. Try again in 5 minutes.');
    expect(describeThrottle(60)).toBe('Too many attempts. Try again in 1 minute.');
    expect(describeThrottle(59)).toBe('Too many attempts. Try again in 59 seconds.');
    expect(describeThrottle(1)).toBe('Too many attempts. Try again in 1 second.');
  });

  it('reads the wait only from a 429 that names one', () => {
    expect(retryAfterOf({ status: 429, retryAfter: 12.2 })).toBe(13);
    expect(retryAfterOf({ status: 429, retryAfter: null })).toBe(0);
    expect(retryAfterOf({ status: 401, retryAfter: 30 })).toBe(0);
    expect(retryAfterOf({ status: 429, retryAfter: Number.NaN })).toBe(0);
    expect(retryAfterOf(undefined)).toBe(0);
  });
});

describe('formatDuration', () => {
  it('labels minutes and seconds', () => {
    expect(formatDuration('12:05')).toBe('12 min 5 s');
    expect(formatDuration('10:00')).toBe('10 min');
    expect(formatDuration('0:42')).toBe('42 s');
    expect(formatDuration('about an hour')).toBe('about an hour');
  });
});

describe('describeStats', () => {
  const me = { id: 'a1b2c3', email: 'admin@example.com', name: null, roles: ['admin'], scope: '' };

  it('labels the figures and never shows a raw user id', () => {
    const rows = describeStats({ lessons: 4, authors: 1, requested_by: 'a1b2c3' }, me);
    expect(rows).toEqual([
      ['Lessons', '4'],
      ['Authors', '1'],
      ['Requested by', 'you (admin@example.com)'],
    ]);
    expect(describeStats({ requested_by: 'ffff' }, me)).toEqual([['Requested by', 'another user']]);
  });
});

describe('describeFactorError', () => {
  it.each([
    ['second_factor_invalid', 'not right'],
    ['mfa_token_invalid', 'Sign in again'],
    ['passkey_cancelled', 'prompt was closed'],
    ['insufficient_user_authentication', 'Confirm it is you'],
  ])('says what %s means', (code, words) => {
    expect(describeFactorError({ code })).toContain(words);
  });

  it('names the wait of a throttle', () => {
    expect(describeFactorError({ code: 'second_factor_throttled', retryAfter: 29.2 })).toBe('Too many tries. Wait 30 seconds.');
  });

  it('falls back to a general sentence for anything else', () => {
    expect(describeFactorError(new Error('boom'))).toBe('That did not work. Please try again.');
    expect(describeFactorError(null)).toBe('That did not work. Please try again.');
  });

  it('knows the step-up answer only by its code', () => {
    expect(needsStepUp({ code: 'insufficient_user_authentication', status: 403 })).toBe(true);
    expect(needsStepUp({ code: 'forbidden', status: 403 })).toBe(false);
    expect(needsStepUp('insufficient_user_authentication')).toBe(false);
  });
});
