declare module 'jaro-winkler' {
  /** Jaro–Winkler similarity (0–1); case-insensitive unless `caseSensitive` is true. */
  export default function distance(a: string, b: string, options?: { caseSensitive?: boolean }): number;
}
