/**
 * The HTTP API (Fastify): one route table (routes.ts) from which validation, authorisation, the
 * OpenAPI 3.1 document and the reference page are derived; API-key authentication, signed requests
 * for records, Idempotency-Key, problem+json errors. Only src/cli imports this module.
 */
export { createServer, DEFAULT_BODY_LIMIT, SERVED_ROUTES, type ServerOptions } from './server.js';
export { rateLimitFromEnv, type RateLimitOptions } from './limits.js';
export { ROUTES } from './routes.js';
export { ROLES, ROLE_RANK, isRole, privilegeRefusal, type Principal, type Role } from './roles.js';
export type { AnyRoute, Access, Route } from './route.js';
export {
  authenticate,
  hashKey,
  issueCredential,
  listCredentials,
  revokeCredential,
  rotateCredential,
  type CredentialInfo,
  type IssuedCredential,
} from './credentials.js';
export { openApiDocument } from './openapi.js';
export { SIGNATURE_HEADER } from './signature.js';
export { problem, toProblem, CODE_STATUS, type Problem } from './problem.js';
