/**
 * The offline verifier (src/verify, the same module as `lodestone verify`) in a Web Worker, so the
 * page stays responsive and its progress bar moves while a large bundle is checked. The page posts
 * `{ text }`; the worker answers with `progress` messages (fraction 0–1 and the step), then one
 * `verified` (the summary) or `failed` (the verifier's code and message). The page cancels by
 * terminating the worker.
 */
import './polyfills.js';
import { verifyBundle, VerifyError, type VerifyStep, type VerifySummary } from '../../src/verify/index.js';

export type FromWorker =
  | { readonly kind: 'progress'; readonly fraction: number; readonly step: VerifyStep }
  | { readonly kind: 'verified'; readonly summary: VerifySummary }
  | { readonly kind: 'failed'; readonly code: string; readonly message: string };

const post = (m: FromWorker) => {
  self.postMessage(m);
};

self.onmessage = (e: MessageEvent<{ text: string }>) => {
  try {
    const summary = verifyBundle(e.data.text, {
      onProgress: (fraction, step) => post({ kind: 'progress', fraction, step }),
    });
    post({ kind: 'verified', summary });
  } catch (err) {
    post(
      err instanceof VerifyError
        ? { kind: 'failed', code: err.code, message: err.message }
        : { kind: 'failed', code: 'ERROR', message: (err as Error).message },
    );
  }
};
