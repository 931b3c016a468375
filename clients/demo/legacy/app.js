// The AngularJS 1.x page of the demo: signs in with $auth and lists the lessons with $http.
// Plain script (no build step), the way many AngularJS apps still ship.
(function (angular) {
  'use strict';

  function describeLoginError(error) {
    var code = error && error.code;
    if (code === 'second_factor_invalid') return 'That code is not right (or was used already).';
    if (code === 'mfa_token_invalid') return 'This sign-in took too long. Sign in again.';
    if (error && error.status === 401) return 'Wrong email or password.';
    if (error && error.status === 429) {
      return error.retryAfter
        ? 'Too many attempts. Try again in ' + error.retryAfter + ' seconds.'
        : 'Too many attempts. Try again later.';
    }
    return 'Signing in failed. Please try again.';
  }

  function LegacyController($scope, $http, $auth) {
    var vm = this;
    vm.email = '';
    vm.password = '';
    vm.lessons = [];

    function loadLessons() {
      vm.loadError = null;
      return $http.get('/api/lessons').then(
        function (response) {
          var body = response.data;
          vm.lessons = Array.isArray(body) ? body : (body && body.lessons) || [];
        },
        function (response) {
          vm.loadError = 'The lessons could not be loaded (HTTP ' + response.status + ').';
        },
      );
    }

    vm.login = function () {
      vm.busy = true;
      vm.error = null;
      $auth
        .login({ email: vm.email, password: vm.password })
        .then(function () {
          vm.password = '';
        })
        .catch(function (error) {
          // A user with a second factor: the password was right, a code comes next.
          if (error && error.code === 'mfa_required') {
            vm.password = '';
            vm.step = error.mfa;
            vm.method = error.mfa.methods.indexOf('totp') >= 0 ? 'totp' : 'recovery_code';
            return;
          }
          vm.error = describeLoginError(error);
        })
        .finally(function () {
          vm.busy = false;
        });
    };

    vm.offersRecoveryCode = function () {
      return vm.method === 'totp' && vm.step.methods.indexOf('recovery_code') >= 0;
    };

    vm.completeLogin = function () {
      vm.busy = true;
      vm.error = null;
      $auth
        .completeLogin({ method: vm.method, code: vm.code })
        .then(function () {
          vm.step = null;
        })
        .catch(function (error) {
          if (!$auth.secondStep()) vm.step = null; // expired or used up: sign in again
          vm.error = describeLoginError(error);
        })
        .finally(function () {
          vm.code = '';
          vm.busy = false;
        });
    };

    vm.logout = function () {
      $auth.logout();
    };

    $scope.$on('$authenticated', loadLessons);
    $scope.$on('$unauthenticated', function () {
      vm.lessons = [];
    });
    if ($scope.$root.user) loadLessons();
  }

  angular
    .module('legacyDemo', ['jotauth'])
    .config([
      '$authProvider',
      function ($authProvider) {
        $authProvider.configure({ delivery: 'cookie' });
      },
    ])
    .controller('LegacyController', ['$scope', '$http', '$auth', LegacyController]);
})(window.angular);
