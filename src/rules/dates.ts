import type { Window } from './model.js';

/** ISO dates (YYYY-MM-DD) compare correctly as strings. */
export function inWindow(date: string, w: Window): boolean {
  return date >= w.from && (w.to === undefined || date <= w.to);
}

export function windowsOverlap(a: Window, b: Window): boolean {
  const aTo = a.to ?? '9999-12-31';
  const bTo = b.to ?? '9999-12-31';
  return a.from <= bTo && b.from <= aTo;
}

export function formatWindow(w: Window): string {
  return w.to === undefined ? `from ${w.from}` : `${w.from} to ${w.to}`;
}
