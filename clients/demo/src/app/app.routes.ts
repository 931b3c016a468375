import type { Routes } from '@angular/router';
import { authGuard, roleGuard } from '@jotauth/angular';

/** Client routes; the demo server answers every one of them with index.html. */
export const routes: Routes = [
  { path: '', pathMatch: 'full', redirectTo: 'lessons' },
  {
    path: 'signin',
    title: 'Sign in · jotauth demo',
    loadComponent: () => import('./login/login.page').then((m) => m.LoginPage),
  },
  {
    path: 'signin/second-step',
    title: 'Confirm it is you · jotauth demo',
    loadComponent: () => import('./security/second-step.page').then((m) => m.SecondStepPage),
  },
  {
    path: 'security',
    title: 'Security · jotauth demo',
    canActivate: [authGuard],
    loadComponent: () => import('./security/security.page').then((m) => m.SecurityPage),
  },
  {
    path: 'passkeys',
    title: 'Passkeys · jotauth demo',
    canActivate: [authGuard],
    loadComponent: () => import('./security/passkeys.page').then((m) => m.PasskeysPage),
  },
  // The account pages the auth server's mails link to (account_links_url = <origin>/account).
  {
    path: 'account/signup',
    title: 'Create an account · jotauth demo',
    loadComponent: () => import('./account/signup.page').then((m) => m.SignupPage),
  },
  {
    path: 'account/forgot',
    title: 'Forgotten password · jotauth demo',
    loadComponent: () => import('./account/forgot.page').then((m) => m.ForgotPage),
  },
  {
    path: 'account/reset',
    title: 'New password · jotauth demo',
    loadComponent: () => import('./account/reset.page').then((m) => m.ResetPage),
  },
  {
    path: 'account/verify',
    title: 'Confirm your address · jotauth demo',
    loadComponent: () => import('./account/verify.page').then((m) => m.VerifyPage),
  },
  {
    path: 'lessons',
    title: 'Lessons · jotauth demo',
    canActivate: [authGuard],
    loadComponent: () => import('./lessons/lessons.page').then((m) => m.LessonsPage),
  },
  {
    path: 'admin',
    title: 'Admin · jotauth demo',
    canActivate: [roleGuard('admin')],
    loadComponent: () => import('./admin/admin.page').then((m) => m.AdminPage),
  },
  {
    path: 'sessions',
    title: 'Sessions · jotauth demo',
    canActivate: [authGuard],
    loadComponent: () => import('./sessions/sessions.page').then((m) => m.SessionsPage),
  },
  {
    path: 'forbidden',
    title: 'Not allowed · jotauth demo',
    loadComponent: () => import('./forbidden.page').then((m) => m.ForbiddenPage),
  },
  { path: '**', redirectTo: 'lessons' },
];
