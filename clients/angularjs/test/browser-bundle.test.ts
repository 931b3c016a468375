/// <reference types="vite/client" />
import angular from 'angular';
import { describe, expect, it } from 'vitest';
// Built by test/global-setup.js with the same script as `npm run build`.
import bundleSource from '../dist/jotauth-angularjs.js?raw';
import minifiedSource from '../dist/jotauth-angularjs.min.js?raw';

describe('prebuilt browser bundle (dist/jotauth-angularjs.js)', () => {
  it.each([
    ['readable', bundleSource],
    ['minified', minifiedSource],
  ])('the %s bundle is a self-contained classic script', (_kind, code) => {
    expect(code).not.toMatch(/^\s*(import|export)\s/m);
    expect(code).not.toMatch(/\brequire\(/);
  });

  it('registers the jotauth module on window.angular and exposes window.jotauth', () => {
    expect(() => angular.module('jotauth')).toThrow(/nomod/);
    // A classic script's top-level `var jotauth` becomes window.jotauth; run it as a function
    // body and hand that variable back, after angular.js is loaded (as the harness-free page has).
    expect(bundleSource).toMatch(/^(?:"use strict";\s*)?var jotauth = /);
    // eslint-disable-next-line @typescript-eslint/no-implied-eval, @typescript-eslint/no-unsafe-call -- running the shipped script is the point
    const api = new Function(`${bundleSource}\nreturn jotauth;`)() as Record<string, unknown>;
    expect(Object.keys(api)).toEqual(
      expect.arrayContaining(['registerJotAuth', 'JOTAUTH_MODULE', 'AuthError', 'decodeToken', 'isExpired']),
    );
    expect(angular.module('jotauth').name).toBe('jotauth');
    const injector = angular.injector([
      'ng',
      'jotauth',
      [
        '$authProvider',
        (p: { configure(c: object): void }) => {
          p.configure({ crossTab: false, fetch: () => Promise.resolve(new Response(null, { status: 401 })) });
        },
      ],
    ]);
    const $rootScope = injector.get<angular.IRootScopeService>('$rootScope');
    expect(injector.has('$auth')).toBe(true);
    expect($rootScope.user).toBeNull();
    $rootScope.$destroy();
  });
});
