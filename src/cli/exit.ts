/**
 * Exit statuses: 0 success; 1 unexpected failure; 2 bad input; 3 not found; 4 conflict; 5 store unavailable;
 * 6 integrity failure; 7 refused by a rule.
 */
export const EXIT = {
  ok: 0,
  failure: 1,
  badInput: 2,
  notFound: 3,
  conflict: 4,
  unavailable: 5,
  integrity: 6,
  refused: 7,
} as const;

/**
 * Thrown by a command that has printed its whole answer but must still end with a status other than 0
 * (`check` answering REFUSED: exit 7, so a script can branch on it). `main` prints nothing more for it.
 */
export class AnswerStatus extends Error {
  constructor(readonly status: number) {
    super(`exit status ${String(status)}`);
  }
}
