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
