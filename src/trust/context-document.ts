import { CREDENTIALS_CONTEXT_PATH, END_USER_CERTIFICATE_TYPE } from './credential.js';

/**
 * The JSON-LD context of Lodestone's credentials, served by each deployment at
 * `<public URL>/ns/credentials/v1` (the URL in new certificates' `@context`). It names the
 * certificate type and, through `@vocab`, every member of the credential subject (exporter,
 * items, undertakings …) in the deployment's vocabulary `<public URL>/ns/credentials/v1#`, so a
 * JSON-LD processor expands a certificate without "issuer-dependent" terms. The W3C VC 2.0
 * context that comes first keeps its protected terms.
 */
export function credentialsContextDocument(publicUrl: string): unknown {
  const vocab = `${publicUrl}${CREDENTIALS_CONTEXT_PATH}#`;
  return {
    '@context': {
      '@version': 1.1,
      '@vocab': vocab,
      [END_USER_CERTIFICATE_TYPE]: `${vocab}${END_USER_CERTIFICATE_TYPE}`,
    },
  };
}
