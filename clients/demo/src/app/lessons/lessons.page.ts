import { HttpClient, HttpErrorResponse } from '@angular/common/http';
import { Component, inject, signal } from '@angular/core';
import { FormsModule } from '@angular/forms';

import { formatDuration, type Lesson, lessonsFrom } from './lesson';

/** The lessons list (any signed-in user) and a form to add one (scope lessons:write). */
@Component({
  selector: 'demo-lessons-page',
  imports: [FormsModule],
  template: `
    <section class="card">
      <h1>Lessons</h1>
      @if (loadError(); as message) {
        <p class="error" role="alert">{{ message }}</p>
      }
      @if (lessons(); as list) {
        <ul class="lessons" data-test="lessons">
          @for (lesson of list; track lesson.id) {
            <li data-test="lesson">
              {{ lesson.title }}
              @if (lesson.duration) {
                <span class="muted" data-test="duration">· {{ formatDuration(lesson.duration) }} long</span>
              }
            </li>
          } @empty {
            <li class="muted">No lessons yet.</li>
          }
        </ul>
      } @else if (!loadError()) {
        <p class="muted">Loading…</p>
      }
      <form class="inline" (ngSubmit)="add()">
        <input name="title" placeholder="New lesson title" required [(ngModel)]="title" />
        <button type="submit" [disabled]="!title.trim()">Add</button>
      </form>
      @if (addMessage(); as message) {
        <p class="note" data-test="add-result">{{ message }}</p>
      }
    </section>
  `,
})
export class LessonsPage {
  protected readonly formatDuration = formatDuration;
  protected readonly lessons = signal<readonly Lesson[] | null>(null);
  protected readonly loadError = signal<string | null>(null);
  protected readonly addMessage = signal<string | null>(null);
  protected title = '';

  private readonly http = inject(HttpClient);

  constructor() {
    this.load();
  }

  protected add(): void {
    this.addMessage.set(null);
    this.http.post<unknown>('/api/lessons', { title: this.title.trim() }).subscribe({
      next: () => {
        this.title = '';
        this.addMessage.set('Lesson added.');
        this.load();
      },
      error: (error: HttpErrorResponse) => {
        this.addMessage.set(
          error.status === 403
            ? 'Adding lessons needs the lessons:write scope, which your account does not have.'
            : `Adding the lesson failed (HTTP ${error.status}).`,
        );
      },
    });
  }

  private load(): void {
    this.http.get<unknown>('/api/lessons').subscribe({
      next: (body) => {
        this.lessons.set(lessonsFrom(body));
        this.loadError.set(null);
      },
      error: (error: HttpErrorResponse) => {
        this.loadError.set(`The lessons could not be loaded (HTTP ${error.status}).`);
      },
    });
  }
}
