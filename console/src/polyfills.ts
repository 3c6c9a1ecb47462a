/**
 * Buffer for the trust module in the browser: the `buffer` package, taught the base64url encoding
 * Node has (unpadded, RFC 4648 §5), which src/trust/base64url.ts uses. Imported before anything else.
 */
import { Buffer } from 'buffer';

type Enc = BufferEncoding | undefined;
const B = Buffer as unknown as {
  from: (...a: unknown[]) => Buffer;
  prototype: { toString: (this: Buffer, enc?: Enc, start?: number, end?: number) => string };
};
const from = B.from.bind(Buffer);
B.from = (value: unknown, enc?: unknown, len?: unknown) => {
  if (typeof value === 'string' && enc === 'base64url') {
    const b64 = value.replace(/-/g, '+').replace(/_/g, '/');
    return from(b64 + '='.repeat((4 - (b64.length % 4)) % 4), 'base64');
  }
  return len === undefined ? (enc === undefined ? from(value) : from(value, enc)) : from(value, enc, len);
};
const toString = B.prototype.toString;
B.prototype.toString = function (this: Buffer, enc?: Enc, start?: number, end?: number): string {
  if (enc === 'base64url')
    return toString.call(this, 'base64', start, end).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
  return toString.call(this, enc, start, end);
};

(globalThis as unknown as { Buffer: typeof Buffer }).Buffer = Buffer;
