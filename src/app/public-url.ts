import { ValidationError } from '../domain/index.js';

/**
 * A public base URL, checked: absolute http or https, no credentials, query or fragment; returned
 * without a trailing slash. Throws ValidationError naming `field`.
 */
export function parsePublicUrl(input: string, field = 'publicUrl'): string {
  let url: URL;
  try {
    url = new URL(input);
  } catch {
    throw new ValidationError(
      field,
      `must be an absolute http(s) URL such as "https://lodestone.example.org", got ${JSON.stringify(input)}`,
    );
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:')
    throw new ValidationError(field, `must be an http or https URL, got ${JSON.stringify(input)}`);
  if (
    url.username !== '' ||
    url.password !== '' ||
    url.search !== '' ||
    url.hash !== '' ||
    input.includes('?') ||
    input.includes('#')
  ) {
    throw new ValidationError(field, `must not carry credentials, a query or a fragment, got ${JSON.stringify(input)}`);
  }
  if (input.length > 200) throw new ValidationError(field, 'must be at most 200 characters');
  return url.href.replace(/\/+$/, '');
}
