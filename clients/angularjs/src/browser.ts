/**
 * Entry of the prebuilt browser bundle (dist/jotauth-angularjs.js): load it with a plain
 * <script> after angular.js and depend on the 'jotauth' module. It also exposes
 * `window.jotauth` with the package's exports.
 */
import type { IAngularStatic } from 'angular';
import { registerJotAuth } from './module.js';

export * from './index.js';

const angular = (globalThis as { angular?: IAngularStatic }).angular;
if (angular) {
  registerJotAuth(angular);
} else {
  console.error('jotauth-angularjs: load angular.js before this script');
}
